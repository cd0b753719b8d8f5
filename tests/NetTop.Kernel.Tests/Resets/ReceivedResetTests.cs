using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NetTop.Capture;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model;
using NetTop.Model.Net;
using NetTop.Model.Packets;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;

namespace NetTop.Kernel.Tests.Resets;

/// <summary>
/// Received resets through the whole hub (tracepoints + the namespace's capture): their kind comes from the captured
/// segment by the wire rules, their state from the refused SYN or the socket table; the flow's control packets are
/// kept for the timeline and the pcap.
/// </summary>
public sealed class ReceivedResetTests
{
    private static async Task<CaptureHub> StartHubAsync(TestNamespace ns)
    {
        CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Firewall = false, ProcessOwners = false });
        await hub.StartedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        HostSnapshot first = await hub.RefreshBoundedAsync();
        Assert.True(first.Sources.Single(s => s.Name == "packets").Health == SourceHealth.Ok, first.Sources.Single(s => s.Name == "packets").DetailWithFix);
        Assert.True(first.Sources.Single(s => s.Name == "resets").Health == SourceHealth.Ok, first.Sources.Single(s => s.Name == "resets").DetailWithFix);
        return hub;
    }

    private static Func<HostSnapshot, bool> HasReceived(int localPort, int remotePort) => s => s.Resets.Any(r =>
        r.Event.Direction == ResetDirection.Received && r.Event.Local.Port == localPort && r.Event.Remote.Port == remotePort
        && r.Event.Origin == ResetOrigin.Tracepoint && r.Event.Kind != ResetKind.Unknown);

    private static ResetEvent Received(HostSnapshot s, int localPort, int remotePort) =>
        s.Resets.Select(r => r.Event).FirstOrDefault(e => e.Direction == ResetDirection.Received && e.Local.Port == localPort && e.Remote.Port == remotePort)
        ?? throw new Xunit.Sdk.XunitException($"no received reset {localPort} <- {remotePort}; feed:\n" +
            string.Join("\n", s.Resets.Select(r => $"  {r.Event.DirectionText} {r.Event.KindText} {r.Event.Reason} {r.Event.Local} {r.Event.Remote} {r.Event.Source}")));

    [RootFact]
    public async Task The_peer_of_a_linger_zero_close_receives_an_active_reset_in_ESTABLISHED_and_the_flow_keeps_its_packets()
    {
        using TestNamespace ns = TestNamespace.Create();
        await using CaptureHub hub = await StartHubAsync(ns);
        int port = TestNamespace.RandomPort();
        (Socket listener, Socket client, Socket server) = await hub.NetnsThread.InvokeAsync(() =>
        {
            Socket l = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(new IPEndPoint(IPAddress.Loopback, port));
            l.Listen(4);
            Socket c = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            c.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return (l, c, l.Accept());
        }).WaitAsync(TimeSpan.FromSeconds(30));
        using (listener)
        using (server)
        {
            IPEndPoint c = (IPEndPoint)client.LocalEndPoint!;
            // One refresh while the connection is up: the server socket's cookie and state are in the socket table.
            await hub.RefreshBoundedAsync();
            client.LingerState = new LingerOption(true, 0);
            await hub.NetnsThread.InvokeAsync(() => { client.Close(); return 0; }).WaitAsync(TimeSpan.FromSeconds(30));

            HostSnapshot s = await hub.RefreshUntilAsync(HasReceived(port, c.Port), TimeSpan.FromSeconds(15));
            ResetEvent received = Received(s, port, c.Port);
            Assert.Equal(ResetKind.Active, received.Kind);
            Assert.True(received.KindFromWire);
            Assert.Equal(ResetOrigin.Tracepoint, received.Origin);
            Assert.Equal(TcpState.Established, received.State);
            Assert.Contains("aborted", received.Explanation, StringComparison.Ordinal);

            // The flow's control packets: SYN, SYN-ACK and the RST, in order, either orientation.
            NetEndpoint local = NetEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, port)), remote = NetEndpoint.FromIPEndPoint(c);
            IReadOnlyList<PacketEvent> packets = hub.FlowPackets(local, remote);
            Assert.Equal([TcpFlags.Syn, TcpFlags.Syn | TcpFlags.Ack, TcpFlags.Rst | TcpFlags.Ack], packets.Select(p => p.Flags));
            Assert.Equal(packets, hub.FlowPackets(remote, local));
            (byte[] pcap, int count) = hub.FlowPcap(local, remote);
            Assert.Equal(3, count);
            Assert.Equal(PcapWriter.MagicNanoseconds, BinaryPrimitives.ReadUInt32LittleEndian(pcap));
            Assert.Equal((uint)PcapWriter.LinkTypeLinuxSll, BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(20)));
        }
    }

    [RootFact]
    public async Task A_client_refused_by_a_closed_port_receives_a_passive_reset_in_SYN_SENT()
    {
        using TestNamespace ns = TestNamespace.Create();
        await using CaptureHub hub = await StartHubAsync(ns);
        int port = TestNamespace.RandomPort();
        int clientPort = await hub.NetnsThread.InvokeAsync(() =>
        {
            using Socket s = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            SocketException e = Assert.Throws<SocketException>(() => s.Connect(new IPEndPoint(IPAddress.Loopback, port)));
            Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
            return ((IPEndPoint)s.LocalEndPoint!).Port;
        }).WaitAsync(TimeSpan.FromSeconds(30));

        HostSnapshot snap = await hub.RefreshUntilAsync(HasReceived(clientPort, port), TimeSpan.FromSeconds(15));
        ResetEvent received = Received(snap, clientPort, port);
        Assert.Equal(ResetKind.Passive, received.Kind);
        Assert.True(received.KindFromWire);
        Assert.Equal(TcpState.SynSent, received.State);
        Assert.Contains("refused", received.Explanation, StringComparison.Ordinal);
        // The sender's side of the same reset comes from the kernel, not the wire.
        ResetEvent sent = snap.Resets.Select(r => r.Event).First(e => e.Direction == ResetDirection.Sent && e.Local.Port == port);
        Assert.Equal(ResetKind.Passive, sent.Kind);
        Assert.False(sent.KindFromWire);
    }
}
