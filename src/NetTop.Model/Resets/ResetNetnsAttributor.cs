using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Model.Resets;

/// <summary>
/// Tracepoints are global: this decides whether a reset belongs to the watched network namespace.
/// The rule, first match wins:
/// <list type="number">
/// <item>A wire event came from this namespace's own capture: it is ours.</item>
/// <item>The socket cookie (tcp_receive_reset) is in one of the namespace's recent sock_diag snapshots (cookies
///   are global and unique, so a hit is exact). A socket is remembered for <see cref="CookieGenerations"/> snapshots
///   and at least <see cref="CookieRetention"/> after it was last seen, because the reset socket is often gone by the
///   next one and its event can reach the hub a few fast ticks later.</item>
/// <item>The event ran in process context (an active reset from close()) and that task's netns inode
///   (/proc/PID/task/TID/ns/net, read when the event arrived) equals the watched one: ours. (A different inode
///   is not proof on its own: a thread may close a socket it made in another namespace, as NetTop's own
///   namespace threads do.)</item>
/// <item>This namespace's packet capture saw a RST with the same 4-tuple (either orientation) within
///   <see cref="WireWindow"/>: ours. (Loopback addresses exist in every namespace, but two namespaces resetting
///   the same ports within that window is unlikely.)</item>
/// <item>Otherwise it is tagged <see cref="ResetEvent.OtherNetns"/>.</item>
/// </list>
/// Bounded: the live sockets plus those gone within the retention; the RSTs are <see cref="RecentResets"/>' (bounded there).
/// Not thread-safe: the hub calls it from its packet consumer and its tick under one lock.
/// </summary>
public sealed class ResetNetnsAttributor
{
    public const int CookieGenerations = 3;
    /// <summary>How long a socket's cookie is remembered after its last snapshot, when snapshots carry a time.</summary>
    public static readonly TimeSpan CookieRetention = TimeSpan.FromSeconds(5);
    public const int MaxPending = 65_536;

    private readonly ulong? _watchedInode;
    private readonly Dictionary<ulong, (TcpState State, long Generation, DateTimeOffset? At)> _cookies = [];
    private long _generation;
    private readonly RecentResets _rsts;
    private WireResetClassifier? _wire; // only for ObservePackets (tests); the hub feeds _rsts itself
    private readonly Queue<ResetEvent> _pending = new();

    /// <param name="watchedNetnsInode">The watched namespace's inode (stat of /run/netns/NAME or /proc/thread-self/ns/net
    /// on its thread); null when unknown (then process-context events fall through to the wire rule).</param>
    /// <param name="rsts">The RSTs the namespace's capture saw, shared with the received-reset resolver and fed by the
    /// hub's <see cref="ResetPacketConsumer"/>; null: one of its own, fed by <see cref="ObservePackets(ReadOnlySpan{PacketEvent})"/>.</param>
    public ResetNetnsAttributor(ulong? watchedNetnsInode, TimeSpan? wireWindow = null, RecentResets? rsts = null)
    {
        _watchedInode = watchedNetnsInode;
        WireWindow = wireWindow ?? TimeSpan.FromSeconds(2);
        _rsts = rsts ?? new RecentResets(window: WireWindow);
    }

    public TimeSpan WireWindow { get; }
    public ulong? WatchedNetnsInode => _watchedInode;
    /// <summary>4-tuples with a recent RST (in the shared memory, when it is shared).</summary>
    public int TrackedRsts => _rsts.Count;

    /// <summary>
    /// Remembers the cookies (and states) of one sock_diag snapshot of the watched namespace, and forgets sockets last
    /// seen <see cref="CookieGenerations"/> snapshots ago, and (with <paramref name="now"/>) more than
    /// <see cref="CookieRetention"/> ago.
    /// </summary>
    public void ObserveSockets(SocketTable sockets, DateTimeOffset? now = null)
    {
        long gen = ++_generation;
        foreach (ref readonly TcpSocket s in sockets.Span)
        {
            if (s.Cookie != 0) _cookies[s.Cookie] = (s.State, gen, now);
        }
        foreach (KeyValuePair<ulong, (TcpState State, long Generation, DateTimeOffset? At)> kv in _cookies)
        {
            bool old = gen - kv.Value.Generation >= CookieGenerations
                && (now is not { } t || kv.Value.At is not { } seen || t - seen > CookieRetention);
            if (old) _cookies.Remove(kv.Key); // removing while enumerating is allowed for Dictionary
        }
    }

    /// <summary>The socket's state in the newest remembered snapshot that held <paramref name="cookie"/>.</summary>
    public bool TryGetSocketState(ulong cookie, out TcpState state)
    {
        bool found = _cookies.TryGetValue(cookie, out var v);
        state = found ? v.State : TcpState.Unknown;
        return found;
    }

    /// <summary>Sockets whose cookie is remembered (live and recently gone).</summary>
    public int TrackedCookies => _cookies.Count;

    /// <summary>Remembers the RSTs the watched namespace's capture saw (other packets are ignored). The hub does not
    /// call this: its consumer feeds the shared <see cref="RecentResets"/> once per packet.</summary>
    public void ObservePackets(IEnumerable<PacketEvent> packets) => ObservePackets(packets.ToArray());

    /// <summary>The same for a span.</summary>
    public void ObservePackets(ReadOnlySpan<PacketEvent> packets) => _rsts.Observe(packets, _wire ??= new WireResetClassifier());

    /// <summary>Drops remembered RSTs older than the window before <paramref name="now"/>.</summary>
    public void Prune(DateTimeOffset now) => _rsts.Prune(now);

    /// <summary>Events waiting for their packet (see <see cref="AttributeSettled"/>).</summary>
    public int Pending => _pending.Count;

    /// <summary>
    /// The hub's per-tick call. A tracepoint event usually arrives before the capture hands over the block with
    /// its packet (blocks retire every 100 ms, the hub drains once a tick), so an event without positive evidence
    /// waits up to <see cref="SettleDelay"/> for one before it is tagged "other netns"; events with evidence go out
    /// at once. Feed the tick's packets with <see cref="ObservePackets"/> first. Bounded by <see cref="MaxPending"/>
    /// (past it the oldest waiting events are decided as they are).
    /// </summary>
    public void AttributeSettled(IEnumerable<ResetEvent> incoming, DateTimeOffset now, List<ResetEvent> output)
    {
        foreach (ResetEvent e in incoming)
        {
            _pending.Enqueue(e);
        }
        int n = _pending.Count;
        for (int i = 0; i < n; i++)
        {
            ResetEvent e = _pending.Dequeue();
            if (Belongs(e))
            {
                output.Add(e);
            }
            else if (now - e.Wall >= SettleDelay || _pending.Count + (n - i) > MaxPending)
            {
                output.Add(e with { NetnsTag = ResetEvent.OtherNetns });
            }
            else
            {
                _pending.Enqueue(e); // still young: wait for its packet
            }
        }
    }

    /// <summary>How long an undecided event waits for a matching packet (several block retirements and ticks).</summary>
    public TimeSpan SettleDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><paramref name="e"/> itself when it belongs to the watched namespace, else a copy tagged "other netns".</summary>
    public ResetEvent Attribute(ResetEvent e) => Belongs(e) ? e : e with { NetnsTag = ResetEvent.OtherNetns };

    public bool Belongs(ResetEvent e)
    {
        if (e.Origin == ResetOrigin.Wire) return true;
        if (e.Cookie != 0 && _cookies.ContainsKey(e.Cookie))
        {
            return true;
        }
        if (e.NetnsInode is { } inode && inode == _watchedInode)
        {
            return true;
        }
        if (_rsts.TryGetLast(e.Local, e.Remote, out DateTimeOffset seen) && (seen - e.Wall).Duration() <= WireWindow)
        {
            return true;
        }
        return false;
    }
}
