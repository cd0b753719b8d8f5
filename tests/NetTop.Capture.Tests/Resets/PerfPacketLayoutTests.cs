using NetTop.Capture.Interop;

namespace NetTop.Capture.Tests.Resets;

/// <summary>
/// Proves the perf and AF_PACKET interop offsets against the running kernel's BTF, the same way
/// InteropLayoutTests does for sock_diag: bpftool dumps vmlinux.h, a C probe prints offsetof/sizeof.
/// </summary>
public sealed class PerfPacketLayoutTests
{
    private static readonly (Type Type, string CName, string[] Skip)[] s_structs =
    [
        (typeof(perf_event_attr), "perf_event_attr", ["flags"]), // flags stands for the bitfield word at 40
        (typeof(perf_event_header), "perf_event_header", []),
        (typeof(tpacket_req3), "tpacket_req3", []),
        (typeof(tpacket_bd_ts), "tpacket_bd_ts", []),
        (typeof(tpacket_hdr_v1), "tpacket_hdr_v1", []),
        (typeof(tpacket_block_desc), "tpacket_block_desc", []),
        (typeof(tpacket3_hdr), "tpacket3_hdr", []),
        (typeof(tpacket_hdr_variant1), "tpacket_hdr_variant1", []),
        (typeof(sockaddr_ll), "sockaddr_ll", []),
        (typeof(tpacket_stats_v3), "tpacket_stats_v3", []),
        (typeof(sock_filter), "sock_filter", []),
        (typeof(sock_fprog), "sock_fprog", []),
    ];

    [LayoutFact]
    public void Perf_and_packet_struct_offsets_match_the_running_kernel()
    {
        BtfLayout layout = new();
        foreach ((Type t, string c, string[] skip) in s_structs)
        {
            layout.Struct(t, c, skip);
        }
        layout.OffsetConstants(typeof(perf_event_mmap_page), "perf_event_mmap_page");
        IReadOnlyList<string> mismatches = layout.Mismatches();
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }
}
