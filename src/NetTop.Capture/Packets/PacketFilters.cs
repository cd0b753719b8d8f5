using NetTop.Capture.Interop;

namespace NetTop.Capture.Packets;

/// <summary>
/// The classic BPF programs of the capture (kernel-interfaces.md §3). The main program is libpcap's compilation,
/// for DLT_RAW (a SOCK_DGRAM socket hands the filter data from the network header on every interface), of
/// <c>(tcp[tcpflags] &amp; (tcp-syn|tcp-fin|tcp-rst) != 0) or icmp[icmptype] in {3,4,11,12} or (ip6[6] == 6 and
/// ip6[53] &amp; 0x07 != 0) or (ip6[6] == 58 and ip6[40] &lt; 128)</c>, i.e. TCP SYN/FIN/RST and ICMP/ICMPv6 errors over
/// IPv4 and IPv6 (IPv6 at fixed offsets: extension headers are missed). A prefix drops loopback's outgoing
/// duplicate (every lo packet is seen twice: pkttype OUTGOING, then HOST).
/// </summary>
internal static class PacketFilters
{
    /// <summary>Bytes of each packet kept (ICMPv6 error quoting an IPv6 TCP header needs 96).</summary>
    public const uint DefaultSnapLen = 256;

    /// <summary>ret #0: passes nothing (attached first, the libpcap way, so nothing unfiltered is queued).</summary>
    public static readonly sock_filter[] RejectAll = [new(0x06, 0, 0, 0)];

    // ld pkttype; jeq #OUTGOING → check ifindex; ld ifindex; jeq #1 → ret 0. Falls through to the program.
    private static readonly sock_filter[] s_dropLoopbackOutgoing =
    [
        new(0x20, 0, 0, AfPacket.SKF_AD_PKTTYPE_K), new(0x15, 0, 3, AfPacket.PACKET_OUTGOING),
        new(0x20, 0, 0, AfPacket.SKF_AD_IFINDEX_K), new(0x15, 0, 1, AfPacket.LOOPBACK_IFINDEX), new(0x06, 0, 0, 0),
    ];

    private static readonly sock_filter[] s_dltRaw =
    [
        new(0x30, 0, 0, 0x0), new(0x54, 0, 0, 0xf0), new(0x15, 0, 16, 0x40), new(0x30, 0, 0, 0x9), new(0x15, 0, 5, 0x6),
        new(0x28, 0, 0, 0x6), new(0x45, 23, 0, 0x1fff), new(0xb1, 0, 0, 0x0), new(0x50, 0, 0, 0xd), new(0x45, 19, 20, 0x7),
        new(0x15, 0, 19, 0x1), new(0x28, 0, 0, 0x6), new(0x45, 17, 0, 0x1fff), new(0xb1, 0, 0, 0x0), new(0x50, 0, 0, 0x0),
        new(0x15, 13, 0, 0x3), new(0x15, 12, 0, 0x4), new(0x15, 11, 0, 0xb), new(0x15, 10, 11, 0xc), new(0x30, 0, 0, 0x0),
        new(0x54, 0, 0, 0xf0), new(0x15, 0, 8, 0x60), new(0x30, 0, 0, 0x6), new(0x15, 0, 2, 0x6), new(0x30, 0, 0, 0x35),
        new(0x45, 3, 4, 0x7), new(0x15, 0, 3, 0x3a), new(0x30, 0, 0, 0x28), new(0x35, 1, 0, 0x80), new(0x6, 0, 0, 0x40000),
        new(0x6, 0, 0, 0x0),
    ];

    /// <summary>The loopback prefix + the DLT_RAW program, accepting <paramref name="snapLen"/> bytes per packet.</summary>
    public static sock_filter[] ResetsAndErrors(uint snapLen = DefaultSnapLen)
    {
        sock_filter[] p = [.. s_dropLoopbackOutgoing, .. s_dltRaw];
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i].code == 0x06 && p[i].k == 0x40000) p[i].k = snapLen; // ret #snaplen
        }
        return p;
    }

    /// <summary>The same program as tcpdump syntax, for the equivalent `tcpdump -i any` in the benchmark.</summary>
    public const string TcpdumpExpression =
        "(tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0) or (icmp[icmptype] == 3 or icmp[icmptype] == 4 or " +
        "icmp[icmptype] == 11 or icmp[icmptype] == 12) or (ip6[6] == 6 and ip6[53] & 0x07 != 0) or (ip6[6] == 58 and ip6[40] < 128)";
}
