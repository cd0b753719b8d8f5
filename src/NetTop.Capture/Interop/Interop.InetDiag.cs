using System.Runtime.InteropServices;

namespace NetTop.Capture.Interop;

// Names as in include/uapi/linux/netlink.h, rtnetlink.h, sock_diag.h, inet_diag.h and tcp.h, so they can be
// grepped against the headers. Offsets are proven against the running kernel's BTF in the interop layout test.
#pragma warning disable CA1707, IDE1006, CS8981
internal static partial class InetDiag
{
    public const int NETLINK_SOCK_DIAG = 4;
    public const ushort SOCK_DIAG_BY_FAMILY = 20;
    public const ushort NLM_F_REQUEST = 0x01;
    public const ushort NLM_F_MULTI = 0x02;
    public const ushort NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_DUMP = 0x300;
    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const int NLMSG_HDRLEN = 16;

    public const byte AF_INET = 2;
    public const byte AF_INET6 = 10;
    public const byte IPPROTO_TCP = 6;

    public const ushort INET_DIAG_MEMINFO = 1;
    public const ushort INET_DIAG_INFO = 2;
    public const ushort INET_DIAG_VEGASINFO = 3;
    public const ushort INET_DIAG_CONG = 4;
    public const ushort INET_DIAG_TOS = 5;
    public const ushort INET_DIAG_TCLASS = 6;
    public const ushort INET_DIAG_SKMEMINFO = 7;
    public const ushort INET_DIAG_SHUTDOWN = 8;
    public const ushort INET_DIAG_MARK = 15;
    public const ushort INET_DIAG_CGROUP_ID = 21;
    public const ushort INET_DIAG_SOCKOPT = 22;

    /// <summary>idiag_ext bit for attribute a: 1 &lt;&lt; (a - 1).</summary>
    public const byte EXT_INFO = 1 << (INET_DIAG_INFO - 1);
    public const byte EXT_CONG = 1 << (INET_DIAG_CONG - 1);
    public const byte EXT_SKMEMINFO = 1 << (INET_DIAG_SKMEMINFO - 1);

    /// <summary>
    /// States 1..11 (bits 1..11). Bit 3 also returns request sockets (reported as state 3). Never ask for all
    /// bits: bit 13 (TCP_BOUND_INACTIVE) makes the kernel walk the bind table and reports idle sockets as CLOSE.
    /// </summary>
    public const uint TCPF_ALL_BUT_BOUND_INACTIVE = 0xFFE;

    public const int SK_MEMINFO_VARS = 9;
    public const int SK_MEMINFO_DROPS = 8;

    /// <summary>sizeof(struct tcp_info) on 6.18; older kernels send less (zero-extend), newer more (ignore).</summary>
    public const int TCP_INFO_SIZE_6_18 = 280;
}

[StructLayout(LayoutKind.Sequential)]
internal struct nlmsghdr
{
    public uint nlmsg_len;
    public ushort nlmsg_type;
    public ushort nlmsg_flags;
    public uint nlmsg_seq;
    public uint nlmsg_pid;
}

[StructLayout(LayoutKind.Sequential)]
internal struct sockaddr_nl
{
    public ushort nl_family;
    public ushort nl_pad;
    public uint nl_pid;
    public uint nl_groups;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct inet_diag_sockid
{
    public ushort idiag_sport;   // __be16
    public ushort idiag_dport;   // __be16
    public fixed uint idiag_src[4]; // __be32
    public fixed uint idiag_dst[4]; // __be32
    public uint idiag_if;
    public fixed uint idiag_cookie[2];
}

[StructLayout(LayoutKind.Sequential)]
internal struct inet_diag_req_v2
{
    public byte sdiag_family;
    public byte sdiag_protocol;
    public byte idiag_ext;
    public byte pad;
    public uint idiag_states;
    public inet_diag_sockid id;
}

/// <summary>Reply header; offsets: family 0, state 1, timer 2, retrans 3, id 4, expires 52, rqueue 56,
/// wqueue 60, uid 64, inode 68; size 72.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct inet_diag_msg
{
    public byte idiag_family;
    public byte idiag_state;
    public byte idiag_timer;
    public byte idiag_retrans;
    public inet_diag_sockid id;
    public uint idiag_expires;
    public uint idiag_rqueue;
    public uint idiag_wqueue;
    public uint idiag_uid;
    public uint idiag_inode;
}

[StructLayout(LayoutKind.Sequential)]
internal struct rtattr
{
    public ushort rta_len;
    public ushort rta_type;
}

/// <summary>Byte offsets of struct tcp_info fields (include/uapi/linux/tcp.h, 6.18).</summary>
internal static class tcp_info
{
    public const int tcpi_state = 0;
    public const int tcpi_ca_state = 1;
    public const int tcpi_retransmits = 2;
    public const int tcpi_probes = 3;
    public const int tcpi_backoff = 4;
    public const int tcpi_options = 5;
    public const int tcpi_wscale = 6; // snd_wscale:4 | rcv_wscale:4
    public const int tcpi_rto = 8;
    public const int tcpi_ato = 12;
    public const int tcpi_snd_mss = 16;
    public const int tcpi_rcv_mss = 20;
    public const int tcpi_unacked = 24;
    public const int tcpi_sacked = 28;
    public const int tcpi_lost = 32;
    public const int tcpi_retrans = 36;
    public const int tcpi_fackets = 40;
    public const int tcpi_last_data_sent = 44;
    public const int tcpi_last_ack_sent = 48;
    public const int tcpi_last_data_recv = 52;
    public const int tcpi_last_ack_recv = 56;
    public const int tcpi_pmtu = 60;
    public const int tcpi_rcv_ssthresh = 64;
    public const int tcpi_rtt = 68;
    public const int tcpi_rttvar = 72;
    public const int tcpi_snd_ssthresh = 76;
    public const int tcpi_snd_cwnd = 80;
    public const int tcpi_advmss = 84;
    public const int tcpi_reordering = 88;
    public const int tcpi_rcv_rtt = 92;
    public const int tcpi_rcv_space = 96;
    public const int tcpi_total_retrans = 100;
    public const int tcpi_pacing_rate = 104;
    public const int tcpi_max_pacing_rate = 112;
    public const int tcpi_bytes_acked = 120;
    public const int tcpi_bytes_received = 128;
    public const int tcpi_segs_out = 136;
    public const int tcpi_segs_in = 140;
    public const int tcpi_notsent_bytes = 144;
    public const int tcpi_min_rtt = 148;
    public const int tcpi_data_segs_in = 152;
    public const int tcpi_data_segs_out = 156;
    public const int tcpi_delivery_rate = 160;
    public const int tcpi_busy_time = 168;
    public const int tcpi_rwnd_limited = 176;
    public const int tcpi_sndbuf_limited = 184;
    public const int tcpi_delivered = 192;
    public const int tcpi_delivered_ce = 196;
    public const int tcpi_bytes_sent = 200;
    public const int tcpi_bytes_retrans = 208;
    public const int tcpi_dsack_dups = 216;
    public const int tcpi_reord_seen = 220;
    public const int tcpi_rcv_ooopack = 224;
    public const int tcpi_snd_wnd = 228;
    public const int tcpi_rcv_wnd = 232;
    public const int tcpi_rehash = 236;
    public const int tcpi_total_rto = 240;
    public const int tcpi_total_rto_recoveries = 242;
    public const int tcpi_total_rto_time = 244;
}
#pragma warning restore CA1707, IDE1006, CS8981
