using NetTop.Model.Net;
using NetTop.Model.Packets;

namespace NetTop.Model.Resets;

/// <summary>
/// The RSTs the watched namespace's capture saw in the last <see cref="Window"/>, one entry per 4-tuple, shared by
/// the two users that ask of a tracepoint event "did the capture see this reset?":
/// <list type="bullet">
/// <item><see cref="ResetNetnsAttributor"/>: any RST of the 4-tuple, either way (<see cref="TryGetLast"/>);</item>
/// <item><see cref="ReceivedResetResolver"/>: the newest RST one end received, with the wire's verdict on it
///   (<see cref="TryGetReceived"/>).</item>
/// </list>
/// The hub feeds it once per packet from the capture's reader (<see cref="ResetPacketConsumer"/>). Bounded: at most
/// its capacity in 4-tuples (<see cref="DefaultCapacity"/> unless told) (a flood's oldest are forgotten first), allocated once; recording a RST allocates
/// nothing. Not thread-safe: the hub calls it under its packet lock.
/// </summary>
public sealed class RecentResets
{
    public const int DefaultCapacity = 65_536;

    private struct Seen
    {
        public long ReceivedByA; // UTC ticks of the newest RST the key's first end received, 0 when none
        public long ReceivedByB;
        public byte VerdictA; // WireResetClassifier verdict codes of those RSTs
        public byte VerdictB;
    }

    private readonly RecentFlowTable<Seen> _table;

    public RecentResets(int capacity = DefaultCapacity, TimeSpan? window = null)
    {
        _table = new RecentFlowTable<Seen>(capacity);
        Window = window ?? TimeSpan.FromSeconds(2);
    }

    /// <summary>How long a RST is remembered (<see cref="Prune"/>).</summary>
    public TimeSpan Window { get; }
    /// <summary>4-tuples remembered now.</summary>
    public int Count => _table.Count;

    /// <summary>Records RST <paramref name="p"/> (the caller checked <see cref="PacketEvent.IsRst"/>) with the wire's
    /// verdict on it (<see cref="WireResetClassifier.JudgeCode"/>). An incoming one (or loopback: both ends are ours)
    /// is remembered as received by its destination.</summary>
    public void Observe(in PacketEvent p, byte verdict)
    {
        FlowKey key = new(p.Source, p.Destination, out bool swapped);
        Observe(in p, verdict, in key, swapped);
    }

    /// <summary><see cref="Observe(in PacketEvent, byte)"/> with the packet's key made already
    /// (<c>new FlowKey(p.Source, p.Destination, out swapped)</c>), as <see cref="Prefetch"/> needed it.</summary>
    public void Observe(in PacketEvent p, byte verdict, in FlowKey key, bool swapped)
    {
        long at = p.Time.UtcTicks;
        ref Seen s = ref _table.Upsert(in key, at, out _);
        if (!(p.IsLoopback || p.Direction == PacketDirection.In)) return;
        // Not swapped: the source is the key's first end, so the destination (the receiver) is its second.
        if (swapped)
        {
            s.ReceivedByA = at;
            s.VerdictA = verdict;
        }
        else
        {
            s.ReceivedByB = at;
            s.VerdictB = verdict;
        }
    }

    /// <summary>Cache hints for a batch's keys (<see cref="RecentFlowTable{T}.Prefetch"/>): stage 0 the index lines,
    /// stage 1 the entries.</summary>
    public void Prefetch(in FlowKey key, int stage)
    {
        if (stage == 0) _table.Prefetch(in key);
        else _table.PrefetchEntry(in key);
    }

    /// <summary>Records the RSTs among <paramref name="packets"/>, judged by <paramref name="wire"/> (which also
    /// remembers their SYNs): what <see cref="ResetPacketConsumer"/> does without classifying.</summary>
    public void Observe(ReadOnlySpan<PacketEvent> packets, WireResetClassifier wire)
    {
        foreach (ref readonly PacketEvent p in packets)
        {
            if (!p.IsTcp) continue;
            wire.Observe(in p);
            if (p.IsRst) Observe(in p, wire.JudgeCode(in p));
        }
    }

    /// <summary>The time of the newest RST between <paramref name="a"/> and <paramref name="b"/>, either way.</summary>
    public bool TryGetLast(NetEndpoint a, NetEndpoint b, out DateTimeOffset at)
    {
        FlowKey key = new(a, b);
        _table.Find(in key, out long ticks);
        at = ticks == 0 ? default : new DateTimeOffset(ticks, TimeSpan.Zero);
        return ticks != 0;
    }

    /// <summary>The newest RST <paramref name="receiver"/> got from <paramref name="sender"/>, and the wire's verdict on it.</summary>
    public bool TryGetReceived(NetEndpoint receiver, NetEndpoint sender, out DateTimeOffset at, out WireVerdict verdict)
    {
        FlowKey key = new(sender, receiver, out bool swapped);
        ref Seen s = ref _table.Find(in key, out _);
        long ticks = 0;
        byte code = 0;
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s))
        {
            (ticks, code) = swapped ? (s.ReceivedByA, s.VerdictA) : (s.ReceivedByB, s.VerdictB);
        }
        at = ticks == 0 ? default : new DateTimeOffset(ticks, TimeSpan.Zero);
        verdict = WireResetClassifier.Verdict(code);
        return ticks != 0;
    }

    /// <summary>Forgets RSTs older than <see cref="Window"/> before <paramref name="now"/>.</summary>
    public void Prune(DateTimeOffset now) => _table.Prune((now - Window).UtcTicks);
}
