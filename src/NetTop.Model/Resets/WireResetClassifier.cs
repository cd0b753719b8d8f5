using NetTop.Model.Net;

namespace NetTop.Model.Resets;

/// <summary>The wire's verdict on one RST segment; <paramref name="AnswersSyn"/>: it refused a SYN this capture saw
/// (so its receiver was in SYN_SENT).</summary>
public readonly record struct WireVerdict(ResetKind Kind, string Explanation, bool AnswersSyn);

/// <summary>
/// Classifies captured RST segments when the tracepoints are unavailable (not root, no tracefs, old kernel).
/// Rules (what the kernel's tcp_v4_send_reset / tcp_send_active_reset put on the wire):
/// <list type="bullet">
/// <item>RST without ACK → passive (a reply: its sequence is the acknowledgement of the segment it answers).</item>
/// <item>RST+ACK with sequence 0 answering a SYN this capture saw (ack = SYN's seq + 1) → passive, connection
///   refused. RST+ACK with sequence 0 without that SYN → passive too (the kernel answers any segment without
///   ACK this way; an active reset carries snd_nxt, which is 0 with chance 2^-32).</item>
/// <item>any other RST+ACK → active (the host aborted its own connection).</item>
/// </list>
/// Direction: outgoing → sent, incoming → received. A loopback RST is both, so it yields two events.
/// With tracepoints the same rules give a received reset its kind (<see cref="ReceivedResetResolver"/>).
/// Not thread-safe: the hub feeds it from its packet consumer and its tick under one lock. SYN memory is bounded.
/// </summary>
public sealed class WireResetClassifier
{
    public const int DefaultSynCapacity = 4096;

    private readonly int _synCapacity;
    private readonly Dictionary<(NetEndpoint From, NetEndpoint To), uint> _syns = [];
    private readonly Queue<(NetEndpoint, NetEndpoint)> _synOrder = new();

    public WireResetClassifier(int synCapacity = DefaultSynCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(synCapacity);
        _synCapacity = synCapacity;
    }

    /// <summary>SYNs remembered right now (bounded by the capacity).</summary>
    public int TrackedSyns => _syns.Count;

    /// <summary>Adds the resets <paramref name="packet"/> stands for to <paramref name="into"/> (0, 1 or 2); remembers SYNs.</summary>
    public int Classify(in PacketEvent packet, List<ResetEvent> into)
    {
        if (!packet.IsTcp)
        {
            return 0;
        }
        Observe(in packet);
        if (!packet.IsRst)
        {
            return 0;
        }
        WireVerdict v = Judge(in packet);
        int added = 0;
        if (packet.IsLoopback || packet.Direction == PacketDirection.Out)
        {
            into.Add(Make(packet, ResetDirection.Sent, v, packet.Source, packet.Destination));
            added++;
        }
        if (packet.IsLoopback || packet.Direction == PacketDirection.In)
        {
            // The receiver cannot know the sender's kind; the wire tells it anyway, so keep it.
            into.Add(Make(packet, ResetDirection.Received, v, packet.Destination, packet.Source));
            added++;
        }
        return added;
    }

    /// <summary>Remembers a SYN (without ACK) so a later RST+ACK can be recognised as its refusal; ignores the rest.</summary>
    public void Observe(in PacketEvent packet)
    {
        if (packet.IsTcp && (packet.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn)
        {
            RememberSyn(packet.Source, packet.Destination, packet.Seq);
        }
    }

    /// <summary>The kind of a RST segment by the rules above (feed the SYNs before it with <see cref="Observe"/>).</summary>
    public WireVerdict Judge(in PacketEvent p)
    {
        if ((p.Flags & TcpFlags.Ack) == 0)
        {
            return new(ResetKind.Passive, "wire: RST without ACK, a reply to a segment that carried an ACK", false);
        }
        if (p.Seq == 0)
        {
            // The SYN went the other way: from the RST's destination to its source.
            if (_syns.TryGetValue((p.Destination, p.Source), out uint synSeq) && unchecked(synSeq + 1) == p.Ack)
            {
                _syns.Remove((p.Destination, p.Source));
                return new(ResetKind.Passive, "wire: RST+ACK answering a SYN: connection refused (nothing listening)", true);
            }
            return new(ResetKind.Passive, "wire: RST+ACK with sequence 0, a reply to a segment without ACK", false);
        }
        return new(ResetKind.Active, "wire: RST+ACK inside a connection: the sender aborted it", false);
    }

    private void RememberSyn(NetEndpoint from, NetEndpoint to, uint seq)
    {
        if (_syns.TryAdd((from, to), seq))
        {
            _synOrder.Enqueue((from, to));
            while (_synOrder.Count > _synCapacity)
            {
                _syns.Remove(_synOrder.Dequeue());
            }
        }
        else
        {
            _syns[(from, to)] = seq;
        }
    }

    private static ResetEvent Make(in PacketEvent p, ResetDirection dir, WireVerdict v, NetEndpoint local, NetEndpoint remote) => new()
    {
        Wall = p.Time,
        Direction = dir,
        Kind = v.Kind,
        KindFromWire = true,
        // Refused: the connecting side was in SYN_SENT when the reset came back.
        State = v.AnswersSyn && dir == ResetDirection.Received ? Sockets.TcpState.SynSent : Sockets.TcpState.Unknown,
        Reason = ResetReasons.Unknown,
        Explanation = v.Explanation,
        Local = local,
        Remote = remote,
        Origin = ResetOrigin.Wire,
    };
}
