using NetTop.Model.Net;
using NetTop.Model.Resets;

namespace NetTop.Model.Tests.Resets;

/// <summary>The per-packet work of the reset feed (the hub's packet consumer): judge once, remember, classify, bound.</summary>
public sealed class ResetPacketConsumerTests
{
    private static readonly DateTimeOffset T0 = WireAndAttributionTests.T0;
    private static readonly NetEndpoint Client = WireAndAttributionTests.Client;
    private static readonly NetEndpoint Server = WireAndAttributionTests.Server;

    private static PacketEvent Tcp(NetEndpoint src, NetEndpoint dst, TcpFlags flags, uint seq, uint ack, PacketDirection dir, int ifIndex = 2) =>
        WireAndAttributionTests.Tcp(src, dst, flags, seq, ack, dir, ifIndex);

    [Fact]
    public void A_refused_connect_is_judged_once_remembered_and_classified()
    {
        ResetPacketConsumer c = new();
        c.Consume([
            Tcp(Client, Server, TcpFlags.Syn, 1000, 0, PacketDirection.Out),
            Tcp(Server, Client, TcpFlags.Rst | TcpFlags.Ack, 0, 1001, PacketDirection.In),
        ], classify: true);
        ResetEvent e = Assert.Single(c.WireResets);
        Assert.Equal((ResetDirection.Received, ResetKind.Passive), (e.Direction, e.Kind));
        Assert.Contains("refused", e.Explanation, StringComparison.Ordinal);
        Assert.True(c.Rsts.TryGetReceived(Client, Server, out _, out WireVerdict v));
        Assert.True(v.AnswersSyn); // the same verdict: the SYN was used up once, not judged twice
        Assert.Equal(0, c.Wire.TrackedSyns);
        Assert.Equal(2, c.Packets);
    }

    [Fact]
    public void Without_remembering_nothing_is_kept_and_past_the_bound_resets_are_counted_not_kept()
    {
        ResetPacketConsumer c = new(maxWireResets: 3);
        PacketEvent loopRst = Tcp(Server, Client, TcpFlags.Rst, 5, 0, PacketDirection.Out, ifIndex: PacketEvent.LoopbackIfIndex);
        c.Consume([loopRst, loopRst with { Seq = 6 }, loopRst with { Seq = 7 }], classify: true, remember: false);
        Assert.Equal(0, c.Rsts.Count);
        // A loopback RST gives two (sent and received); one is classified while fewer than the bound are held, so the
        // second RST's pair goes one past it and the third is only counted.
        Assert.Equal(4, c.WireResets.Count);
        Assert.Equal(1, c.WireResetsDropped);
    }

    /// <summary>Batches bigger than the key buffer (it grows), with repeated flows: the memory holds what one packet
    /// at a time gives.</summary>
    [Fact]
    public void A_large_batch_remembers_what_packets_one_at_a_time_do()
    {
        PacketEvent[] batch = [.. Enumerable.Range(0, 3000).Select(i =>
        {
            NetEndpoint peer = NetEndpoint.FromV4Bytes([10, 1, (byte)(i % 7), 1], (ushort)(1000 + i % 900));
            return i % 5 == 0
                ? Tcp(Server, peer, TcpFlags.Syn, (uint)i, 0, PacketDirection.Out)
                : Tcp(peer, Server, TcpFlags.Rst | TcpFlags.Ack, (uint)(i % 3), (uint)i, PacketDirection.In) with { Time = T0.AddMilliseconds(i) };
        })];
        ResetPacketConsumer batched = new(), single = new();
        batched.Consume(batch, classify: false);
        foreach (PacketEvent p in batch) single.Consume([p], classify: false);
        Assert.Equal(single.Rsts.Count, batched.Rsts.Count);
        foreach (PacketEvent p in batch.Where(p => p.IsRst))
        {
            Assert.True(batched.Rsts.TryGetReceived(Server, p.Source, out DateTimeOffset at, out WireVerdict v));
            Assert.True(single.Rsts.TryGetReceived(Server, p.Source, out DateTimeOffset at1, out WireVerdict v1));
            Assert.Equal((at1, v1), (at, v));
        }
    }
}
