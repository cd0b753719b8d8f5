using System.Runtime.CompilerServices;
using NetTop.Model.Net;
using NetTop.Model.Resets;

namespace NetTop.Model.Packets;

/// <summary>Decodes a captured packet (the capture's PacketDecoder.TryDecode): how the store turns kept bytes back
/// into events when they are asked for.</summary>
public delegate bool PacketDecodeFunc(ReadOnlySpan<byte> data, ushort protocol, int ifIndex, byte pktType, DateTimeOffset time, int wireLength, out PacketEvent e);

/// <summary>
/// The newest control packets the capture passed (SYN, SYN-ACK, FIN, RST, ICMP errors) with their captured bytes, so
/// a connection's detail can show its timeline and `w` can write it to a pcap after the fact. A flow is the 4-tuple
/// with its ends in a fixed order (both directions meet; v4-mapped addresses unmapped); an ICMP error joins the flow
/// of the packet it quotes.
/// <para>
/// Kept as the capture saw them, in one ring of <see cref="Capacity"/> packets (the oldest overwritten first), and
/// sorted into flows only when a flow is asked for: adding is the reader's per-packet cost, so it is a copy of the
/// packet's bytes and a ~48-byte header into the next slot, with no lookup; a query decodes the ring's packets
/// again (<see cref="PacketDecodeFunc"/>) and keeps the flow's, a few milliseconds at most, when a detail screen or
/// `w` asks. With the defaults that is the last 16,384 control packets: ~30 minutes of a server's connections at
/// 100 new ones per second, a third of a second of a 50,000/s reset flood.
/// </para>
/// All of it is allocated once (<see cref="BytesReserved"/>, ~5 MB with the defaults, touched as it fills), so a
/// full store under a flood allocates nothing per packet. Not thread-safe: the capture's reader adds under its lock.
/// </summary>
public sealed class FlowPacketStore
{
    public const int DefaultCapacity = 16_384;
    public const int DefaultSnapLength = 256;
    /// <summary>pcap consumers need the IP and TCP headers, and an ICMP error's quote: never keep less.</summary>
    public const int MinSnapLength = 128;

    private struct Slot
    {
        public long Ticks; // UTC
        public int WireLength;
        public int IfIndex;
        public int Length; // bytes kept
        public LinkHeader Link;
    }

    private readonly PacketDecodeFunc _decode;
    private readonly Slot[] _slots;
    private readonly byte[] _bytes; // slot i's captured bytes at i * SnapLength
    private int _head; // the slot the next packet takes
    private int _count;

    public FlowPacketStore(PacketDecodeFunc decode, int capacity = DefaultCapacity, int snapLength = DefaultSnapLength)
    {
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, MinSnapLength);
        _decode = decode;
        Capacity = capacity;
        SnapLength = snapLength;
        _slots = new Slot[capacity];
        _bytes = new byte[(long)capacity * snapLength];
    }

    /// <summary>Packets kept at most (the newest).</summary>
    public int Capacity { get; }
    /// <summary>Bytes kept of each packet (from the network header); longer packets are cut.</summary>
    public int SnapLength { get; }
    public int PacketCount => _count;
    /// <summary>The store's memory bound in bytes (arrays allocated once at construction).</summary>
    public long BytesReserved => _bytes.LongLength + (long)_slots.Length * Unsafe.SizeOf<Slot>();
    public long PacketsEvicted { get; private set; }
    public long PacketsAdded { get; private set; }

    /// <summary>The flow a packet belongs to, or false when it is no control packet (TCP without SYN/FIN/RST,
    /// ICMP that is no error or quotes too little).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryGetFlow(in PacketEvent e, out FlowKey key)
    {
        if (e.IsTcp && (e.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0)
        {
            key = new FlowKey(e.Source, e.Destination);
            return true;
        }
        if (IsQuotingIcmpError(in e))
        {
            key = new FlowKey(e.InnerSource!.Value, e.InnerDestination!.Value);
            return true;
        }
        key = default;
        return false;
    }

    /// <summary>Whether <paramref name="e"/> is kept: a control packet (what <see cref="TryGetFlow"/> finds a flow for).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsControl(in PacketEvent e) =>
        e.IsTcp ? (e.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0 : IsQuotingIcmpError(in e);

    private static bool IsQuotingIcmpError(in PacketEvent e) =>
        e.IsIcmpError && e.InnerSource is { } s && e.InnerDestination is { } d && (s.Port | d.Port) != 0;

    /// <summary>Keeps <paramref name="e"/>'s first <see cref="SnapLength"/> bytes of <paramref name="data"/> (the
    /// packet <paramref name="e"/> was decoded from) and its link header; false when it is no control packet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Add(in PacketEvent e, ReadOnlySpan<byte> data, in LinkHeader link)
    {
        if (!IsControl(in e)) return false;
        int slot = _head;
        int n = Math.Min(data.Length, SnapLength);
        data[..n].CopyTo(_bytes.AsSpan(slot * SnapLength, n));
        ref Slot s = ref _slots[slot];
        s.Ticks = e.Time.UtcTicks;
        s.WireLength = e.Length;
        s.IfIndex = e.IfIndex;
        s.Length = n;
        s.Link = link;
        _head = slot + 1 == Capacity ? 0 : slot + 1;
        if (_count == Capacity) PacketsEvicted++;
        else _count++;
        PacketsAdded++;
        return true;
    }

    /// <summary>The flow's packets, oldest first (decoded again from the kept bytes; empty when none is kept).</summary>
    public IReadOnlyList<PacketEvent> Packets(NetEndpoint local, NetEndpoint remote)
    {
        List<PacketEvent> r = [];
        Scan(new FlowKey(local, remote), (in PacketEvent e, int _) => r.Add(e));
        return r;
    }

    /// <summary>The flow's packets with copies of their bytes, oldest first (for a pcap).</summary>
    public IReadOnlyList<CapturedPacket> Captured(NetEndpoint local, NetEndpoint remote)
    {
        List<CapturedPacket> r = [];
        Scan(new FlowKey(local, remote), (in PacketEvent e, int slot) =>
            r.Add(new CapturedPacket(e, _slots[slot].Link, _bytes.AsSpan(slot * SnapLength, _slots[slot].Length).ToArray())));
        return r;
    }

    private delegate void Found(in PacketEvent e, int slot);

    private void Scan(FlowKey key, Found found)
    {
        int slot = _count == Capacity ? _head : 0;
        for (int i = 0; i < _count; i++)
        {
            ref Slot s = ref _slots[slot];
            // Bytes the decoder rejects were never added (the reader keeps only what it decoded).
            if (_decode(_bytes.AsSpan(slot * SnapLength, s.Length), s.Link.Protocol, s.IfIndex, s.Link.PktType,
                    new DateTimeOffset(s.Ticks, TimeSpan.Zero), s.WireLength, out PacketEvent e)
                && TryGetFlow(in e, out FlowKey k) && k == key)
            {
                found(in e, slot);
            }
            slot = slot + 1 == Capacity ? 0 : slot + 1;
        }
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
