using System.Text.Json;
using NetTop.Model.Snapshot;

namespace NetTop.Tests;

public sealed class SnapshotFilesTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static HostSnapshot Snapshot() => HostSnapshot.Empty("web01", "6.18", "host") with
    {
        Sequence = 3,
        TakenAt = new DateTimeOffset(2026, 11, 23, 3, 15, 0, TimeSpan.Zero),
    };

    [Fact]
    public void Writes_the_screen_and_tables_as_text_and_the_contract_as_json_owner_only()
    {
        string dir = Path.Combine(_dir.Path, "snaps");
        string shown = SnapshotFiles.Save(dir, Snapshot(), "SCREEN LINE 1\nSCREEN LINE 2   \n");
        string stamp = Snapshot().TakenAt.ToLocalTime().ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        string stem = Path.Combine(dir, $"nettop-web01-{stamp}");
        Assert.Equal(stem + ".{txt,json}", shown);
        string text = File.ReadAllText(stem + ".txt");
        Assert.StartsWith("SCREEN LINE 1\nSCREEN LINE 2\n\nNetTop web01", text);
        Assert.Contains("== Listen queues", text);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(stem + ".json"));
        Assert.Equal("nettop.snapshot/1", doc.RootElement.GetProperty("schema").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stem + ".txt"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stem + ".json"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        Assert.Equal(2, Directory.GetFiles(dir).Length);
    }

    [Fact]
    public void A_directory_that_cannot_be_written_throws_and_leaves_nothing()
    {
        Assert.ThrowsAny<Exception>(() => SnapshotFiles.Save("/sys/nettop-test", Snapshot(), "x"));
        Assert.False(Directory.Exists("/sys/nettop-test"));
    }
}
