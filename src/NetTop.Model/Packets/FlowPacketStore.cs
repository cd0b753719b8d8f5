using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// Kept as the capture saw them, the newest <see cref="Capacity"/> packets (the oldest dropped first), and sorted
/// into flows only when a flow is asked for: adding is the reader's per-packet cost, so it is one copy, of a 32-byte
/// header and the packet's bytes, to the end of a log, with no lookup; a query decodes the log's packets again
/// (<see cref="PacketDecodeFunc"/>) and keeps the flow's, a few milliseconds at most, when a detail screen or `w`
/// asks. With the defaults that is the last 16,384 control packets: ~30 minutes of a server's connections at 100
/// new ones per second, a third of a second of a 50,000/s reset flood.
/// </para>
/// <para>
/// The log is one byte array used as a ring: records (header and bytes, 8-byte aligned) follow each other, so a
/// SYN or RST of ~60 bytes takes ~96 bytes, not a snap-length slot, and consecutive packets share cache lines and
/// pages (the reader wakes up cold after a quiet spell and pays for every line and page it touches). A record that
/// does not fit before the end starts again at 0 behind a wrap mark. The array holds <see cref="Capacity"/> + 2
/// records of the largest size, so keeping the newest <see cref="Capacity"/> packets never needs more room than
/// there is, whatever their sizes.
/// </para>
/// <para>
/// A few packets at a time go to a small pending buffer first (<see cref="PendingBytes"/>, an ordinary array, in the
/// GC heap beside the capture's other per-block state) and move into the log when it is full or before a query. A
/// quiet wake-up (a data flood's SYN or FIN block: two packets) then writes nothing outside memory the reader writes
/// anyway: on this project's PVM machine the first write after a wake-up to memory the thread has not written since
/// it slept costs tens of µs (docs/benchmarks.md, "Capture CPU: the flow log's first write after a wake-up"), so
/// the log is written once in ~20 such wake-ups instead of every one. A busy block's packets (more than
/// <see cref="HoldPackets"/>: its wake-up writes the log anyway) go straight to the log, after any pending ones, as
/// does a packet the buffer cannot take.
/// The buffer does not change what is kept or counted: the counts include it.
/// </para>
/// All of it is allocated once (<see cref="BytesReserved"/>, ~5 MB with the defaults, touched as it fills), so a
/// full store under a flood allocates nothing per packet. The memory comes from the caller when it passes an
/// allocator: the capture gives it memory mapped with transparent huge pages (see HugePageMemory), so the log's
/// megabytes are a few page-table entries instead of a thousand (on this project's PVM machine every 4 KiB
/// anonymous page a process holds adds to the cost of each of its threads' wake-ups: docs/benchmarks.md).
/// Without one it is a pinned array. Not thread-safe: the capture's reader adds under its lock, and queries and
/// <see cref="Dispose"/> take the same lock.
/// </summary>
public sealed unsafe class FlowPacketStore : IDisposable
{
    public const int DefaultCapacity = 16_384;
    public const int DefaultSnapLength = 256;
    /// <summary>pcap consumers need the IP and TCP headers, and an ICMP error's quote: never keep less.</summary>
    public const int MinSnapLength = 128;
    /// <summary>Kept bytes are counted in 16 bits, one value of which marks a wrap.</summary>
    public const int MaxSnapLength = 65_000;

    /// <summary>A record's header, at an 8-byte aligned offset of the log; the packet's bytes follow it.</summary>
    [StructLayout(LayoutKind.Explicit, Size = HeaderBytes)]
    private struct Header
    {
        [FieldOffset(0)] public ushort Length; // bytes kept; WrapMark: the next record is at offset 0
        [FieldOffset(2)] public byte PktType;
        [FieldOffset(3)] public byte AddressLength;
        [FieldOffset(4)] public ushort Protocol;
        [FieldOffset(6)] public ushort HaType;
        [FieldOffset(8)] public long Ticks; // UTC
        [FieldOffset(16)] public int WireLength;
        [FieldOffset(20)] public int IfIndex;
        [FieldOffset(24)] public ulong Address;
    }

    private const int HeaderBytes = 32;
    private const ushort WrapMark = ushort.MaxValue;
    /// <summary>The pending buffer's size: ~40 SYNs or RSTs.</summary>
    public const int PendingBytes = 4096;
    /// <summary>The capture holds a block's packets in the pending buffer when the block has at most this many.</summary>
    public const int HoldPackets = 16;

    private readonly PacketDecodeFunc _decode;
    private readonly IMemoryOwner<byte> _memory;
    private MemoryHandle _pin;
    private byte* _log; // null once disposed
    private readonly int _length;
    private int _head; // where the next record goes
    private int _tail; // the oldest record (when _count > 0)
    private int _count;
    private long _evicted;
    // Records added but not yet in the log (same format, back to back from 0; no wrap), oldest first.
    private readonly byte[] _pending = new byte[PendingBytes];
    private int _pendingUsed;
    private int _pendingCount;

    /// <param name="allocate">Returns memory of at least the given length for the log, owned by the store from
    /// then on (disposed with it); null: a pinned array.</param>
    public FlowPacketStore(PacketDecodeFunc decode, int capacity = DefaultCapacity, int snapLength = DefaultSnapLength,
        Func<int, IMemoryOwner<byte>>? allocate = null)
    {
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, MinSnapLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, MaxSnapLength);
        _decode = decode;
        Capacity = capacity;
        SnapLength = snapLength;
        _length = checked((capacity + 2) * RecordSize(snapLength));
        _memory = allocate is null ? new PinnedArrayMemory(_length) : allocate(_length);
        int got = _memory.Memory.Length;
        if (got < _length)
        {
            _memory.Dispose();
            throw new ArgumentException($"the allocator returned {got} bytes for a log of {_length}", nameof(allocate));
        }
        _pin = _memory.Memory.Pin();
        _log = (byte*)_pin.Pointer;
    }

    /// <summary>Releases the log's memory; the store is empty from then on and keeps nothing more.</summary>
    public void Dispose()
    {
        if (_log is null) return;
        _log = null;
        _count = 0;
        _pendingUsed = _pendingCount = 0;
        _pin.Dispose();
        _memory.Dispose();
    }

    /// <summary>Packets kept at most (the newest).</summary>
    public int Capacity { get; }
    /// <summary>Bytes kept of each packet (from the network header); longer packets are cut.</summary>
    public int SnapLength { get; }
    /// <summary>Packets kept (pending ones included: each would evict the oldest once the log is full).</summary>
    public int PacketCount => Math.Min(Capacity, _count + _pendingCount);
    /// <summary>The store's memory bound in bytes (the log, reserved once at construction).</summary>
    public long BytesReserved => _length;
    public long PacketsEvicted => _evicted + Math.Max(0, _count + _pendingCount - Capacity);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RecordSize(int kept) => (HeaderBytes + kept + 7) & ~7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Header At(int offset) => ref Unsafe.AsRef<Header>(_log + offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Bytes(int offset, int length) => new(_log + offset, length);

    /// <summary>Keeps <paramref name="e"/>'s first <see cref="SnapLength"/> bytes of <paramref name="data"/> (the
    /// packet <paramref name="e"/> was decoded from) and its link header; false when it is no control packet.</summary>
    /// <param name="hold">Whether it may wait in the pending buffer (a quiet block); false: the pending ones and it go to
    /// the log now (a busy block: its wake-up writes the log anyway).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Add(in PacketEvent e, ReadOnlySpan<byte> data, in LinkHeader link, bool hold = true)
    {
        if (_log is null || !IsControl(in e)) return false;
        int n = Math.Min(data.Length, SnapLength);
        int size = RecordSize(n);
        Header h = new()
        {
            Length = (ushort)n,
            PktType = link.PktType,
            AddressLength = link.AddressLength,
            Protocol = link.Protocol,
            HaType = link.HaType,
            Ticks = e.Time.UtcTicks,
            WireLength = e.Length,
            IfIndex = e.IfIndex,
            Address = link.Address,
        };
        PacketsAdded++;
        if (hold && _pendingUsed + size <= PendingBytes)
        {
            Unsafe.WriteUnaligned(ref _pending[_pendingUsed], h);
            data[..n].CopyTo(_pending.AsSpan(_pendingUsed + HeaderBytes, n));
            _pendingUsed += size;
            _pendingCount++;
            return true;
        }
        // Not held, or the buffer is full (a flood, or a record larger than the buffer): the pending ones first, then
        // this one straight to the log.
        if (_pendingUsed > 0) Flush();
        Append(in h, data[..n]);
        return true;
    }

    /// <summary>Moves the pending records into the log, oldest first.</summary>
    private void Flush()
    {
        for (int at = 0; at < _pendingUsed;)
        {
            Header h = Unsafe.ReadUnaligned<Header>(ref _pending[at]);
            Append(in h, _pending.AsSpan(at + HeaderBytes, h.Length));
            at += RecordSize(h.Length);
        }
        _pendingUsed = _pendingCount = 0;
    }

    /// <summary>Writes one record at the log's head, dropping the oldest when the log holds <see cref="Capacity"/>.</summary>
    private void Append(in Header h, ReadOnlySpan<byte> bytes)
    {
        int size = RecordSize(bytes.Length);
        if (_count == Capacity) DropOldest();
        int at = Place(size);
        At(at) = h;
        bytes.CopyTo(Bytes(at + HeaderBytes, bytes.Length));
        _head = at + size;
        _count++;
    }

    /// <summary>The offset of <paramref name="size"/> free contiguous bytes: at the head, or at 0 behind a wrap mark.
    /// Dropping the oldest to make room is a safety net only: the log holds Capacity + 2 records of the largest size,
    /// so with at most Capacity - 1 records kept there is always room (a free run is kept longer than a record, so
    /// the head meets the tail only when the log is empty).</summary>
    private int Place(int size)
    {
        while (_count > 0)
        {
            if (_head >= _tail)
            {
                if (_length - _head >= size) return _head;
                if (_tail > size)
                {
                    if (_head < _length) At(_head).Length = WrapMark;
                    return 0;
                }
            }
            else if (_tail - _head > size)
            {
                return _head;
            }
            DropOldest();
        }
        _tail = 0;
        return 0;
    }

    /// <summary>Drops the oldest record; the tail then points at the next record itself (never at a wrap mark), so
    /// <see cref="Place"/> compares real positions.</summary>
    private void DropOldest()
    {
        _count--;
        _tail = _count > 0 ? Resolve(Next(_tail)) : 0;
        _evicted++;
    }

    /// <summary>The record at <paramref name="offset"/>, past a wrap mark (or the log's end) to offset 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Resolve(int offset) => offset == _length || At(offset).Length == WrapMark ? 0 : offset;

    /// <summary>The offset after the record at <paramref name="offset"/> (resolved first).</summary>
    private int Next(int offset)
    {
        offset = Resolve(offset);
        return offset + RecordSize(At(offset).Length);
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
        Scan(new FlowKey(local, remote), (in PacketEvent e, int at) =>
        {
            Header h = At(at);
            LinkHeader link = new(h.Protocol, h.PktType, h.HaType, h.Address, h.AddressLength);
            r.Add(new CapturedPacket(e, link, Bytes(at + HeaderBytes, h.Length).ToArray()));
        });
        return r;
    }

    private delegate void Found(in PacketEvent e, int at);

    private void Scan(FlowKey key, Found found)
    {
        if (_log is null) return;
        Flush();
        int at = _tail;
        for (int i = 0; i < _count; i++)
        {
            at = Resolve(at);
            Header h = At(at);
            // Bytes the decoder rejects were never added (the reader keeps only what it decoded).
            if (_decode(Bytes(at + HeaderBytes, h.Length), h.Protocol, h.IfIndex, h.PktType,
                    new DateTimeOffset(h.Ticks, TimeSpan.Zero), h.WireLength, out PacketEvent e)
                && TryGetFlow(in e, out FlowKey k) && k == key)
            {
                found(in e, at);
            }
            at += RecordSize(h.Length);
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

/// <summary>The flow store's default memory: an array on the pinned heap (never moved, so the store can hold its
/// address).</summary>
public sealed class PinnedArrayMemory(int length) : IMemoryOwner<byte>
{
    public Memory<byte> Memory { get; } = GC.AllocateArray<byte>(length, pinned: true);

    public void Dispose()
    {
    }
}
