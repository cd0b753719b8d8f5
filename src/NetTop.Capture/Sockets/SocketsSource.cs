using NetTop.Capture.Interop;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Recording;
using NetTop.Model;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Sockets;

/// <summary>How the sockets source reads the kernel.</summary>
public enum SocketsMode
{
    /// <summary>sock_diag; when it fails, /proc/thread-self/net/tcp{,6} and say so.</summary>
    Auto,
    /// <summary>sock_diag only; unavailable when it fails.</summary>
    Netlink,
    /// <summary>/proc/thread-self/net/tcp{,6} only, as `ss` does when tcp_diag is missing.</summary>
    Proc,
}

/// <summary>
/// Every TCP socket of one namespace per refresh: NETLINK_SOCK_DIAG dumps of AF_INET and AF_INET6 with
/// INET_DIAG_INFO (tcp_info), CONG and SKMEMINFO, request sockets included. Runs on the namespace's thread.
/// </summary>
public sealed class SocketsSource : ISource, IDisposable
{
    public const string SourceName = "sockets";
    private const string ProcNet = "/proc/thread-self/net/";

    private readonly NetnsThread _thread;
    private readonly SocketsMode _mode;
    private readonly bool _tcpInfo;
    private readonly Func<TimeSpan> _clock;
    private readonly AsciiPool _pool = new();
    private readonly CaptureIo _io;
    private ISockDiagDumper? _client;
    private string? _netlinkError;
    private int _netlinkErrno;
    private TimeSpan _netlinkFailedAt;
    private readonly SocketTableBuilder _table = new();
    private volatile SourceStatus _status = new(SourceName, SourceHealth.Ok, "starting");

    public SocketsSource(NetnsThread thread, SocketsMode mode, bool tcpInfo, Func<TimeSpan> clock)
        : this(thread, mode, tcpInfo, clock, CaptureIo.Kernel)
    {
    }

    /// <summary>With <paramref name="io"/> the bytes come from a recording tee or a replay instead of the kernel.</summary>
    internal SocketsSource(NetnsThread thread, SocketsMode mode, bool tcpInfo, Func<TimeSpan> clock, CaptureIo io)
    {
        _io = io;
        _thread = thread;
        _mode = mode;
        _tcpInfo = tcpInfo;
        _clock = clock;
    }

    public string Name => SourceName;

    public SourceStatus Status => _status;

    /// <summary>Set to receive each raw sock_diag recv buffer (recording, fixtures). Called on the netns thread.</summary>
    public Action<ReadOnlyMemory<byte>>? Tap { get; set; }

    public Task<SocketsSample> PollAsync(CancellationToken ct = default) => _thread.InvokeAsync(Poll, ct);

    /// <summary>A /proc text through the capture's I/O (recorded, replayed), or null when it cannot be read.</summary>
    private string? ReadOrNull(string path)
    {
        try
        {
            return _io.ReadText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>After sock_diag fails, how long the /proc fallback is used before sock_diag is tried again.</summary>
    private static readonly TimeSpan NetlinkRetry = TimeSpan.FromSeconds(30);

    /// <summary>One full refresh; must run on the namespace's thread.</summary>
    public SocketsSample Poll()
    {
        SocketTableBuilder sockets = _table;
        sockets.Clear();
        ParseStats stats = default;
        bool retry = _netlinkError is not null && _clock() - _netlinkFailedAt >= NetlinkRetry;
        if (_mode != SocketsMode.Proc && (_netlinkError is null || retry))
        {
            byte ext = _tcpInfo ? (byte)(InetDiag.EXT_INFO | InetDiag.EXT_CONG | InetDiag.EXT_SKMEMINFO) : (byte)0;
            string? v6Error = null;
            try
            {
                _client ??= _io.OpenSockDiag();
                _client.Tap = Tap;
                (bool dumpV4, bool dumpV6) = SockstatGate.Families(ReadOrNull(ProcNet + "sockstat"), ReadOrNull(ProcNet + "sockstat6"));
                if (dumpV4)
                {
                    _client.Dump(InetDiag.AF_INET, ext, InetDiag.TCPF_ALL_BUT_BOUND_INACTIVE, sockets, ref stats, _pool);
                }
                int v4 = sockets.Count;
                try
                {
                    if (dumpV6)
                    {
                        _client.Dump(InetDiag.AF_INET6, ext, InetDiag.TCPF_ALL_BUT_BOUND_INACTIVE, sockets, ref stats, _pool);
                    }
                }
                catch (SockDiagException e) when (e.Errno is 2 or 97) // ENOENT, EAFNOSUPPORT: no IPv6 in this kernel
                {
                    // Keep the IPv4 sockets; say that IPv6 ones are missing.
                    v6Error = e.Message;
                    while (sockets.Count > v4)
                    {
                        sockets.RemoveLast();
                    }
                    _client.Dispose();
                    _client = null;
                }
                _netlinkError = null;
                int count = sockets.Count;
                string detail = $"sock_diag: {count} sockets";
                if (stats.Interrupted)
                {
                    // NLM_F_DUMP_INTR: the hash table changed during the dump; a few sockets may be missing or doubled.
                    detail += "; dump interrupted by changes (inconsistent this tick)";
                }
                _status = (stats.Malformed, v6Error) switch
                {
                    (0, null) => SourceStatus.Ok(SourceName, detail),
                    (_, null) => new(SourceName, SourceHealth.Degraded, $"{detail}, {stats.Malformed} malformed messages skipped"),
                    _ => new(SourceName, SourceHealth.Degraded, $"{detail}; IPv6 sockets unknown: {v6Error}", "a kernel with IPv6 and CONFIG_INET_DIAG"),
                };
                return new SocketsSample(_clock(), SocketsOrigin.SockDiag, sockets.Build(), stats.Malformed, stats.Interrupted, null);
            }
            catch (SockDiagException e)
            {
                // Keep the reason: it is what the UI says instead of showing Send-Q 0 like ss does.
                _netlinkError = e.Message;
                _netlinkErrno = e.Errno;
                _netlinkFailedAt = _clock();
                _client?.Dispose();
                _client = null;
                sockets.Clear();
                stats = default;
                if (_mode == SocketsMode.Netlink)
                {
                    _status = new(SourceName, SourceHealth.Unavailable, e.Message, NetlinkFix(e.Errno));
                    return new SocketsSample(_clock(), SocketsOrigin.SockDiag, SocketTable.Empty, 0, false, e.Message);
                }
            }
        }
        if (_mode == SocketsMode.Netlink)
        {
            return new SocketsSample(_clock(), SocketsOrigin.SockDiag, SocketTable.Empty, 0, false, _netlinkError);
        }
        return PollProc(sockets, ref stats);
    }

    /// <summary>What would make sock_diag work, by the errno it failed with.</summary>
    private static string NetlinkFix(int errno) => errno switch
    {
        1 or 13 => "NETLINK_SOCK_DIAG is denied (EPERM/EACCES): a seccomp filter or LSM policy blocks it; run NetTop outside that sandbox",
        11 => "the kernel did not finish the dump in time; it is retried every 30 s",
        _ => "a kernel with CONFIG_INET_DIAG and CONFIG_INET_TCP_DIAG (modprobe tcp_diag)",
    };

    private SocketsSample PollProc(SocketTableBuilder sockets, ref ParseStats stats)
    {
        string reason = _mode == SocketsMode.Proc
            ? "sockets source set to proc (config Capture:Sockets=proc)"
            : $"sock_diag failed: {_netlinkError} (retried every {NetlinkRetry.TotalSeconds:0} s)";
        List<string> missing = [];
        foreach ((string file, Model.Net.IpFamily fam) in new[] { ("tcp", Model.Net.IpFamily.V4), ("tcp6", Model.Net.IpFamily.V6) })
        {
            try
            {
                ProcNetTcpParser.Parse(_io.ReadText(ProcNet + file), fam, sockets, ref stats);
            }
            catch (IOException e)
            {
                missing.Add($"{file}: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                missing.Add($"{file}: {e.Message}");
            }
        }
        string detail = $"{reason}; reading /proc/net/tcp{{,6}} ({sockets.Count} sockets): max backlog, tcp_info and drops unknown";
        if (missing.Count > 0)
        {
            detail += "; " + string.Join("; ", missing);
        }
        _status = new(SourceName, missing.Count == 2 ? SourceHealth.Unavailable : SourceHealth.Degraded, detail,
            _mode == SocketsMode.Proc ? "set Capture:Sockets to auto" : NetlinkFix(_netlinkErrno));
        return new SocketsSample(_clock(), SocketsOrigin.ProcNet, sockets.Build(), stats.Malformed, false, reason);
    }

    public void Dispose() => _client?.Dispose();
}
