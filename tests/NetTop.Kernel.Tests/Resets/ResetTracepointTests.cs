using System.Net;
using System.Net.Sockets;
using NetTop.Capture.Perf;
using NetTop.Capture.Sockets;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Sockets;

namespace NetTop.Kernel.Tests.Resets;

/// <summary>Real resets in a private namespace, seen through the perf tracepoints (kernel-interfaces.md §2).</summary>
public sealed class ResetTracepointTests
{
    [RootFact]
    public async Task Connect_to_a_closed_port_is_a_sent_passive_NO_SOCKET_reset_from_tcp_v4_send_reset()
    {
        using ResetScenario sc = await ResetScenario.StartAsync();
        await ConnectRefusedAsync(sc, IPAddress.Loopback, "tcp_v4_send_reset");
    }

    [RootFact]
    public async Task Ipv6_connect_to_a_closed_port_is_passive_NO_SOCKET_from_tcp_v6_send_reset()
    {
        using ResetScenario sc = await ResetScenario.StartAsync();
        await ConnectRefusedAsync(sc, IPAddress.IPv6Loopback, "tcp_v6_send_reset");
    }

    private static async Task ConnectRefusedAsync(ResetScenario sc, IPAddress address, string frame)
    {
        int port = TestNamespace.RandomPort();
        Socket s = await sc.SocketAsync(address.AddressFamily);
        await sc.InNamespace(() => { s.Bind(new IPEndPoint(address, 0)); return 0; });
        int clientPort = ((IPEndPoint)s.LocalEndPoint!).Port;
        SocketException e = await Assert.ThrowsAsync<SocketException>(() => s.ConnectAsync(new IPEndPoint(address, port)).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);

        ResetEvent rst = await sc.WaitForAsync(r => r.Direction == ResetDirection.Sent && r.Local.Port == port
            && r.Local.Family == (address.AddressFamily == AddressFamily.InterNetwork ? IpFamily.V4 : IpFamily.V6), $"from port {port}");
        Assert.Equal(ResetKind.Passive, rst.Kind);
        Assert.Equal("NO_SOCKET", rst.Reason);
        Assert.Equal(TcpState.Unknown, rst.State);
        Assert.Null(rst.Pid); // a reply runs in softirq: the interrupted task is not the owner
        Assert.Equal(clientPort, rst.Remote.Port);
        Assert.Contains(rst.Stack, f => f.StartsWith(frame + "+", StringComparison.Ordinal) || f == frame);
        Assert.Equal(ResetOrigin.Tracepoint, rst.Origin);
        Assert.True(Math.Abs((rst.Wall - DateTimeOffset.UtcNow).TotalSeconds) < 10, $"wall time {rst.Wall:O} is off");
    }

    [RootFact]
    public async Task Linger_zero_close_is_a_sent_active_TCP_STATE_reset_and_the_peer_receives_it()
    {
        using ResetScenario sc = await ResetScenario.StartAsync();
        (Socket client, Socket server, _) = await sc.ConnectedPairAsync(IPAddress.Loopback);
        IPEndPoint c = (IPEndPoint)client.LocalEndPoint!, srv = (IPEndPoint)server.LocalEndPoint!;

        // The peer's cookie comes from the namespace's sock_diag snapshot taken before the reset.
        SocketsSource sockets = new(sc.Thread, SocketsMode.Netlink, tcpInfo: false, () => TimeSpan.Zero);
        SocketsSample before = await sockets.PollAsync();
        sockets.Dispose();
        ResetNetnsAttributor attribution = new(sc.NetnsInode);
        attribution.ObserveSockets(before.Sockets);

        client.LingerState = new LingerOption(true, 0);
        // Closed on the namespace's thread: the task's netns is what attributes a process-context reset.
        await sc.InNamespace(() => { client.Close(); return 0; });

        ResetEvent sent = await sc.WaitForAsync(r => r.Direction == ResetDirection.Sent && r.Local.Port == c.Port, $"from {c}");
        Assert.Equal(ResetKind.Active, sent.Kind);
        Assert.Equal("TCP_STATE", sent.Reason); // 6.18: __tcp_close → tcp_disconnect, not TCP_ABORT_ON_LINGER
        Assert.Equal(TcpState.Close, sent.State);
        Assert.Contains(sent.Stack, f => f.StartsWith("tcp_send_active_reset", StringComparison.Ordinal));
        Assert.Equal(Environment.ProcessId, sent.Pid);
        Assert.NotNull(sent.Comm);
        Assert.Equal(sc.NetnsInode, sent.NetnsInode);
        Assert.True(attribution.Belongs(sent), "process-context reset not attributed to its namespace");

        ResetEvent received = await sc.WaitForAsync(r => r.Direction == ResetDirection.Received && r.Local.Port == srv.Port && r.Remote.Port == c.Port,
            $"received by {srv}");
        Assert.NotEqual(0UL, received.Cookie);
        ulong serverCookie = before.Sockets.Single(s => s.Local.Port == srv.Port && s.Remote.Port == c.Port).Cookie;
        Assert.Equal(serverCookie, received.Cookie);
        Assert.True(attribution.Belongs(received), "cookie attribution failed");

        // The same events through a namespace that is not theirs are tagged.
        ResetNetnsAttributor other = new(watchedNetnsInode: 1);
        Assert.Equal(ResetEvent.OtherNetns, other.Attribute(sent).NetnsTag);
        Assert.Equal(ResetEvent.OtherNetns, other.Attribute(received).NetnsTag);
    }

    [RootFact]
    public async Task Close_with_unread_data_is_an_active_TCP_ABORT_ON_CLOSE_reset()
    {
        using ResetScenario sc = await ResetScenario.StartAsync();
        (Socket client, Socket server, _) = await sc.ConnectedPairAsync(IPAddress.Loopback);
        IPEndPoint srv = (IPEndPoint)server.LocalEndPoint!;
        await client.SendAsync(new byte[100]);
        await Task.Delay(100); // let the data land in the server's receive queue
        server.Close();

        ResetEvent sent = await sc.WaitForAsync(r => r.Direction == ResetDirection.Sent && r.Local.Port == srv.Port && r.Remote.Port == ((IPEndPoint)client.LocalEndPoint!).Port,
            $"from {srv}");
        Assert.Equal(ResetKind.Active, sent.Kind);
        Assert.Equal("TCP_ABORT_ON_CLOSE", sent.Reason);
        Assert.Contains(sent.Stack, f => f.StartsWith("tcp_send_active_reset", StringComparison.Ordinal));
        Assert.Equal(Environment.ProcessId, sent.Pid);
    }
}
