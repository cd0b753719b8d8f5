namespace NetTop;

/// <summary>
/// Writes a file whole or not at all: a temp file beside the target (mode 0600 from creation, so no window where
/// another user can read it), fsync, then rename over the target. On failure the temp file is removed.
/// </summary>
public static class AtomicFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Random.Shared.Next():x}.tmp");
        try
        {
            using (FileStream fs = new(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = OwnerOnly,
            }))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
            }
            throw;
        }
    }
}
