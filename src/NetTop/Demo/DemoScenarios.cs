using System.Globalization;
using System.Net.Sockets;

namespace NetTop.Demo;

/// <summary>
/// The demo's scenarios, one per thing a panel shows. Ports are fixed: the namespace is private, and all of them
/// lie below the ephemeral range (32768+), so a connect to the closed port can never pick that port as its own
/// source and connect to itself. Each loop is bounded in rate (a step every 0.05–10 s) and in sockets (a few dozen
/// in all).
/// </summary>
internal static class DemoScenarios
{
    public static IReadOnlyList<DemoScenario> All() =>
        [new OverflowingListener(), new DroppedSyn(), new DroppedFinalAck(), new Resets(), new HotRule()];

    public static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>iptables' comment match, so the firewall panel says what each demo rule is for.</summary>
    public static string[] Comment(string text) => ["-m", "comment", "--comment", "nettop demo: " + text];
}

/// <summary>
/// Listen queues: a listener with backlog 4 that never accepts. Its queue fills with backlog+1 connections; every
/// later SYN is dropped by the kernel (ListenOverflows and ListenDrops rise, the socket's drops count) and those
/// clients wait in SYN_SENT, retransmitting, until the next one replaces them.
/// </summary>
internal sealed class OverflowingListener : DemoScenario
{
    public const int ListenPort = 8080;
    public const int Backlog = 4;
    private const int MaxClients = 12;
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(500);

    public override string Name => "overflow";

    public override void Run(CancellationToken ct)
    {
        using Socket listener = Listen(ListenPort, Backlog);
        // 12 clients at 2 new ones per second: each lives 6 s, long enough for two SYN retransmits.
        using Aging clients = new(MaxClients, TimeSpan.MaxValue, s => s.Dispose());
        // A first burst fills the queue (backlog+1) at once and overflows it; then two SYNs a second keep it full.
        KeepConnecting(ct, clients, ListenPort, s_interval, firstBurst: Backlog + 3);
    }
}

/// <summary>
/// Half-open, SYN_SENT: a firewall rule drops the SYNs to a "database" port, so its clients wait in SYN_SENT with
/// growing retransmits and the DROP rule as their suspect. A new client every 10 s, each given up after 30 s.
/// </summary>
internal sealed class DroppedSyn : DemoScenario
{
    public const int TargetPort = 5432;

    public override string Name => "syn-sent";

    public override IReadOnlyList<string[]> Rules =>
        [["INPUT", "-p", "tcp", "--dport", DemoScenarios.Port(TargetPort), "--syn", .. DemoScenarios.Comment("SYNs to :5432 dropped"), "-j", "DROP"]];

    public override void Run(CancellationToken ct)
    {
        using Aging clients = new(3, TimeSpan.FromSeconds(30), s => s.Dispose());
        KeepConnecting(ct, clients, TargetPort, TimeSpan.FromSeconds(10));
    }
}

/// <summary>
/// Half-open, SYN_RECV: a rule drops the clients' pure ACKs to the listener (SYNs pass, SYN-ACKs go the other way),
/// so the handshake never completes on the server: request sockets sit in SYN_RECV under their listener,
/// retransmitting SYN-ACKs, while the clients believe they are connected. A client every 10 s, aborted (RST, which
/// the rule lets through and which removes the request socket) after 30 s.
/// </summary>
internal sealed class DroppedFinalAck : DemoScenario
{
    public const int ListenPort = 9090;

    public override string Name => "syn-recv";

    public override IReadOnlyList<string[]> Rules =>
        [["INPUT", "-p", "tcp", "--dport", DemoScenarios.Port(ListenPort), "--tcp-flags", "SYN,ACK,FIN,RST", "ACK",
            .. DemoScenarios.Comment("final ACKs to :9090 dropped"), "-j", "DROP"]];

    public override void Run(CancellationToken ct)
    {
        using Socket listener = Listen(ListenPort, 16);
        using Aging clients = new(3, TimeSpan.FromSeconds(30), Abort);
        KeepConnecting(ct, clients, ListenPort, TimeSpan.FromSeconds(10));
    }
}

/// <summary>
/// RST feed: one reset of each kind in turn, one per second. A connect to a closed port (the kernel answers with a
/// passive NO_SOCKET reset, the client receives it); a close with SO_LINGER {1, 0} (active, sent in the closing
/// process's context); a close with unread data in the receive queue (active, TCP_ABORT_ON_CLOSE).
/// </summary>
internal sealed class Resets : DemoScenario
{
    public const int ClosedPort = 6379;
    public const int ServerPort = 7000;
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(2);
    private static readonly byte[] s_request = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();

    public override string Name => "resets";

    public override void Run(CancellationToken ct)
    {
        using Socket server = Listen(ServerPort, 8);
        int kind = 0;
        do
        {
            try
            {
                switch (kind)
                {
                    case 0:
                        RefusedConnect();
                        break;
                    case 1:
                        LingerZeroClose(server);
                        break;
                    default:
                        UnreadDataClose(server);
                        break;
                }
            }
            catch (SocketException e)
            {
                Failed(e);
            }
            kind = (kind + 1) % 3;
        }
        while (!Stopping(ct, s_step));
    }

    private void RefusedConnect()
    {
        try
        {
            ConnectWithin(ClosedPort, s_limit).Dispose();
            Failed(new InvalidOperationException($"something listens on the demo's closed port {ClosedPort}"));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // the reset we wanted
        }
    }

    private static void LingerZeroClose(Socket server)
    {
        Socket client = ConnectWithin(ServerPort, s_limit);
        try
        {
            using Socket accepted = AcceptWithin(server, s_limit);
            Abort(client);
            accepted.Poll(s_limit, SelectMode.SelectRead); // the RST arrived: the close below sends nothing
        }
        finally
        {
            client.Dispose();
        }
    }

    private static void UnreadDataClose(Socket server)
    {
        using Socket client = ConnectWithin(ServerPort, s_limit);
        client.Send(s_request);
        Socket accepted = AcceptWithin(server, s_limit);
        // Close only once the request is in the receive queue: then close() resets instead of sending a FIN.
        accepted.Poll(s_limit, SelectMode.SelectRead);
        accepted.Dispose();
        client.Poll(s_limit, SelectMode.SelectRead); // the RST arrived
    }
}

/// <summary>
/// Firewall: an ACCEPT rule for a metrics port that a client feeds with a small message every 50 ms (about 20
/// packets/s through the rule), read by the server as it arrives.
/// </summary>
internal sealed class HotRule : DemoScenario
{
    public const int Port = 8125;
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(50);
    private static readonly byte[] s_metric = "demo.requests:1|c\n"u8.ToArray();

    public override string Name => "hot-rule";

    public override IReadOnlyList<string[]> Rules =>
        [["INPUT", "-p", "tcp", "--dport", DemoScenarios.Port(Port), .. DemoScenarios.Comment("steady traffic to :8125"), "-j", "ACCEPT"]];

    public override void Run(CancellationToken ct)
    {
        using Socket listener = Listen(Port, 4);
        byte[] buffer = new byte[4096];
        Socket? client = null, server = null;
        try
        {
            do
            {
                try
                {
                    if (client is null || server is null)
                    {
                        client = ConnectWithin(Port, TimeSpan.FromSeconds(2));
                        server = AcceptWithin(listener, TimeSpan.FromSeconds(2));
                    }
                    client.Send(s_metric);
                    while (server.Available > 0)
                    {
                        server.Receive(buffer);
                    }
                }
                catch (SocketException e)
                {
                    Failed(e);
                    client?.Dispose();
                    server?.Dispose();
                    client = server = null;
                }
            }
            while (!Stopping(ct, s_step));
        }
        finally
        {
            client?.Dispose();
            server?.Dispose();
        }
    }
}
