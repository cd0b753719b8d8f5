using System.Runtime.CompilerServices;
using NetTop.Model.Net;
using NetTop.Model.Resets;

namespace NetTop.Model.Packets;

/// <summary>
/// The control packets the capture passed (SYN, SYN-ACK, FIN, RST, ICMP errors), kept per flow with their captured
/// bytes, so a connection's detail can show its timeline and `w` can write it to a pcap after the fact. A flow is the
/// 4-tuple with its ends in a fixed order (both directions meet; v4-mapped addresses unmapped); an ICMP error joins
/// the flow of the packet it quotes.
/// Bounded three ways, so a reset flood of new 4-tuples cannot grow it: at most <see cref="MaxFlows"/> flows, each
/// keeping its newest <see cref="PacketsPerFlow"/> packets, and <see cref="MaxPackets"/> packets in all; the least
/// recently updated flow is evicted first. All of it is allocated once (<see cref="BytesReserved"/>, ~4 MB with the
/// defaults), so a full store under a flood allocates nothing per packet. Not thread-safe: the capture's reader adds under its lock.
/// </summary>
public sealed class FlowPacketStore
{
    public const int DefaultMaxFlows = 4096;
    public const int DefaultPacketsPerFlow = 32;
    public const int DefaultMaxPackets = 8192;
    public const int DefaultSnapLength = 256;
    /// <summary>pcap consumers need the IP and TCP headers, and an ICMP error's quote: never keep less.</summary>
    public const int MinSnapLength = 128;

    private struct Slot
    {
        public PacketEvent Event;
        public LinkHeader Link;
        public int Length;
    }

    // A flow's links and counts, apart from its key and packets: evicting the oldest flow under a reset flood (every
    // packet) walks only these, the slots' links and the index, small arrays that stay in cache, not the flow's key
    // or its packets' ~200-byte slots.
    private struct Flow
    {
        public int Newer; // LRU list of flows, -1 at the ends; for a free flow, the next free one
        public int Older;
        public int Oldest; // the flow's packets, a list of slots from the oldest
        public int Newest;
        public int Count;
        public int Hash; // its key's, to find its index entry without the key
    }

    // Everything lives in arrays made (and touched) once: adding a packet allocates nothing and stores no reference.
    private readonly Slot[] _slots;
    private readonly int[] _next; // slot i's flow's next newer packet, or -1; for a free slot, the next free one
    private readonly FlowKey[] _keys; // flow i's key
    private readonly byte[] _bytes; // slot i's captured bytes at i * SnapLength
    private readonly Flow[] _flowArray;
    // The flows' index (id = flow): a reset flood brings a new flow per packet, so a lookup that misses, the oldest
    // flow's removal and an insertion, each a few cache lines of this table and one flow.
    private readonly FlowKeyIndex _index;
    private int _flowCount;
    private int _freeSlot;
    private int _freeFlow;
    private int _newest = -1;
    private int _oldest = -1;
    private int _packets;

    public FlowPacketStore(int maxFlows = DefaultMaxFlows, int packetsPerFlow = DefaultPacketsPerFlow,
        int maxPackets = DefaultMaxPackets, int snapLength = DefaultSnapLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFlows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(packetsPerFlow);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPackets, packetsPerFlow);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, MinSnapLength);
        MaxFlows = maxFlows;
        PacketsPerFlow = packetsPerFlow;
        MaxPackets = maxPackets;
        SnapLength = snapLength;
        _slots = new Slot[maxPackets];
        _next = new int[maxPackets];
        _keys = new FlowKey[maxFlows];
        _bytes = new byte[(long)maxPackets * snapLength];
        _flowArray = new Flow[maxFlows];
        _index = new FlowKeyIndex(maxFlows, _keys);
        for (int i = 0; i < maxPackets; i++) _next[i] = i + 1 < maxPackets ? i + 1 : -1;
        for (int i = 0; i < maxFlows; i++) _flowArray[i].Newer = i + 1 < maxFlows ? i + 1 : -1;
        // Commit the pages now (the first pass of a reset flood would otherwise fault them in one by one).
        Array.Clear(_bytes);
    }

    public int MaxFlows { get; }
    public int PacketsPerFlow { get; }
    public int MaxPackets { get; }
    /// <summary>Bytes kept of each packet (from the network header); longer packets are cut.</summary>
    public int SnapLength { get; }
    public int FlowCount => _flowCount;
    public int PacketCount => _packets;
    /// <summary>The store's memory bound in bytes (arrays allocated once at construction).</summary>
    public long BytesReserved => _bytes.LongLength + (long)_slots.Length * (Unsafe.SizeOf<Slot>() + sizeof(int))
        + (long)_flowArray.Length * (Unsafe.SizeOf<Flow>() + Unsafe.SizeOf<FlowKey>()) + _index.Bytes;
    public long FlowsEvicted { get; private set; }
    public long PacketsEvicted { get; private set; }
    public long PacketsAdded { get; private set; }

    /// <summary>The flow a packet belongs to, or null when it is no control packet (TCP without SYN/FIN/RST,
    /// ICMP that is no error or quotes too little).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryGetFlow(in PacketEvent e, out FlowKey key)
    {
        if (e.IsTcp && (e.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0)
        {
            key = new FlowKey(e.Source, e.Destination);
            return true;
        }
        if (e.IsIcmpError && e.InnerSource is { } s && e.InnerDestination is { } d && (s.Port | d.Port) != 0)
        {
            key = new FlowKey(s, d);
            return true;
        }
        key = default;
        return false;
    }

    /// <summary>Keeps <paramref name="e"/> with the first <see cref="SnapLength"/> bytes of <paramref name="data"/>;
    /// false when it is no control packet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Add(in PacketEvent e, ReadOnlySpan<byte> data, in LinkHeader link)
    {
        if (!TryGetFlow(in e, out FlowKey key)) return false;
        int f = _index.Find(in key, out int at);
        if (f >= 0)
        {
            Unlink(f);
        }
        else
        {
            // A new flow (every packet of a reset flood): one failed lookup, the eviction's removal, one insertion.
            if (_freeFlow < 0)
            {
                EvictOldest();
                _index.Find(in key, out at); // the removal may have shifted entries into the probe chain
            }
            f = _freeFlow;
            _index.Set(at, key.GetHashCode(), f);
            _flowCount++;
            _freeFlow = _flowArray[f].Newer;
            _flowArray[f] = new Flow { Oldest = -1, Newest = -1, Hash = key.GetHashCode() };
            _keys[f] = key;
        }
        LinkNewest(f);
        ref Flow flow = ref _flowArray[f];
        if (flow.Count == PacketsPerFlow) DropOldestPacket(ref flow);
        while (_freeSlot < 0 && _oldest != f) EvictOldest();
        if (_freeSlot < 0) DropOldestPacket(ref flow); // this flow is the only one left
        int slot = _freeSlot;
        _freeSlot = _next[slot];
        int n = Math.Min(data.Length, SnapLength);
        data[..n].CopyTo(_bytes.AsSpan(slot * SnapLength, SnapLength));
        _slots[slot] = new Slot { Event = e, Link = link, Length = n };
        _next[slot] = -1;
        if (flow.Newest >= 0) _next[flow.Newest] = slot;
        else flow.Oldest = slot;
        flow.Newest = slot;
        flow.Count++;
        _packets++;
        PacketsAdded++;
        return true;
    }

    /// <summary>The flow's decoded packets, oldest first (a copy; empty when the flow is not kept).</summary>
    public IReadOnlyList<PacketEvent> Packets(NetEndpoint local, NetEndpoint remote)
    {
        int f = _index.Find(new FlowKey(local, remote), out _);
        if (f < 0) return [];
        PacketEvent[] r = new PacketEvent[_flowArray[f].Count];
        int i = 0;
        for (int s = _flowArray[f].Oldest; s >= 0; s = _next[s]) r[i++] = _slots[s].Event;
        return r;
    }

    /// <summary>The flow's packets with copies of their bytes, oldest first (for a pcap).</summary>
    public IReadOnlyList<CapturedPacket> Captured(NetEndpoint local, NetEndpoint remote)
    {
        int f = _index.Find(new FlowKey(local, remote), out _);
        if (f < 0) return [];
        CapturedPacket[] r = new CapturedPacket[_flowArray[f].Count];
        int i = 0;
        for (int s = _flowArray[f].Oldest; s >= 0; s = _next[s])
        {
            r[i++] = new CapturedPacket(_slots[s].Event, _slots[s].Link, _bytes.AsSpan(s * SnapLength, _slots[s].Length).ToArray());
        }
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DropOldestPacket(ref Flow flow)
    {
        int s = flow.Oldest;
        flow.Oldest = _next[s];
        if (flow.Oldest < 0) flow.Newest = -1;
        FreeSlot(s);
        flow.Count--;
        _packets--;
        PacketsEvicted++;
    }

    private void FreeSlot(int s)
    {
        _next[s] = _freeSlot; // the stale event stays: it holds no reference
        _freeSlot = s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EvictOldest()
    {
        int f = _oldest;
        Unlink(f);
        ref Flow flow = ref _flowArray[f];
        _index.Remove(flow.Hash, f);
        _flowCount--;
        for (int s = flow.Oldest; s >= 0;)
        {
            int next = _next[s];
            FreeSlot(s);
            s = next;
        }
        _packets -= flow.Count;
        PacketsEvicted += flow.Count;
        FlowsEvicted++;
        flow = new Flow { Newer = _freeFlow, Older = -1, Oldest = -1, Newest = -1 };
        _freeFlow = f;
    }

    private void LinkNewest(int f)
    {
        _flowArray[f].Older = _newest;
        _flowArray[f].Newer = -1;
        if (_newest >= 0) _flowArray[_newest].Newer = f;
        _newest = f;
        if (_oldest < 0) _oldest = f;
    }

    private void Unlink(int f)
    {
        ref Flow flow = ref _flowArray[f];
        if (flow.Newer >= 0) _flowArray[flow.Newer].Older = flow.Older;
        else _newest = flow.Older;
        if (flow.Older >= 0) _flowArray[flow.Older].Newer = flow.Newer;
        else _oldest = flow.Newer;
        flow.Newer = flow.Older = -1;
    }

}

/// <summary>
/// A flow's 4-tuple with its ends in a fixed order (so both directions meet; v4-mapped addresses unmapped), compared
/// as plain numbers with its hash computed once: the capture's reader looks one up per packet.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    private readonly ulong _aHi, _aLo, _bHi, _bLo;
    private readonly uint _ports; // a's port << 16 | b's port
    private readonly ushort _families;
    private readonly int _hash;

    public FlowKey(NetEndpoint a, NetEndpoint b) : this(a, b, out _)
    {
    }

    /// <param name="swapped">True when <paramref name="b"/> is the key's first end (<see cref="RecentFlowTable{T}"/>
    /// keeps per-direction facts under the one key).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public FlowKey(NetEndpoint a, NetEndpoint b, out bool swapped)
    {
        a = a.Unmapped;
        b = b.Unmapped;
        UInt128 x = a.Address, y = b.Address;
        swapped = x > y || (x == y && a.Port > b.Port);
        if (swapped) (a, b, x, y) = (b, a, y, x);
        _aHi = (ulong)(x >> 64);
        _aLo = (ulong)x;
        _bHi = (ulong)(y >> 64);
        _bLo = (ulong)y;
        _ports = (uint)a.Port << 16 | b.Port;
        _families = (ushort)((int)a.Family << 8 | (int)b.Family);
        _hash = HashCode.Combine(_aLo ^ _aHi, _bLo ^ _bHi, _ports, _families);
    }

    public bool Equals(FlowKey o) =>
        _hash == o._hash && _aLo == o._aLo && _bLo == o._bLo && _ports == o._ports && _aHi == o._aHi && _bHi == o._bHi
        && _families == o._families;

    public override bool Equals(object? obj) => obj is FlowKey k && Equals(k);

    public override int GetHashCode() => _hash;

    public static bool operator ==(FlowKey l, FlowKey r) => l.Equals(r);

    public static bool operator !=(FlowKey l, FlowKey r) => !l.Equals(r);
}
