using NetTop.Capture.Interop;

namespace NetTop.Capture.Tests;

/// <summary>The sock_diag/netlink structs and the tcp_info offsets, proven against the running kernel's BTF.</summary>
public sealed class InteropLayoutTests
{
    [LayoutFact]
    public void Struct_offsets_match_the_running_kernel()
    {
        BtfLayout layout = new BtfLayout()
            .Struct(typeof(nlmsghdr), "nlmsghdr")
            .Struct(typeof(inet_diag_sockid), "inet_diag_sockid")
            .Struct(typeof(inet_diag_req_v2), "inet_diag_req_v2")
            .Struct(typeof(inet_diag_msg), "inet_diag_msg")
            .Struct(typeof(rtattr), "rtattr")
            .Struct(typeof(sockaddr_nl), "sockaddr_nl")
            .Struct(typeof(timeval), "__kernel_old_timeval")
            // tcpi_wscale stands for the snd_wscale:4/rcv_wscale:4 bitfield byte, which offsetof cannot name.
            .OffsetConstants(typeof(tcp_info), "tcp_info", "tcpi_wscale")
            .Size("tcp_info", InetDiag.TCP_INFO_SIZE_6_18);
        IReadOnlyList<string> mismatches = layout.Mismatches();
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }
}
