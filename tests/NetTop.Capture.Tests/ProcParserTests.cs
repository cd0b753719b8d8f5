using NetTop.Capture.Counters;
using NetTop.Capture.Sockets;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Tests;

public sealed class ProcParserTests
{
    private static List<TcpSocket> Tcp(string fixture, IpFamily family, out ParseStats stats)
    {
        SocketTableBuilder sockets = new();
        stats = default;
        ProcNetTcpParser.Parse(Fixture.Text(fixture), family, sockets, ref stats);
        return [.. sockets.Build()];
    }

    [Fact]
    public void Proc_net_tcp_gives_the_accept_queue_but_no_max_backlog()
    {
        List<TcpSocket> sockets = Tcp("scenario/proc-net-tcp.txt", IpFamily.V4, out ParseStats stats);
        Assert.Equal(0, stats.Malformed);
        Assert.Equal(18, sockets.Count); // the same namespace as sockdiag-inet.bin
        TcpSocket l = Assert.Single(sockets, s => s.State == TcpState.Listen && s.Local.Port == 8080);
        Assert.Equal("127.0.0.1:8080", l.Local.ToString());
        Assert.Equal(3u, l.RQueue);
        Assert.Equal(0u, l.WQueue);
        Assert.False(l.BacklogKnown);
        Assert.Equal(1089310UL, l.Inode);
        Assert.Equal(2, sockets.Count(s => s.IsRequest && s.Local.Port == 9090));
        TcpSocket sent = Assert.Single(sockets, s => s.State == TcpState.SynSent && s.Remote.Port == 7100);
        Assert.True(sent.Retrans >= 1);
        Assert.Equal(TcpTimer.Retransmit, sent.Timer);
        Assert.True(sent.ExpiresMs > 0);
    }

    [Fact]
    public void Proc_net_tcp6_decodes_host_order_words()
    {
        List<TcpSocket> sockets = Tcp("scenario/proc-net-tcp6.txt", IpFamily.V6, out ParseStats stats);
        Assert.Equal(0, stats.Malformed);
        Assert.Equal(4, sockets.Count);
        Assert.Contains(sockets, s => s.State == TcpState.Listen && s.Local.ToString() == "[::1]:8443");
        Assert.Contains(sockets, s => s.State == TcpState.Listen && s.Local.ToString() == "[::]:2222");
    }

    [Fact]
    public void Empty_proc_file_gives_no_sockets_and_no_errors()
    {
        Assert.Empty(Tcp("empty.txt", IpFamily.V4, out ParseStats stats));
        Assert.Equal(0, stats.Malformed);
    }

    [Fact]
    public void Garbage_lines_are_skipped_and_counted()
    {
        string text = Fixture.Text("scenario/proc-net-tcp.txt") + "  99: zzzz:1 00000000:0000 0A\nnot a line\n";
        SocketTableBuilder sockets = new();
        ParseStats stats = default;
        ProcNetTcpParser.Parse(text, IpFamily.V4, sockets, ref stats);
        Assert.Equal(18, sockets.Count);
        Assert.Equal(2, stats.Malformed);
    }

    [Fact]
    public void Netstat_and_snmp_zip_headers_with_values()
    {
        Dictionary<string, ulong> v = [];
        Assert.Equal(0, ProcNetstatParser.Parse(Fixture.Text("scenario/netstat.txt"), v));
        Assert.Equal(0, ProcNetstatParser.Parse(Fixture.Text("scenario/snmp.txt"), v));
        Assert.True(v["ListenOverflows"] > 0);   // the full 8080 queue
        Assert.Equal(v["ListenOverflows"], v["ListenDrops"]);
        Assert.True(v["TCPSynRetrans"] > 0);
        Assert.True(v.ContainsKey("TcpOutRsts"));
        Assert.True(v.ContainsKey("TcpEstabResets"));
        Assert.True(v.ContainsKey("IpExtInOctets"));
        Assert.False(v.ContainsKey("TcpMaxConn")); // -1: not a counter
    }

    [Fact]
    public void Netstat_empty_and_unpaired_input()
    {
        Dictionary<string, ulong> v = [];
        Assert.Equal(0, ProcNetstatParser.Parse(Fixture.Text("empty.txt"), v));
        Assert.Empty(v);
        Assert.Equal(1, ProcNetstatParser.Parse("TcpExt: A B\n", v));            // header without values
        Assert.Equal(1, ProcNetstatParser.Parse("TcpExt: A B\nTcpExt: 1\n", v)); // fewer values than names
        Assert.Equal(1UL, v["A"]);
    }
}
