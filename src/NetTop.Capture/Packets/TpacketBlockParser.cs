using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace NetTop.Capture.Packets;

/// <summary>One frame of a TPACKET_V3 block: the header fields NetTop uses and the captured bytes.</summary>
public readonly ref struct TpacketFrame
{
    public uint Sec { get; init; }
    public uint Nsec { get; init; }
    /// <summary>Length on the wire (tp_len).</summary>
    public uint Length { get; init; }
    public uint Status { get; init; }
    /// <summary>sll_protocol in host order (0x0800 IPv4, 0x86DD IPv6).</summary>
    public ushort Protocol { get; init; }
    public int IfIndex { get; init; }
    public byte PktType { get; init; }
    /// <summary>sll_hatype (ARPHRD_*: 1 Ethernet, 772 loopback).</summary>
    public ushort HaType { get; init; }
    /// <summary>The link-layer source address (sll_addr, sll_halen bytes of it meaningful; at most 8).</summary>
    public ReadOnlySpan<byte> LinkAddress { get; init; }
    /// <summary>The captured bytes from the network header (SOCK_DGRAM: tp_net), tp_snaplen long.</summary>
    public ReadOnlySpan<byte> Data { get; init; }
}

/// <summary>
/// Walks the frames of one TPACKET_V3 block (pure: a span of the block in, frames out; never throws).
/// Block: tpacket_block_desc {u32 version; u32 offset_to_priv; tpacket_hdr_v1 {u32 block_status@8; u32 num_pkts@12;
/// u32 offset_to_first_pkt@16; u32 blk_len@20; ...}}. Frame: tpacket3_hdr {u32 tp_next_offset@0, tp_sec@4,
/// tp_nsec@8, tp_snaplen@12, tp_len@16, tp_status@20; u16 tp_mac@24, tp_net@26}, sockaddr_ll at +48
/// {u16 family; be16 protocol@2; s32 ifindex@4; u16 hatype@8; u8 pkttype@10; u8 halen@11; u8 addr[8]@12}.
/// The reader thread walks blocks with <see cref="Frames"/> (no delegate per frame); <see cref="Walk"/> wraps it.
/// </summary>
public static class TpacketBlockParser
{
    public const int BlockHeaderSize = 48;
    public const int FrameHeaderSize = 48;
    public const int SockaddrLlSize = 20;

    public delegate void FrameHandler(in TpacketFrame frame);

    /// <summary>The block's status word (TP_STATUS_USER = ready for us), or 0 when the span is too short.</summary>
    public static uint BlockStatus(ReadOnlySpan<byte> block) =>
        block.Length < BlockHeaderSize ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(8, 4));

    /// <summary>Hands every well-formed frame to <paramref name="onFrame"/>; returns (frames, malformed). A bad
    /// tp_next_offset ends the walk (the rest of the block cannot be located) and counts as malformed.</summary>
    public static (int Frames, int Malformed) Walk(ReadOnlySpan<byte> block, FrameHandler onFrame)
    {
        FrameReader r = new(block);
        int frames = 0;
        while (r.Next(out TpacketFrame f))
        {
            onFrame(in f);
            frames++;
        }
        return (frames, r.Malformed);
    }

    /// <summary>A reader over the frames of one block.</summary>
    public static FrameReader Frames(ReadOnlySpan<byte> block) => new(block);

    /// <summary>Yields each well-formed frame of a block in order and counts the malformed ones (never throws).</summary>
    public ref struct FrameReader
    {
        private readonly ReadOnlySpan<byte> _block;
        private readonly uint _num;
        private readonly int _limit;
        private uint _i;
        private long _at;
        private bool _done;

        public FrameReader(ReadOnlySpan<byte> block)
        {
            _block = block;
            if (block.Length < BlockHeaderSize)
            {
                Malformed = 1;
                _done = true;
                return;
            }
            _num = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(12, 4));
            _at = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(16, 4));
            uint blkLen = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(20, 4));
            _limit = (int)Math.Min((uint)block.Length, blkLen == 0 ? (uint)block.Length : blkLen);
        }

        /// <summary>The frames the block's header says it holds (num_pkts).</summary>
        public readonly uint Count => _num;

        /// <summary>Malformed frames met so far (a bad tp_next_offset ends the walk and counts as one).</summary>
        public int Malformed { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool Next(out TpacketFrame frame)
        {
            frame = default;
            while (!_done && _i < _num)
            {
                long at = _at;
                if (at < BlockHeaderSize || at + FrameHeaderSize + SockaddrLlSize > _limit)
                {
                    Malformed++;
                    _done = true;
                    return false;
                }
                ReadOnlySpan<byte> h = _block.Slice((int)at);
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(h);
                uint snap = BinaryPrimitives.ReadUInt32LittleEndian(h.Slice(12, 4));
                ushort net = BinaryPrimitives.ReadUInt16LittleEndian(h.Slice(26, 2));
                _i++;
                if (_i < _num)
                {
                    if (next == 0)
                    {
                        _done = true;
                        Malformed++;
                    }
                    _at = at + next;
                }
                if (net < FrameHeaderSize + SockaddrLlSize || at + net + snap > _limit)
                {
                    Malformed++;
                    continue;
                }
                ReadOnlySpan<byte> ll = h.Slice(FrameHeaderSize, SockaddrLlSize);
                frame = new TpacketFrame
                {
                    Sec = BinaryPrimitives.ReadUInt32LittleEndian(h.Slice(4, 4)),
                    Nsec = BinaryPrimitives.ReadUInt32LittleEndian(h.Slice(8, 4)),
                    Length = BinaryPrimitives.ReadUInt32LittleEndian(h.Slice(16, 4)),
                    Status = BinaryPrimitives.ReadUInt32LittleEndian(h.Slice(20, 4)),
                    Protocol = BinaryPrimitives.ReadUInt16BigEndian(ll.Slice(2, 2)),
                    IfIndex = BinaryPrimitives.ReadInt32LittleEndian(ll.Slice(4, 4)),
                    HaType = BinaryPrimitives.ReadUInt16LittleEndian(ll.Slice(8, 2)),
                    PktType = ll[10],
                    LinkAddress = ll.Slice(12, Math.Min((int)ll[11], 8)),
                    Data = h.Slice(net, (int)snap),
                };
                return true;
            }
            return false;
        }
    }
}
