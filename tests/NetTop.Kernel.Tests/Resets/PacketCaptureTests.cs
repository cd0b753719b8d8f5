using System.Net;
using System.Net.Sockets;
using NetTop.Capture;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Packets;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Net;
using NetTop.Model.Resets;

namespace NetTop.Kernel.Tests.Resets;

/// <summary>The AF_PACKET capture of one namespace, with the kernel filter (kernel-interfaces.md §3).</summary>
public sealed class PacketCaptureTests
{
    private static async Task<List<PacketEvent>> CollectAsync(PacketEventRing ring, Func<List<PacketEvent>, bool> done)
    {
        List<PacketEvent> all = [];
        DateTime until = DateTime.UtcNow.AddSeconds(10);
        while (!done(all) && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
            ring.Drain(all);
        }
        await Task.Delay(250); // anything extra (duplicates) would show up now
        ring.Drain(all);
        return all;
    }

    [RootFact]
    public async Task Refused_connect_shows_SYN_and_RST_ACK_once_each_and_classifies_as_passive_on_the_wire()
    {
        using TestNamespace ns = TestNamespace.Create();
        using NetnsThread thread = NetnsThread.Start($"cap-{ns.Name}", NetnsTarget.Resolve(ns.Name));
        using PacketCaptureSource capture = new(thread);
        await capture.StartAsync();
        Assert.Equal(Model.SourceHealth.Ok, capture.Status.Health);
        PacketEventRing ring = capture.Subscribe(1024);

        int port = TestNamespace.RandomPort();
        int clientPort = await thread.InvokeAsync(() =>
        {
            using Socket s = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            try { s.Connect(new IPEndPoint(IPAddress.Loopback, port)); } catch (SocketException) { }
            return ((IPEndPoint)s.LocalEndPoint!).Port;
        });
        List<PacketEvent> all = await CollectAsync(ring, l => l.Any(p => p.IsRst));
        List<PacketEvent> mine = all.Where(p => p.IsTcp && (p.Source.Port == port || p.Destination.Port == port)).ToList();

        PacketEvent syn = Assert.Single(mine, p => p.Flags == TcpFlags.Syn);
        PacketEvent rst = Assert.Single(mine, p => p.IsRst);
        Assert.Equal(2, mine.Count); // lo's outgoing duplicate is filtered in the kernel
        Assert.Equal(clientPort, syn.Source.Port);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(0u, rst.Seq);
        Assert.Equal(syn.Seq + 1, rst.Ack);
        Assert.Equal(PacketEvent.LoopbackIfIndex, rst.IfIndex);
        Assert.Equal(IpFamily.V4, rst.Family);

        WireResetClassifier wire = new();
        List<ResetEvent> resets = [];
        foreach (PacketEvent p in mine) wire.Classify(p, resets);
        Assert.Equal(2, resets.Count); // loopback: sent by the closed port and received by the client
        Assert.All(resets, r => Assert.Equal(ResetKind.Passive, r.Kind));
        Assert.All(resets, r => Assert.Equal("wire", r.Source));
        Assert.Contains(resets, r => r.Direction == ResetDirection.Sent && r.Local.Port == port);
        Assert.Contains(resets, r => r.Direction == ResetDirection.Received && r.Local.Port == clientPort);
        Assert.Contains("refused", resets[0].Explanation, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task The_inline_consumer_gets_every_block_on_the_reader_thread_in_order_with_the_subscriber_rings()
    {
        using TestNamespace ns = TestNamespace.Create();
        using NetnsThread thread = NetnsThread.Start($"cap-{ns.Name}", NetnsTarget.Resolve(ns.Name));
        using PacketCaptureSource capture = new(thread);
        List<PacketEvent> inline = [];
        HashSet<string?> threads = [];
        int batches = 0;
        capture.Consumer = packets =>
        {
            lock (inline)
            {
                batches++;
                threads.Add(Thread.CurrentThread.Name);
                foreach (PacketEvent p in packets) inline.Add(p);
            }
        };
        await capture.StartAsync();
        Assert.Equal(Model.SourceHealth.Ok, capture.Status.Health);
        PacketEventRing ring = capture.Subscribe(1024);

        int port = TestNamespace.RandomPort();
        await thread.InvokeAsync(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                using Socket s = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try { s.Connect(new IPEndPoint(IPAddress.Loopback, port)); } catch (SocketException) { }
            }
            return 0;
        });
        List<PacketEvent> ringed = await CollectAsync(ring, l => l.Count(p => p.IsRst) >= 3);
        PacketEvent[] seen;
        lock (inline)
        {
            seen = [.. inline];
            Assert.Equal(["nettop-packets"], threads); // no thread of its own: the reader's, once per block
            Assert.InRange(batches, 1, 6);
        }
        PacketEvent[] mine = [.. seen.Where(p => p.IsTcp && (p.Source.Port == port || p.Destination.Port == port))];
        Assert.Equal(6, mine.Length); // three SYNs and three RST+ACKs
        Assert.Equal(3, mine.Count(p => p.IsRst));
        Assert.Equal(ringed.Where(p => p.IsTcp && (p.Source.Port == port || p.Destination.Port == port)), mine); // same packets, same order
    }

    [RootFact]
    public async Task Data_is_filtered_out_FIN_and_ICMP_port_unreachable_pass_with_the_quoted_tuple()
    {
        using TestNamespace ns = TestNamespace.Create();
        using NetnsThread thread = NetnsThread.Start($"cap-{ns.Name}", NetnsTarget.Resolve(ns.Name));
        using PacketCaptureSource capture = new(thread);
        await capture.StartAsync();
        PacketEventRing ring = capture.Subscribe(1024);

        int port = TestNamespace.RandomPort();
        int udpPort = TestNamespace.RandomPort();
        await thread.InvokeAsync(() =>
        {
            using Socket l = new(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
            l.Listen(4);
            using Socket c = new(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            c.Connect(new IPEndPoint(IPAddress.IPv6Loopback, port));
            using Socket a = l.Accept();
            for (int i = 0; i < 50; i++) c.Send(new byte[1000]);
            c.Shutdown(SocketShutdown.Send);
            using Socket u = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            u.SendTo(new byte[10], new IPEndPoint(IPAddress.Loopback, udpPort));
            return 0;
        });
        List<PacketEvent> all = await CollectAsync(ring, l => l.Any(p => p.IsIcmpError) && l.Count(p => (p.Flags & TcpFlags.Fin) != 0) >= 1);
        List<PacketEvent> tcp = all.Where(p => p.IsTcp && (p.Source.Port == port || p.Destination.Port == port)).ToList();

        Assert.All(tcp, p => Assert.True((p.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0, $"data segment passed the filter: {p.FlagsText}"));
        Assert.Equal(2, tcp.Count(p => (p.Flags & TcpFlags.Syn) != 0)); // SYN and SYN-ACK, IPv6
        Assert.All(tcp, p => Assert.Equal(IpFamily.V6, p.Family));
        Assert.Contains(tcp, p => (p.Flags & TcpFlags.Fin) != 0);

        PacketEvent icmp = Assert.Single(all, p => p.IsIcmpError);
        Assert.Equal((byte)3, icmp.IcmpType);
        Assert.Equal((byte)3, icmp.IcmpCode);
        Assert.Equal((byte)17, icmp.InnerProtocol);
        Assert.Equal((ushort)udpPort, icmp.InnerDestination?.Port);
        Assert.Equal(0, capture.Malformed);
        capture.ReadStatistics();
        Assert.Equal(0, capture.KernelDrops);
        Assert.True(capture.KernelPackets >= all.Count, $"PACKET_STATISTICS counted {capture.KernelPackets}, decoded {all.Count}");
    }
}
