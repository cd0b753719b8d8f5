using NetTop.Capture.Owners;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Tests;

/// <summary>The owner cache over a fake /proc tree: pid dirs with comm and fd symlinks to "socket:[inode]".</summary>
public sealed class ProcessOwnerCacheTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("nettop-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    private void Process(int pid, string comm, params ulong[] inodes)
    {
        string dir = Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.Combine(dir, "fd"));
        File.WriteAllText(Path.Combine(dir, "comm"), comm + "\n");
        int fd = 3;
        foreach (ulong inode in inodes)
        {
            File.CreateSymbolicLink(Path.Combine(dir, "fd", (fd++).ToString(System.Globalization.CultureInfo.InvariantCulture)), $"socket:[{inode}]");
        }
        File.CreateSymbolicLink(Path.Combine(dir, "fd", "0"), "/dev/null");
    }

    [Fact]
    public async Task Scan_maps_socket_inodes_to_pid_and_comm()
    {
        Process(100, "nginx", 555, 556);
        Process(200, "curl", 777);
        using ProcessOwnerCache cache = new(_proc);
        await cache.ScanAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(cache.TryGet(555, out ProcessOwner? o) && o!.Pid == 100 && o.Comm == "nginx");
        Assert.True(cache.TryGet(777, out o) && o!.Pid == 200 && o.Comm == "curl");
        Assert.False(cache.TryGet(1, out _));
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public async Task An_inode_no_scan_can_find_does_not_trigger_scan_after_scan()
    {
        Process(100, "nginx", 555);
        using ProcessOwnerCache cache = new(_proc);
        await cache.ScanAsync().WaitAsync(TimeSpan.FromSeconds(10));
        int before = cache.Scans;

        cache.RequestRescan([999]); // unknown: one scan looks for it
        for (int i = 0; i < 100 && cache.Scans == before; i++)
        {
            await Task.Delay(50);
        }
        Assert.Equal(before + 1, cache.Scans);

        // Not found by that scan: asking again within the backoff wakes nothing.
        cache.RequestRescan([999]);
        cache.RequestRescan([999]); // still backing off
        await Task.Delay(2500);           // longer than the minimum spacing between scans
        Assert.Equal(before + 1, cache.Scans);
        Assert.False(cache.TryGet(999, out _));
    }

    [Fact]
    public async Task A_new_unknown_inode_is_found_by_the_next_scan()
    {
        Process(100, "nginx", 555);
        using ProcessOwnerCache cache = new(_proc);
        await cache.ScanAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Process(300, "postgres", 888);
        cache.RequestRescan([888]);
        for (int i = 0; i < 200 && !cache.TryGet(888, out _); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(cache.TryGet(888, out ProcessOwner? o) && o!.Comm == "postgres");
    }
}
