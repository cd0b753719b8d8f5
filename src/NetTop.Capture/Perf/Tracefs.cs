using System.Runtime.InteropServices;

namespace NetTop.Capture.Perf;

/// <summary>
/// Finds tracefs where it is mounted (tracefs itself, or debugfs/tracing on older setups) by reading
/// /proc/mounts, and mounts it at /sys/kernel/tracing when nothing has (NetTop then says so in its status).
/// Note: `ip netns exec` remounts /sys, which hides tracefs; NetTop enters namespaces with setns instead.
/// </summary>
public static class Tracefs
{
    public const string DefaultMountPoint = "/sys/kernel/tracing";

    /// <summary>The tracing directory named by /proc/mounts text, or null (pure).</summary>
    public static string? FindInMounts(string mounts, Func<string, bool>? directoryExists = null)
    {
        directoryExists ??= Directory.Exists;
        string? debugfs = null;
        foreach (string line in mounts.Split('\n'))
        {
            string[] f = line.Split(' ');
            if (f.Length < 3) continue;
            string mountPoint = Unescape(f[1]);
            if (f[2] == "tracefs") return mountPoint;
            if (f[2] == "debugfs" && debugfs is null) debugfs = mountPoint;
        }
        if (debugfs is not null)
        {
            string tracing = Path.Combine(debugfs, "tracing");
            if (directoryExists(Path.Combine(tracing, "events"))) return tracing;
        }
        return null;
    }

    /// <summary>
    /// The tracing directory, mounting tracefs when needed. <paramref name="note"/> says what was done
    /// ("mounted tracefs at …"); on failure returns null with <paramref name="problem"/> naming the cause.
    /// </summary>
    public static string? Locate(out string? note, out string? problem, string procMounts = "/proc/mounts")
    {
        note = null;
        problem = null;
        string mounts;
        try
        {
            mounts = File.ReadAllText(procMounts);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read {procMounts}: {e.Message}";
            return null;
        }
        if (FindInMounts(mounts) is { } found) return found;
        if (!Directory.Exists(DefaultMountPoint))
        {
            problem = $"tracefs is not mounted and {DefaultMountPoint} does not exist (kernel without CONFIG_TRACING?)";
            return null;
        }
        if (Interop.PerfEvents.mount("tracefs", DefaultMountPoint, "tracefs", 0, 0) != 0)
        {
            int e = Marshal.GetLastPInvokeError();
            problem = $"tracefs is not mounted and mounting it at {DefaultMountPoint} failed: {Errno.Describe(e)}";
            return null;
        }
        note = $"mounted tracefs at {DefaultMountPoint}";
        return DefaultMountPoint;
    }

    // /proc/mounts escapes space, tab, newline and backslash as \040 \011 \012 \134.
    private static string Unescape(string s) =>
        !s.Contains('\\') ? s : s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");

    /// <summary>CPUs listed in /sys/devices/system/cpu/online ("0-3,6,8-9"); empty when unparsable (pure).</summary>
    public static IReadOnlyList<int> ParseCpuList(string text)
    {
        List<int> cpus = [];
        foreach (string part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] r = part.Split('-');
            if (r.Length == 1 && int.TryParse(r[0], out int one) && one >= 0) cpus.Add(one);
            else if (r.Length == 2 && int.TryParse(r[0], out int a) && int.TryParse(r[1], out int b) && a >= 0 && b >= a && b - a < 65536)
            {
                for (int c = a; c <= b; c++) cpus.Add(c);
            }
            else return [];
        }
        return cpus;
    }
}
