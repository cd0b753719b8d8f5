using System.Runtime.InteropServices;

namespace NetTop.Capture.Interop;

// Names as in include/uapi/linux/if_packet.h, if_ether.h and filter.h (6.18). Offsets are proven against the
// running kernel's BTF in tests/NetTop.Capture.Tests/Perf/PerfLayoutTests.cs.
#pragma warning disable CA1707, IDE1006, CS8981, CS0649
internal static partial class AfPacket
{
    public const int SOL_PACKET = 263;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_VERSION = 10;
    public const int TPACKET_V3 = 2;
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_DETACH_FILTER = 27;
    public const ushort ETH_P_ALL = 0x0003;
    public const ushort ETH_P_IP = 0x0800;
    public const ushort ETH_P_IPV6 = 0x86DD;

    public const uint TP_STATUS_KERNEL = 0;
    public const uint TP_STATUS_USER = 1;
    public const uint TP_STATUS_LOSING = 4;
    public const uint TP_STATUS_CSUMNOTREADY = 8;
    public const uint TP_STATUS_BLK_TMO = 0x20;

    public const byte PACKET_HOST = 0;
    public const byte PACKET_BROADCAST = 1;
    public const byte PACKET_MULTICAST = 2;
    public const byte PACKET_OTHERHOST = 3;
    public const byte PACKET_OUTGOING = 4;

    /// <summary>SKF_AD_OFF (-4096) + SKF_AD_PKTTYPE (4) / SKF_AD_IFINDEX (8): ancillary loads in classic BPF.</summary>
    public const uint SKF_AD_PKTTYPE_K = 0xfffff004;
    public const uint SKF_AD_IFINDEX_K = 0xfffff008;

    /// <summary>ifindex of lo: the loopback device is always registered first in each namespace.</summary>
    public const int LOOPBACK_IFINDEX = 1;
}

/// <summary>struct tpacket_req3 (PACKET_RX_RING with TPACKET_V3).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_req3
{
    public uint tp_block_size;
    public uint tp_block_nr;
    public uint tp_frame_size;
    public uint tp_frame_nr;
    public uint tp_retire_blk_tov;
    public uint tp_sizeof_priv;
    public uint tp_feature_req_word;
}

/// <summary>struct tpacket_hdr_v1: the block header inside tpacket_block_desc (at offset 8).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_hdr_v1
{
    public uint block_status;
    public uint num_pkts;
    public uint offset_to_first_pkt;
    public uint blk_len;
    public ulong seq_num;
    public tpacket_bd_ts ts_first_pkt;
    public tpacket_bd_ts ts_last_pkt;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_bd_ts
{
    public uint ts_sec;
    public uint ts_nsec;
}

/// <summary>struct tpacket_block_desc: version, offset_to_priv, then the hdr union (tpacket_hdr_v1).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_block_desc
{
    public uint version;
    public uint offset_to_priv;
    public tpacket_hdr_v1 hdr;
}

/// <summary>struct tpacket3_hdr (48 bytes); struct sockaddr_ll follows at TPACKET_ALIGN(48) = 48.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket3_hdr
{
    public uint tp_next_offset;
    public uint tp_sec;
    public uint tp_nsec;
    public uint tp_snaplen;
    public uint tp_len;
    public uint tp_status;
    public ushort tp_mac;
    public ushort tp_net;
    public tpacket_hdr_variant1 hv1;
    public fixed_padding8 tp_padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_hdr_variant1
{
    public uint tp_rxhash;
    public uint tp_vlan_tci;
    public ushort tp_vlan_tpid;
    public ushort tp_padding;
}

/// <summary>__u8 tp_padding[8] of tpacket3_hdr.</summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct fixed_padding8
{
    public ulong value;
}

/// <summary>struct sockaddr_ll (20 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct sockaddr_ll
{
    public ushort sll_family;
    public ushort sll_protocol; // __be16
    public int sll_ifindex;
    public ushort sll_hatype;
    public byte sll_pkttype;
    public byte sll_halen;
    public fixed byte sll_addr[8];
}

/// <summary>struct tpacket_stats_v3: PACKET_STATISTICS for TPACKET_V3. Reading resets the counters.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tpacket_stats_v3
{
    /// <summary>Packets the filter passed, drops included.</summary>
    public uint tp_packets;
    public uint tp_drops;
    public uint tp_freeze_q_cnt;
}

/// <summary>struct sock_filter: one classic BPF instruction.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct sock_filter
{
    public ushort code;
    public byte jt;
    public byte jf;
    public uint k;

    public sock_filter(ushort code, byte jt, byte jf, uint k)
    {
        this.code = code;
        this.jt = jt;
        this.jf = jf;
        this.k = k;
    }
}

/// <summary>struct sock_fprog (16 bytes on 64-bit: u16 len, padding, pointer).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct sock_fprog
{
    public ushort len;
    public sock_filter* filter;
}
#pragma warning restore CA1707, IDE1006, CS8981, CS0649
