using NetTop.Capture.Sockets;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Tests;

/// <summary>
/// Over sock_diag replies recorded from tests/fixtures/record-scenario.sh (a namespace with a full accept queue,
/// SYN_SENT behind a DROP rule, SYN_RECV behind dropped ACKs, IPv6); ss -tanei of the same moment is beside them.
/// </summary>
public sealed class SockDiagParserTests
{
    private static (List<TcpSocket> Sockets, ParseStats Stats, SockDiagParser.Result Result) Parse(string fixture)
    {
        SocketTableBuilder sockets = new();
        ParseStats stats = default;
        SockDiagParser.Result r = SockDiagParser.Parse(Fixture.Bytes(fixture), sockets, ref stats, new AsciiPool());
        return ([.. sockets.Build()], stats, r);
    }

    private static TcpSocket Listener(List<TcpSocket> s, ushort port) =>
        Assert.Single(s, x => x.State == TcpState.Listen && x.Local.Port == port);

    [Fact]
    public void Ipv4_dump_decodes_listeners_with_queue_backlog_drops_and_tcp_info()
    {
        var (sockets, stats, result) = Parse("scenario/sockdiag-inet.bin");
        Assert.Equal(DumpProgress.Done, result.Progress);
        Assert.Equal(0, stats.Malformed);
        Assert.Equal(0, stats.UnknownAttributes);
        Assert.Equal(18, sockets.Count); // the IPv4 lines of ss-tanei.txt

        TcpSocket full = Listener(sockets, 8080);
        Assert.Equal("127.0.0.1:8080", full.Local.ToString());
        Assert.Equal(3u, full.RQueue);   // accept queue (backlog + 1: full)
        Assert.Equal(2u, full.WQueue);   // max backlog, as ss's Send-Q
        Assert.True(full.BacklogKnown);
        Assert.True(full.HasSkMem);
        Assert.True(full.SkMem.Drops > 0);
        Assert.True(full.HasTcpInfo);
        Assert.Equal(280, full.Info.Length);
        Assert.Equal(3u, full.Info.Unacked); // LISTEN: tcpi_unacked = accept queue, tcpi_sacked = max backlog
        Assert.Equal(2u, full.Info.Sacked);
        Assert.Equal("bbr", full.Congestion);
        Assert.Equal(1089310UL, full.Inode);
        Assert.NotEqual(0UL, full.Cookie);

        Assert.Equal(16u, Listener(sockets, 9090).WQueue);
        Assert.Equal(8u, Listener(sockets, 7000).WQueue);
        Assert.Equal(sockets.Count, sockets.Select(s => s.Cookie).Distinct().Count());
    }

    [Fact]
    public void Request_sockets_come_as_syn_recv_without_inode_with_synack_retransmits()
    {
        var (sockets, _, _) = Parse("scenario/sockdiag-inet.bin");
        List<TcpSocket> req = sockets.Where(s => s.IsRequest).ToList();
        Assert.Equal(2, req.Count);
        Assert.All(req, r =>
        {
            Assert.Equal(TcpState.SynRecv, r.State);
            Assert.Equal(9090, r.Local.Port);
            Assert.Equal(0UL, r.Inode);
            Assert.Equal(TcpTimer.Retransmit, r.Timer);
            Assert.True(r.Retrans >= 1);
            Assert.False(r.HasTcpInfo); // only MARK comes with request sockets
        });
    }

    [Fact]
    public void Syn_sent_sockets_carry_syn_retransmits_backoff_and_rto()
    {
        var (sockets, _, _) = Parse("scenario/sockdiag-inet.bin");
        List<TcpSocket> sent = sockets.Where(s => s.State == TcpState.SynSent).ToList();
        Assert.Equal(3, sent.Count);
        Assert.Single(sent, s => s.Remote.Port == 7100);
        Assert.All(sent, s =>
        {
            Assert.True(s.Retrans >= 1);
            Assert.Equal(1u, s.WQueue);
            Assert.True(s.HasTcpInfo);
            Assert.Equal(s.Retrans, s.Info.Retransmits);
            Assert.True(s.Info.Backoff > 0); // past the 4 linear retransmits
            Assert.True(s.Info.RtoUs >= 1_000_000);
        });
    }

    [Fact]
    public void Established_socket_reports_unread_bytes_as_receive_queue()
    {
        var (sockets, _, _) = Parse("scenario/sockdiag-inet.bin");
        TcpSocket server = Assert.Single(sockets, s => s.State == TcpState.Established && s.Local.Port == 7000);
        Assert.Equal(1000u, server.RQueue);
        Assert.Equal(1000UL, server.Info.BytesReceived);
    }

    [Fact]
    public void Ipv6_dump_decodes_addresses_and_dual_stack_wildcard()
    {
        var (sockets, stats, result) = Parse("scenario/sockdiag-inet6.bin");
        Assert.Equal(DumpProgress.Done, result.Progress);
        Assert.Equal(0, stats.Malformed);
        Assert.Equal(4, sockets.Count);
        TcpSocket l = Listener(sockets, 8443);
        Assert.Equal(IpFamily.V6, l.Family);
        Assert.Equal("[::1]:8443", l.Local.ToString());
        Assert.Equal(4u, l.WQueue);
        TcpSocket any = Listener(sockets, 2222);
        Assert.True(any.Local.IsUnspecified);
        Assert.Equal("[::]:2222", any.Local.ToString());
        Assert.Equal(128u, any.WQueue);
        Assert.Equal(2, sockets.Count(s => s.State == TcpState.Established && s.Remote.ToString().StartsWith("[::1]:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Dump_without_extensions_has_no_tcp_info_but_the_same_sockets()
    {
        var (sockets, _, _) = Parse("scenario-noinfo/sockdiag-inet.bin");
        Assert.Equal(18, sockets.Count);
        Assert.All(sockets, s => Assert.False(s.HasTcpInfo || s.HasSkMem));
        Assert.Equal(3u, Listener(sockets, 8080).RQueue);
    }

    [Fact]
    public void Short_tcp_info_from_an_older_kernel_is_zero_extended()
    {
        var (full, _, _) = Parse("scenario/sockdiag-inet.bin");
        var (shortInfo, stats, result) = Parse("sockdiag-short-tcpinfo.bin");
        Assert.Equal(DumpProgress.Done, result.Progress);
        Assert.Equal(0, stats.Malformed);
        Assert.Equal(full.Count, shortInfo.Count);
        TcpSocket a = Listener(full, 8080), b = Listener(shortInfo, 8080);
        Assert.Equal(104, b.Info.Length);
        Assert.Equal(a.Info.Unacked, b.Info.Unacked);       // offset 24: inside 104 bytes
        Assert.Equal(a.Info.TotalRetrans, b.Info.TotalRetrans); // offset 100: the last field of a 104-byte tcp_info
        TcpSocket e = shortInfo.Single(s => s.State == TcpState.Established && s.Local.Port == 7000);
        Assert.Equal(0UL, e.Info.BytesReceived);             // offset 128: past what the kernel sent
        Assert.Equal(0UL, e.Info.PacingRate);
    }

    [Fact]
    public void Unknown_attributes_are_skipped_and_counted()
    {
        var (sockets, stats, _) = Parse("sockdiag-unknown-attr.bin");
        Assert.Equal(18, sockets.Count);
        Assert.Equal(18, stats.UnknownAttributes);
        Assert.Equal(0, stats.Malformed);
        TcpSocket l = Listener(sockets, 8080);
        Assert.True(l.HasTcpInfo && l.HasSkMem);
        Assert.Equal(2u, l.WQueue);
    }

    [Fact]
    public void Truncated_dump_keeps_whole_messages_and_counts_the_cut_one()
    {
        var (sockets, stats, result) = Parse("sockdiag-truncated.bin");
        Assert.Equal(2, sockets.Count);
        Assert.Equal(1, stats.Malformed);
        Assert.Equal(DumpProgress.More, result.Progress);
    }

    [Fact]
    public void Empty_buffer_parses_to_nothing()
    {
        SocketTableBuilder sockets = new();
        ParseStats stats = default;
        SockDiagParser.Result r = SockDiagParser.Parse(ReadOnlySpan<byte>.Empty, sockets, ref stats, new AsciiPool());
        Assert.Equal(0, sockets.Count);
        Assert.Equal(0, stats.Malformed);
        Assert.Equal(DumpProgress.More, r.Progress);
    }

    [Fact]
    public void Error_message_reports_the_errno()
    {
        // nlmsghdr{len 36, NLMSG_ERROR} + int error -2 (ENOENT: no inet_diag handler for the family) + the request header
        byte[] msg = new byte[36];
        BitConverter.TryWriteBytes(msg.AsSpan(0), 36u);
        BitConverter.TryWriteBytes(msg.AsSpan(4), (ushort)2);
        BitConverter.TryWriteBytes(msg.AsSpan(16), -2);
        SocketTableBuilder sockets = new();
        ParseStats stats = default;
        SockDiagParser.Result r = SockDiagParser.Parse(msg, sockets, ref stats, new AsciiPool());
        Assert.Equal(DumpProgress.Error, r.Progress);
        Assert.Equal(2, r.Errno);
    }

    [Fact]
    public void Dump_interrupted_flag_is_reported()
    {
        byte[] buf = Fixture.Bytes("scenario/sockdiag-inet.bin");
        buf[6] |= 0x10; // NLM_F_DUMP_INTR on the first message
        SocketTableBuilder sockets = new();
        ParseStats stats = default;
        SockDiagParser.Parse(buf, sockets, ref stats, new AsciiPool());
        Assert.True(stats.Interrupted);
    }
}
