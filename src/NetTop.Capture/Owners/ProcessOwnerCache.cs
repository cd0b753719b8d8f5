using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using NetTop.Model;
using NetTop.Model.Sockets;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Owners;

/// <summary>
/// socket inode → owning process, from readlink on /proc/&lt;pid&gt;/fd/* (what `ss -p` does, ~5 µs per fd).
/// Too slow for every refresh on a big host, so it runs on its own thread, only when the hub reports inodes it
/// does not know and has not looked for recently; lookups read the last published map.
/// Scans are spaced by at least <see cref="MinInterval"/> and ten times the last scan's duration (a 150k-fd host
/// takes seconds per scan); an inode a scan did not find (a kernel socket, another user's, one whose process
/// hides its fds) does not trigger another scan for <see cref="NotFoundBackoff"/>.
/// Without CAP_SYS_PTRACE other users' fd tables cannot be read: their sockets stay "?" and the status says so.
/// </summary>
public sealed class ProcessOwnerCache : IProcessOwners, ISource, IDisposable
{
    public const string SourceName = "owners";
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan NotFoundBackoff = TimeSpan.FromSeconds(30);

    private readonly string _procRoot;
    private readonly Thread _thread;
    private readonly AutoResetEvent _wake = new(false);
    private readonly CancellationTokenSource _stop = new();
    private volatile FrozenDictionary<ulong, ProcessOwner> _map = FrozenDictionary<ulong, ProcessOwner>.Empty;
    private volatile SourceStatus _status = new(SourceName, SourceHealth.Ok, "not scanned yet");
    private readonly Lock _waitersLock = new();
    private List<TaskCompletionSource> _waiters = [];
    private long _lastScanTicks;
    private long _lastScanMs;
    private int _scans;
    private volatile bool _scanning;
    private readonly Lock _requestLock = new();
    private HashSet<ulong> _requested = [];
    private readonly Dictionary<ulong, long> _notFoundUntil = [];

    public ProcessOwnerCache(string procRoot = "/proc")
    {
        _procRoot = procRoot;
        _thread = new Thread(Loop) { Name = "nettop-owners", IsBackground = true, Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    public string Name => SourceName;

    public SourceStatus Status => _status;

    public int Count => _map.Count;

    public bool TryGet(ulong inode, out ProcessOwner? owner) => _map.TryGetValue(inode, out owner);

    /// <summary>Completed scans (for tests and the status detail).</summary>
    public int Scans => Volatile.Read(ref _scans);

    /// <summary>True while a scan runs.</summary>
    public bool Scanning => _scanning;

    /// <summary>
    /// Reports inodes the refresh could not attribute. Wakes the scanner only for inodes it has not already
    /// looked for within the backoff; coalesced and rate-limited. Never blocks.
    /// </summary>
    public void RequestRescan(IEnumerable<ulong> unknownInodes)
    {
        bool wake = false;
        long now = Environment.TickCount64;
        lock (_requestLock)
        {
            foreach (ulong inode in unknownInodes)
            {
                if (_notFoundUntil.TryGetValue(inode, out long until) && now < until)
                {
                    continue;
                }
                wake |= _requested.Add(inode);
            }
        }
        if (wake)
        {
            _wake.Set();
        }
    }

    /// <summary>Says, in the status, that a caller stopped waiting for a scan that is still running.</summary>
    public void MarkIncomplete(TimeSpan waited)
    {
        if (_scanning)
        {
            _status = new(SourceName, SourceHealth.Degraded,
                $"the /proc/*/fd scan did not finish within {waited.TotalSeconds:0} s; owners of newer sockets are missing",
                "wait longer (a host with many open files takes seconds per scan)");
        }
    }

    /// <summary>Rescans now and waits for it (snapshot mode, tests).</summary>
    /// <remarks>Completed only by a scan that starts after this call, so it covers every socket open now.</remarks>
    public Task ScanAsync(CancellationToken ct = default)
    {
        TaskCompletionSource tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waitersLock)
        {
            _waiters.Add(tcs);
        }
        _wake.Set();
        return tcs.Task.WaitAsync(ct);
    }

    private void Loop()
    {
        WaitHandle[] handles = [_wake, _stop.Token.WaitHandle];
        while (WaitHandle.WaitAny(handles) == 0)
        {
            bool waited;
            lock (_waitersLock)
            {
                waited = _waiters.Count > 0;
            }
            long since = Environment.TickCount64 - _lastScanTicks;
            long spacing = Math.Max((long)MinInterval.TotalMilliseconds, 10 * _lastScanMs);
            // Requests from the refresh path are coalesced and spaced; an explicit ScanAsync is not.
            if (!waited && _lastScanTicks != 0 && since < spacing)
            {
                if (_stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(spacing - since)))
                {
                    return;
                }
            }
            List<TaskCompletionSource> served;
            lock (_waitersLock)
            {
                served = _waiters;
                _waiters = [];
            }
            HashSet<ulong> asked;
            lock (_requestLock)
            {
                asked = _requested;
                _requested = [];
            }
            long start = Environment.TickCount64;
            _scanning = true;
            try
            {
                Scan();
            }
            finally
            {
                _scanning = false;
            }
            _lastScanTicks = Environment.TickCount64;
            _lastScanMs = _lastScanTicks - start;
            Interlocked.Increment(ref _scans);
            FrozenDictionary<ulong, ProcessOwner> map = _map;
            lock (_requestLock)
            {
                foreach (ulong inode in asked)
                {
                    if (!map.ContainsKey(inode))
                    {
                        _notFoundUntil[inode] = _lastScanTicks + (long)NotFoundBackoff.TotalMilliseconds;
                    }
                }
                if (_notFoundUntil.Count > 4096)
                {
                    foreach (ulong k in _notFoundUntil.Where(kv => kv.Value < _lastScanTicks).Select(kv => kv.Key).ToList())
                    {
                        _notFoundUntil.Remove(k);
                    }
                }
            }
            foreach (TaskCompletionSource w in served)
            {
                w.TrySetResult();
            }
            if (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private unsafe void Scan()
    {
        Dictionary<ulong, ProcessOwner> map = new(Math.Max(64, _map.Count));
        int processes = 0, denied = 0, fds = 0;
        byte* link = stackalloc byte[128];
        IEnumerable<string> pids;
        try
        {
            pids = Directory.EnumerateDirectories(_procRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _status = new(SourceName, SourceHealth.Unavailable, $"cannot list {_procRoot}: {e.Message}", "mount procfs at /proc");
            return;
        }
        foreach (string dir in pids)
        {
            if (_stop.IsCancellationRequested)
            {
                return; // shutting down: keep the last complete map
            }
            ReadOnlySpan<char> name = Path.GetFileName(dir.AsSpan());
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            processes++;
            string fdDir = dir + "/fd";
            byte[] fdPath = Encoding.UTF8.GetBytes(fdDir + "\0");
            int dfd;
            fixed (byte* p = fdPath)
            {
                dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
            }
            if (dfd < 0)
            {
                if (errno is 13 or 1) // EACCES, EPERM
                {
                    denied++;
                }
                continue; // or the process exited
            }
            string? comm = null;
            try
            {
                foreach (string entry in Directory.EnumerateFileSystemEntries(fdDir))
                {
                    fds++;
                    byte[] fdName = Encoding.ASCII.GetBytes(Path.GetFileName(entry) + "\0");
                    long n;
                    fixed (byte* f = fdName)
                    {
                        n = readlinkat(dfd, f, link, 127);
                    }
                    // "socket:[12345]"
                    ReadOnlySpan<byte> target = new(link, (int)Math.Max(0, n));
                    if (!target.StartsWith("socket:["u8) || target[^1] != (byte)']')
                    {
                        continue;
                    }
                    if (!ulong.TryParse(Encoding.ASCII.GetString(target[8..^1]), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
                    {
                        continue;
                    }
                    comm ??= ReadComm(dir);
                    map.TryAdd(inode, new ProcessOwner(pid, comm));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                denied += e is UnauthorizedAccessException ? 1 : 0;
            }
            finally
            {
                close(dfd);
            }
        }
        _map = map.ToFrozenDictionary();
        _status = denied > 0
            ? new(SourceName, SourceHealth.Degraded,
                $"{map.Count} sockets mapped; fd tables of {denied} of {processes} processes unreadable as uid {geteuid()}, their sockets show owner ?",
                "run as root (reading other users' /proc/<pid>/fd needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)")
            : SourceStatus.Ok(SourceName, $"{map.Count} sockets in {processes} processes ({fds} fds)");
    }

    private static string ReadComm(string dir)
    {
        try
        {
            return File.ReadAllText(dir + "/comm").TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        // The scan checks _stop between processes, so this returns within one process's fd table.
        if (_thread.Join(TimeSpan.FromSeconds(5)))
        {
            _wake.Dispose();
        }
    }
}
