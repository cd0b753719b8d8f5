using System.Text;

namespace NetTop.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Creates_the_file_owner_only_with_the_content()
    {
        string path = _dir.File("snap.json");
        AtomicFile.Write(path, "hello"u8);
        Assert.Equal("hello", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(["snap.json"], _dir.Entries());
    }

    [Fact]
    public void Writes_an_empty_file()
    {
        string path = _dir.File("empty");
        AtomicFile.Write(path, ReadOnlySpan<byte>.Empty);
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void Overwrite_replaces_the_file_whole_by_rename()
    {
        string path = _dir.File("snap.txt");
        string old = new('x', 64 * 1024);
        File.WriteAllText(path, old);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using FileStream reader = new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        AtomicFile.Write(path, "new"u8);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        // A reader that opened the old file still sees the old file whole: it was replaced, not rewritten in place.
        using StreamReader sr = new(reader, Encoding.UTF8);
        Assert.Equal(old, sr.ReadToEnd());
        Assert.Equal(["snap.txt"], _dir.Entries());
    }

    [Fact]
    public void Relative_paths_are_written_where_they_point()
    {
        string cwd = Environment.CurrentDirectory;
        string path = Path.GetRelativePath(cwd, _dir.File("rel.txt"));
        AtomicFile.Write(path, "r"u8);
        Assert.Equal("r", File.ReadAllText(_dir.File("rel.txt")));
    }

    [Fact]
    public void Nonexistent_directory_throws_and_creates_nothing()
    {
        string path = _dir.File(Path.Combine("missing", "snap.json"));
        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(path, "x"u8));
        Assert.False(Directory.Exists(_dir.File("missing")));
        Assert.Empty(_dir.Entries());
    }

    [Fact]
    public void Directory_nobody_may_create_in_throws()
    {
        // sysfs refuses new files even to root (a chmod 0500 directory would not stop root).
        string path = "/sys/nettop-atomicfile-test.json";
        Exception e = Assert.ThrowsAny<Exception>(() => AtomicFile.Write(path, "x"u8));
        Assert.True(e is UnauthorizedAccessException or IOException, e.ToString());
        Assert.False(File.Exists(path));
        Assert.DoesNotContain(Directory.GetFiles("/sys"), f => Path.GetFileName(f).Contains("nettop-atomicfile-test", StringComparison.Ordinal));
    }

    [Fact]
    public void Failed_rename_removes_the_temp_file_and_keeps_the_target()
    {
        // The target is a non-empty directory: the temp file is written, the rename over it fails.
        string target = _dir.File("target");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep"), "k");

        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(target, "x"u8));

        Assert.Equal(["target"], _dir.Entries());
        Assert.Equal("k", File.ReadAllText(Path.Combine(target, "keep")));
    }
}
