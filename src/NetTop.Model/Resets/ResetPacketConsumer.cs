using System.Runtime.CompilerServices;
using NetTop.Model.Packets;

namespace NetTop.Model.Resets;

/// <summary>
/// What the reset feed does with every captured packet, on the capture's reader thread (CaptureHub's packet
/// consumer, and the capture benchmark's, which must measure the same work): the SYNs are remembered for the
/// wire rules, each RST is judged once and recorded in <see cref="Rsts"/> (what the attributor and the received-reset
/// resolver look up for tracepoint events, so only while the tracepoints run), and with classification on (no
/// tracepoints) it becomes wire resets for the next tick, at most
/// <see cref="MaxWireResets"/> resets held between two ticks (a loopback RST's pair may end one past it; the rest are
/// counted in <see cref="WireResetsDropped"/>).
/// Not thread-safe: the hub calls it under its packet lock.
/// </summary>
public sealed class ResetPacketConsumer
{
    public const int DefaultMaxWireResets = 2 * 65_536;

    public ResetPacketConsumer(int maxWireResets = DefaultMaxWireResets, RecentResets? rsts = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxWireResets);
        MaxWireResets = maxWireResets;
        Rsts = rsts ?? new RecentResets();
    }

    public RecentResets Rsts { get; }
    public WireResetClassifier Wire { get; } = new();
    public int MaxWireResets { get; }

    /// <summary>Resets classified from the wire since the tick last took them (it clears the list).</summary>
    public List<ResetEvent> WireResets { get; } = [];

    /// <summary>RSTs not classified because <see cref="WireResets"/> was full.</summary>
    public long WireResetsDropped { get; private set; }

    // The batch's RST keys, made once: the memory's lookups are cache misses (the capture's block and ring writes
    // evict it between two RSTs of a flow), so all of them are hinted first and overlap, then looked up in order.
    private FlowKey[] _keys = new FlowKey[512];
    private bool[] _swapped = new bool[512];

    private int PrefetchRsts(ReadOnlySpan<PacketEvent> packets)
    {
        int n = 0;
        foreach (ref readonly PacketEvent p in packets)
        {
            if (!p.IsRst) continue;
            if (n == _keys.Length)
            {
                Array.Resize(ref _keys, n * 2);
                Array.Resize(ref _swapped, n * 2);
            }
            _keys[n] = new FlowKey(p.Source, p.Destination, out _swapped[n]);
            Rsts.Prefetch(in _keys[n], 0);
            n++;
        }
        for (int i = 0; i < n; i++) Rsts.Prefetch(in _keys[i], 1);
        return n;
    }

    /// <summary>Packets consumed.</summary>
    public long Packets { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    /// <param name="classify">Turn each RST into wire resets (no tracepoints).</param>
    /// <param name="remember">Record each RST in <see cref="Rsts"/> (only tracepoint events look there).</param>
    public void Consume(ReadOnlySpan<PacketEvent> packets, bool classify, bool remember = true)
    {
        Packets += packets.Length;
        RecentResets rsts = Rsts;
        WireResetClassifier wire = Wire;
        List<ResetEvent> wireResets = WireResets;
        int keys = remember ? PrefetchRsts(packets) : 0, k = 0;
        foreach (ref readonly PacketEvent p in packets)
        {
            if (!p.IsTcp) continue;
            wire.Observe(in p);
            if (!p.IsRst) continue;
            byte verdict = wire.JudgeCode(in p);
            if (remember)
            {
                if (k < keys) rsts.Observe(in p, verdict, in _keys[k], _swapped[k++]);
                else rsts.Observe(in p, verdict);
            }
            if (!classify) continue;
            if (wireResets.Count < MaxWireResets) WireResetClassifier.Emit(in p, verdict, wireResets);
            else WireResetsDropped++;
        }
    }
}
