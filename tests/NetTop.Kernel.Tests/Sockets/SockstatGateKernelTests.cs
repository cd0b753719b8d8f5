using System.Net;
using System.Net.Sockets;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Sockets;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Kernel.Tests.Sockets;

/// <summary>
/// The sockets source skips a family's dump when the namespace's sockstat counts no socket of it and no TIME_WAIT
/// (SockstatGate). These check, on this kernel, that the counts it trusts do count what NetTop must show: an
/// IPv6-only listener, and a namespace whose only TCP socket left is a TIME_WAIT.
/// </summary>
public sealed class SockstatGateKernelTests
{
    private static async Task<SocketsSample> PollAsync(TestNamespace ns)
    {
        using NetnsThread thread = NetnsThread.Start("sockstat-k", NetnsTarget.Resolve(ns.Name));
        using SocketsSource source = new(thread, SocketsMode.Netlink, tcpInfo: true, () => TimeSpan.Zero);
        return await source.PollAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static string Describe(SocketsSample s) =>
        string.Join("\n", s.Sockets.Select(x => $"{x.Family} {x.State} {x.Local.Port}")) is { Length: > 0 } t ? t : "(no sockets)";

    [RootFact]
    public async Task An_empty_namespace_has_no_sockets_and_an_IPv6_only_listener_is_found()
    {
        using TestNamespace ns = TestNamespace.Create();
        SocketsSample empty = await PollAsync(ns);
        Assert.Empty(empty.Sockets);

        int port = TestNamespace.RandomPort();
        await ns.ListenAsync(IPAddress.IPv6Loopback, port, 8);
        SocketsSample s = await PollAsync(ns);
        Assert.True(s.Sockets.Any(x => x.State == TcpState.Listen && x.Family == IpFamily.V6 && x.Local.Port == port),
            $"no IPv6 listener on {port}:\n{Describe(s)}");
    }

    [RootFact]
    public async Task A_namespace_whose_only_socket_is_in_TIME_WAIT_still_shows_it()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        Socket listener = await ns.ListenAsync(IPAddress.Loopback, port, 8);
        Socket client = await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port));
        listener.Blocking = true;
        using Socket server = await Task.Run(listener.Accept).WaitAsync(TimeSpan.FromSeconds(10));
        // The client closes first (it will hold TIME_WAIT), then the server answers with its FIN.
        client.Blocking = true;
        client.Shutdown(SocketShutdown.Both);
        client.Close();
        byte[] buffer = new byte[16];
        server.ReceiveTimeout = 5000;
        Assert.Equal(0, server.Receive(buffer)); // the client's FIN
        server.Close();
        listener.Close();

        SocketsSample s = await PollAsync(ns);
        for (int i = 0; i < 50 && s.Sockets.Any(x => x.State != TcpState.TimeWait); i++) // LAST_ACK → closed takes an ACK
        {
            await Task.Delay(20);
            s = await PollAsync(ns);
        }
        Assert.True(s.Sockets.Count == 1 && s.Sockets[0].State == TcpState.TimeWait,
            $"expected exactly one TIME_WAIT socket:\n{Describe(s)}");
    }
}
