using System.Runtime.CompilerServices;
using NetTop.Model.Net;
using NetTop.Model.Packets;

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

    // The verdicts Judge gives, by code (RecentResets keeps the code, not the string).
    private const byte NoAck = 0, Refused = 1, SeqZero = 2, Abort = 3;
    private static readonly WireVerdict[] Verdicts =
    [
        new(ResetKind.Passive, "wire: RST without ACK, a reply to a segment that carried an ACK", false),
        new(ResetKind.Passive, "wire: RST+ACK answering a SYN: connection refused (nothing listening)", true),
        new(ResetKind.Passive, "wire: RST+ACK with sequence 0, a reply to a segment without ACK", false),
        new(ResetKind.Active, "wire: RST+ACK inside a connection: the sender aborted it", false),
    ];

    // The SYN each end of a flow sent last (a flow's two ends share one entry).
    private struct Syns
    {
        public uint SeqA; // sent by the key's first end
        public uint SeqB;
        public byte Has; // 1: SeqA is set, 2: SeqB is set
    }

    private readonly RecentFlowTable<Syns> _syns;

    public WireResetClassifier(int synCapacity = DefaultSynCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(synCapacity);
        _syns = new RecentFlowTable<Syns>(synCapacity);
    }

    /// <summary>Flows with a remembered SYN right now (bounded by the capacity; the least recently updated go first).</summary>
    public int TrackedSyns => _syns.Count;

    /// <summary>The verdict a <see cref="JudgeCode"/> stands for.</summary>
    public static WireVerdict Verdict(byte code) => Verdicts[code < Verdicts.Length ? code : 0];

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
        return Emit(in packet, JudgeCode(in packet), into);
    }

    /// <summary>Adds the resets RST <paramref name="packet"/> stands for, with the verdict <paramref name="code"/> it was
    /// judged (<see cref="JudgeCode"/>), to <paramref name="into"/>: 1, or 2 for loopback.</summary>
    public static int Emit(in PacketEvent packet, byte code, List<ResetEvent> into)
    {
        WireVerdict v = Verdicts[code];
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
    public WireVerdict Judge(in PacketEvent p) => Verdicts[JudgeCode(in p)];

    /// <summary><see cref="Judge"/> as a code (<see cref="Verdict"/> turns it back). A SYN it matches is forgotten.</summary>
    public byte JudgeCode(in PacketEvent p)
    {
        if ((p.Flags & TcpFlags.Ack) == 0) return NoAck;
        if (p.Seq != 0) return Abort;
        // The SYN went the other way: from the RST's destination to its source.
        FlowKey key = new(p.Destination, p.Source, out bool swapped);
        ref Syns s = ref _syns.Find(in key, out _);
        if (!Unsafe.IsNullRef(ref s))
        {
            byte mine = swapped ? (byte)2 : (byte)1;
            uint seq = swapped ? s.SeqB : s.SeqA;
            if ((s.Has & mine) != 0 && unchecked(seq + 1) == p.Ack)
            {
                s.Has &= (byte)~mine;
                if (s.Has == 0) _syns.Remove(in key);
                return Refused;
            }
        }
        return SeqZero;
    }

    private void RememberSyn(NetEndpoint from, NetEndpoint to, uint seq)
    {
        FlowKey key = new(from, to, out bool swapped);
        ref Syns s = ref _syns.Upsert(in key, 0, out _);
        if (swapped)
        {
            s.SeqB = seq;
            s.Has |= 2;
        }
        else
        {
            s.SeqA = seq;
            s.Has |= 1;
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
