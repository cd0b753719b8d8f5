using NetTop.Model.Net;
using NetTop.Model.Packets;
using NetTop.Model.Resets;

namespace NetTop.Capture.Tests.Packets;

/// <summary>The per-flow store of control packets: both directions meet, ICMP errors join the flow they quote, bounds hold.</summary>
public sealed class FlowPacketStoreTests
{
    private static readonly NetEndpoint Client = NetEndpoint.FromV4Bytes([10, 0, 0, 1], 40000);
    private static readonly NetEndpoint Server = NetEndpoint.FromV4Bytes([10, 0, 0, 2], 443);
    private static readonly LinkHeader Link = new(0x0800, 0, 1, 0, 6);

    private static PacketEvent Tcp(NetEndpoint src, NetEndpoint dst, TcpFlags flags, int second = 0) => new()
    {
        Time = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000 + second), IfIndex = 2,
        Direction = PacketDirection.In, Family = IpFamily.V4, Protocol = 6, Source = src, Destination = dst, Flags = flags, Length = 40,
    };

    private static byte[] Bytes(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    [Fact]
    public void Both_directions_of_a_flow_are_kept_oldest_first_and_data_segments_are_not()
    {
        FlowPacketStore store = new();
        Assert.True(store.Add(Tcp(Client, Server, TcpFlags.Syn, 1), Bytes(60, 1), Link));
        Assert.True(store.Add(Tcp(Server, Client, TcpFlags.Syn | TcpFlags.Ack, 2), Bytes(60, 2), Link));
        Assert.False(store.Add(Tcp(Client, Server, TcpFlags.Ack | TcpFlags.Psh, 3), Bytes(60, 3), Link));
        Assert.True(store.Add(Tcp(Server, Client, TcpFlags.Rst, 4), Bytes(40, 4), Link));

        IReadOnlyList<PacketEvent> flow = store.Packets(Server, Client);
        Assert.Equal([TcpFlags.Syn, TcpFlags.Syn | TcpFlags.Ack, TcpFlags.Rst], flow.Select(p => p.Flags));
        Assert.Equal(flow, store.Packets(Client, Server));
        IReadOnlyList<CapturedPacket> captured = store.Captured(Client, Server);
        Assert.Equal([1, 2, 4], captured.Select(c => c.Data[0]).Select(b => (int)b));
        Assert.Equal(40, captured[2].Data.Length);
        Assert.Empty(store.Packets(Client, NetEndpoint.FromV4Bytes([10, 0, 0, 3], 443)));
    }

    [Fact]
    public void An_icmp_error_joins_the_flow_it_quotes_and_v4_mapped_addresses_meet_plain_ones()
    {
        FlowPacketStore store = new();
        store.Add(Tcp(Client, Server, TcpFlags.Syn), Bytes(60, 1), Link);
        PacketEvent icmp = new()
        {
            Time = DateTimeOffset.UnixEpoch, IfIndex = 2, Direction = PacketDirection.In, Family = IpFamily.V4, Protocol = 1,
            Source = NetEndpoint.FromV4Bytes([10, 0, 0, 254], 0), Destination = Client, IcmpType = 3, IcmpCode = 1, IsIcmpError = true,
            InnerProtocol = 6, InnerSource = Client, InnerDestination = Server, Length = 88,
        };
        Assert.True(store.Add(icmp, Bytes(88, 9), Link));
        NetEndpoint mappedClient = NetEndpoint.FromV6Bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1], 40000);
        IReadOnlyList<PacketEvent> flow = store.Packets(mappedClient, Server);
        Assert.Equal(2, flow.Count);
        Assert.True(flow[1].IsIcmpError);
    }

    [Fact]
    public void Bounded_in_flows_packets_per_flow_and_total_packets_under_a_reset_flood()
    {
        FlowPacketStore store = new(maxFlows: 100, packetsPerFlow: 4, maxPackets: 150, snapLength: 128);
        long reserved = store.BytesReserved;
        // One long-lived flow with many control packets, and a flood of one-RST flows.
        for (int i = 0; i < 10; i++) store.Add(Tcp(Client, Server, TcpFlags.Fin | TcpFlags.Ack, i), Bytes(300, (byte)i), Link);
        Assert.Equal(4, store.Packets(Client, Server).Count);
        Assert.Equal([6, 7, 8, 9], store.Captured(Client, Server).Select(c => (int)c.Data[0]));
        Assert.All(store.Captured(Client, Server), c => Assert.Equal(128, c.Data.Length)); // cut to the snap length
        for (int i = 0; i < 20_000; i++)
        {
            NetEndpoint src = NetEndpoint.FromV4Bytes([192, 168, (byte)(i >> 8), (byte)i], (ushort)(1024 + i % 50_000));
            store.Add(Tcp(src, Server, TcpFlags.Rst, i), Bytes(40, 5), Link);
            Assert.True(store.FlowCount <= 100 && store.PacketCount <= 150);
        }
        Assert.Equal(100, store.FlowCount);
        Assert.Empty(store.Packets(Client, Server)); // the oldest flow went first
        Assert.Equal(reserved, store.BytesReserved);
        NetEndpoint last = NetEndpoint.FromV4Bytes([192, 168, (byte)(19_999 >> 8), unchecked((byte)19_999)], (ushort)(1024 + 19_999 % 50_000));
        Assert.Single(store.Packets(Server, last));
    }

    [Fact]
    public void When_total_packets_bind_the_least_recently_updated_flows_are_evicted()
    {
        FlowPacketStore store = new(maxFlows: 10, packetsPerFlow: 8, maxPackets: 8, snapLength: 128);
        NetEndpoint other = NetEndpoint.FromV4Bytes([10, 0, 0, 9], 5555);
        for (int i = 0; i < 4; i++) store.Add(Tcp(other, Server, TcpFlags.Syn, i), Bytes(40, 1), Link);
        for (int i = 0; i < 8; i++) store.Add(Tcp(Client, Server, TcpFlags.Syn, i), Bytes(40, 2), Link);
        Assert.Empty(store.Packets(other, Server));
        Assert.Equal(8, store.Packets(Client, Server).Count);
        Assert.Equal(8, store.PacketCount);
        store.Add(Tcp(Client, Server, TcpFlags.Rst, 9), Bytes(40, 3), Link); // the only flow gives up its own oldest
        Assert.Equal(8, store.Packets(Client, Server).Count);
        Assert.Equal(TcpFlags.Rst, store.Packets(Client, Server)[^1].Flags);
    }

    /// <summary>
    /// Random traffic over few endpoints (flows come back after being evicted; the index's probe chains wrap and are
    /// shifted on every removal) against a plain model: the newest <c>maxFlows</c> flows by last update, each with its
    /// newest packets. Every kept flow is found with exactly the model's packets, every evicted one is empty.
    /// </summary>
    [Theory]
    [InlineData(1, 8, 4, 32)]
    [InlineData(2, 64, 8, 512)]
    [InlineData(3, 5, 3, 15)]
    public void Random_flows_come_and_go_as_a_model_of_the_newest_flows_says(int seed, int maxFlows, int perFlow, int maxPackets)
    {
        FlowPacketStore store = new(maxFlows, perFlow, maxPackets);
        Random rnd = new(seed);
        List<(FlowKey Key, NetEndpoint A, NetEndpoint B, List<uint> Seqs)> model = []; // oldest updated first
        NetEndpoint[] hosts = [.. Enumerable.Range(0, 6).Select(i => NetEndpoint.FromV4Bytes([10, 0, 0, (byte)(i + 1)], (ushort)(1000 + rnd.Next(4))))];
        for (uint seq = 1; seq <= 20_000; seq++)
        {
            NetEndpoint a = hosts[rnd.Next(hosts.Length)], b = hosts[rnd.Next(hosts.Length)];
            if (rnd.Next(2) == 0) (a, b) = (b, a);
            PacketEvent e = Tcp(a, b, TcpFlags.Rst) with { Seq = seq };
            Assert.True(store.Add(e, Bytes(40, 1), Link));
            FlowKey key = new(a, b);
            int at = model.FindIndex(m => m.Key == key);
            (FlowKey Key, NetEndpoint A, NetEndpoint B, List<uint> Seqs) flow = at >= 0 ? model[at] : (key, a, b, []);
            if (at >= 0) model.RemoveAt(at);
            else if (model.Count == maxFlows) model.RemoveAt(0);
            flow.Seqs.Add(seq);
            if (flow.Seqs.Count > perFlow) flow.Seqs.RemoveAt(0);
            model.Add(flow);
            while (model.Sum(m => m.Seqs.Count) > maxPackets) model.RemoveAt(0);
            if (seq % 97 != 0) continue;
            Assert.Equal(model.Count, store.FlowCount);
            Assert.Equal(model.Sum(m => m.Seqs.Count), store.PacketCount);
            foreach ((FlowKey _, NetEndpoint ma, NetEndpoint mb, List<uint> seqs) in model)
            {
                Assert.Equal(seqs, store.Packets(mb, ma).Select(p => p.Seq));
            }
            foreach (NetEndpoint x in hosts)
            {
                foreach (NetEndpoint y in hosts)
                {
                    if (!model.Exists(m => m.Key == new FlowKey(x, y))) Assert.Empty(store.Packets(x, y));
                }
            }
        }
    }
}
