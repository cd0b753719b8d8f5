using System.Globalization;
using System.Text;
using NetTop.Model.Snapshot;

namespace NetTop;

/// <summary>
/// The TUI's snapshot key: <c>&lt;dir&gt;/nettop-&lt;host&gt;-&lt;yyyyMMdd-HHmmss&gt;.txt</c> (the screen exactly as drawn,
/// then every panel's full table) and <c>.json</c> (the snapshot contract), each written atomically with mode 0600
/// into a directory created 0700. If the second file fails, the first is removed: no half pair is left.
/// </summary>
public static class SnapshotFiles
{
    public static string Save(string directory, HostSnapshot snapshot, string screen)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string host = string.Concat(snapshot.Host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
        string stamp = snapshot.TakenAt.ToLocalTime().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string stem = Path.Combine(directory, $"nettop-{host}-{stamp}");
        string text = screen.TrimEnd() + "\n\n" + SnapshotText.Render(snapshot);
        AtomicFile.Write(stem + ".txt", Encoding.UTF8.GetBytes(text));
        try
        {
            AtomicFile.Write(stem + ".json", SnapshotJson.Serialize(snapshot));
        }
        catch
        {
            File.Delete(stem + ".txt");
            throw;
        }
        return stem + ".{txt,json}";
    }
}
