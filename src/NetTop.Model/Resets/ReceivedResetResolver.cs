using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Model.Resets;

/// <summary>
/// tcp_receive_reset says which socket got a reset but not what kind the peer sent (its reason never travels) nor
/// the socket's state. This fills both in for received tracepoint resets of the watched namespace:
/// <list type="bullet">
/// <item>kind: from the matching RST segment the namespace's capture saw (peer → us, same 4-tuple, within
///   <see cref="Window"/>), by <see cref="WireResetClassifier"/>'s rules (RST without ACK → passive; RST+ACK answering
///   our SYN → passive; other RST+ACK → active), marked <see cref="ResetEvent.KindFromWire"/>;</item>
/// <item>state: SYN_SENT when that segment refused our SYN; otherwise the socket's state in the namespace's recent
///   sock_diag snapshots, found by the event's cookie (<see cref="ResetNetnsAttributor.TryGetSocketState"/>).</item>
/// </list>
/// The segment's block is often handed over after the event (blocks retire every 100 ms, the hub's consumer takes it then; a
/// tick may come first), so while the capture runs an event without its segment waits up to <see cref="SettleDelay"/>. Bounded:
/// the RSTs are <see cref="RecentResets"/>' (bounded there), at most <see cref="MaxPending"/> waiting events.
/// Not thread-safe: the hub calls it from its packet consumer and its tick under one lock.
/// </summary>
public sealed class ReceivedResetResolver
{
    public const int MaxPending = 65_536;

    private readonly RecentResets _rsts;
    private WireResetClassifier? _wire; // only for ObservePackets (tests); the hub feeds _rsts itself
    private readonly Queue<ResetEvent> _pending = new();

    /// <param name="rsts">The RSTs the namespace's capture saw, shared with the attributor and fed by the hub's
    /// <see cref="ResetPacketConsumer"/>; null: one of its own, fed by <see cref="ObservePackets"/>.</param>
    public ReceivedResetResolver(RecentResets? rsts = null)
    {
        _rsts = rsts ?? new RecentResets();
    }

    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan SettleDelay { get; init; } = TimeSpan.FromSeconds(2);
    public int TrackedRsts => _rsts.Count;
    public int Pending => _pending.Count;

    /// <summary>Remembers SYNs and RSTs of one tick's packets. The hub does not call this: its consumer feeds the shared
    /// <see cref="RecentResets"/> once per packet.</summary>
    public void ObservePackets(ReadOnlySpan<PacketEvent> packets) => _rsts.Observe(packets, _wire ??= new WireResetClassifier());

    /// <summary>
    /// Passes <paramref name="incoming"/> to <paramref name="output"/>, received tracepoint resets of the watched
    /// namespace with their kind and state filled in when known. With <paramref name="awaitPackets"/> (the capture is
    /// running) one whose segment has not arrived yet waits for it, up to <see cref="SettleDelay"/> after it happened.
    /// </summary>
    public void Resolve(IEnumerable<ResetEvent> incoming, DateTimeOffset now, ResetNetnsAttributor? sockets, bool awaitPackets, List<ResetEvent> output)
    {
        foreach (ResetEvent e in incoming)
        {
            if (NeedsResolving(e)) _pending.Enqueue(e);
            else output.Add(e);
        }
        int n = _pending.Count;
        for (int i = 0; i < n; i++)
        {
            ResetEvent e = _pending.Dequeue();
            if (_rsts.TryGetReceived(e.Local, e.Remote, out DateTimeOffset at, out WireVerdict verdict) && (at - e.Wall).Duration() <= Window)
            {
                output.Add(e with
                {
                    Kind = verdict.Kind,
                    KindFromWire = true,
                    State = verdict.AnswersSyn ? TcpState.SynSent : StateOf(e, sockets),
                    Explanation = "the peer reset the connection; " + verdict.Explanation,
                });
            }
            else if (awaitPackets && now - e.Wall < SettleDelay && _pending.Count + (n - i) <= MaxPending)
            {
                _pending.Enqueue(e);
            }
            else
            {
                output.Add(e with { State = StateOf(e, sockets) });
            }
        }
    }

    /// <summary>Drops remembered RSTs older than the memory's window before <paramref name="now"/>.</summary>
    public void Prune(DateTimeOffset now) => _rsts.Prune(now);

    private static bool NeedsResolving(ResetEvent e) =>
        e.Direction == ResetDirection.Received && e.Origin == ResetOrigin.Tracepoint && e.Kind == ResetKind.Unknown && e.NetnsTag is null;

    /// <summary>
    /// Gives freshly drained received resets the state their socket had in the recent socket tables, before they wait
    /// for attribution or their segment: a socket that received a reset is gone from the table within a tick or two,
    /// and the attributor remembers only <see cref="ResetNetnsAttributor.CookieGenerations"/> tables.
    /// </summary>
    public static void StampStates(List<ResetEvent> drained, ResetNetnsAttributor sockets)
    {
        for (int i = 0; i < drained.Count; i++)
        {
            ResetEvent e = drained[i];
            if (e.Direction == ResetDirection.Received && e.State == TcpState.Unknown && e.Cookie != 0
                && sockets.TryGetSocketState(e.Cookie, out TcpState s))
            {
                drained[i] = e with { State = s };
            }
        }
    }

    private static TcpState StateOf(ResetEvent e, ResetNetnsAttributor? sockets) =>
        e.State != TcpState.Unknown ? e.State
        : e.Cookie != 0 && sockets is not null && sockets.TryGetSocketState(e.Cookie, out TcpState s) ? s
        : TcpState.Unknown;
}
