using NetTop.Capture.Interop;
using NetTop.Capture.Namespaces;
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
    private SockDiagClient? _client;
    private string? _netlinkError;
    private readonly SocketTableBuilder _table = new();
    private volatile SourceStatus _status = new(SourceName, SourceHealth.Ok, "starting");

    public SocketsSource(NetnsThread thread, SocketsMode mode, bool tcpInfo, Func<TimeSpan> clock)
    {
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

    /// <summary>One full refresh; must run on the namespace's thread.</summary>
    public SocketsSample Poll()
    {
        SocketTableBuilder sockets = _table;
        sockets.Clear();
        ParseStats stats = default;
        if (_mode != SocketsMode.Proc && _netlinkError is null)
        {
            try
            {
                _client ??= SockDiagClient.Open();
                _client.Tap = Tap;
                byte ext = _tcpInfo ? (byte)(InetDiag.EXT_INFO | InetDiag.EXT_CONG | InetDiag.EXT_SKMEMINFO) : (byte)0;
                _client.Dump(InetDiag.AF_INET, ext, InetDiag.TCPF_ALL_BUT_BOUND_INACTIVE, sockets, ref stats, _pool);
                _client.Dump(InetDiag.AF_INET6, ext, InetDiag.TCPF_ALL_BUT_BOUND_INACTIVE, sockets, ref stats, _pool);
                int count = sockets.Count;
                _status = stats.Malformed > 0
                    ? new(SourceName, SourceHealth.Degraded, $"sock_diag: {count} sockets, {stats.Malformed} malformed messages skipped")
                    : SourceStatus.Ok(SourceName, $"sock_diag: {count} sockets");
                return new SocketsSample(_clock(), SocketsOrigin.SockDiag, sockets.Build(), stats.Malformed, stats.Interrupted, null);
            }
            catch (SockDiagException e)
            {
                // Keep the reason: it is what the UI says instead of showing Send-Q 0 like ss does.
                _netlinkError = e.Message;
                _client?.Dispose();
                _client = null;
                sockets.Clear();
                stats = default;
                if (_mode == SocketsMode.Netlink)
                {
                    _status = new(SourceName, SourceHealth.Unavailable, e.Message,
                        "a kernel with CONFIG_INET_DIAG and CONFIG_INET_TCP_DIAG (modprobe tcp_diag)");
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

    private SocketsSample PollProc(SocketTableBuilder sockets, ref ParseStats stats)
    {
        string reason = _mode == SocketsMode.Proc
            ? "sockets source set to proc (config Capture:Sockets=proc)"
            : $"sock_diag failed: {_netlinkError}";
        List<string> missing = [];
        foreach ((string file, Model.Net.IpFamily fam) in new[] { ("tcp", Model.Net.IpFamily.V4), ("tcp6", Model.Net.IpFamily.V6) })
        {
            try
            {
                ProcNetTcpParser.Parse(File.ReadAllText(ProcNet + file), fam, sockets, ref stats);
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
            _mode == SocketsMode.Proc
                ? "set Capture:Sockets to auto"
                : "a kernel with CONFIG_INET_DIAG and CONFIG_INET_TCP_DIAG (modprobe tcp_diag)");
        return new SocketsSample(_clock(), SocketsOrigin.ProcNet, sockets.Build(), stats.Malformed, false, reason);
    }

    public void Dispose() => _client?.Dispose();
}
