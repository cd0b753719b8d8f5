using System.Buffers.Binary;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Packets;
using NetTop.Capture.Tests.Resets;
using NetTop.Model.Net;
using NetTop.Model.Resets;

namespace NetTop.Capture.Tests.Packets;

/// <summary>
/// The reader's handling of one block, on kernel-shaped TPACKET_V3 blocks made of the recorded packets
/// (tests/fixtures/pcap/resets.pcap, 22 packets): a quiet block (at most <see cref="NetTop.Model.Packets.FlowPacketStore.HoldPackets"/>
/// packets) is decoded into the reader state's inline batch, a busy one into the growable array; either way the
/// consumer gets the block's packets whole and in order, and only them.
/// </summary>
public sealed class ReaderBlockTests
{
    // The block helper writes whole seconds (tp_sec, no tp_nsec): the expected events are decoded at that time too.
    private static List<PacketEvent> Decode(IEnumerable<PacketFixtureTests.PcapPacket> packets) => packets
        .Select(p => PacketDecoder.Decode(p.Data, p.Protocol, p.IfIndex, p.PktType,
                DateTimeOffset.FromUnixTimeSeconds(p.Time.ToUnixTimeSeconds()), p.Length)
            ?? throw new Xunit.Sdk.XunitException("a recorded packet did not decode"))
        .ToList();

    [Fact]
    public void Quiet_and_busy_blocks_reach_the_consumer_whole_in_order_and_alone()
    {
        List<PacketFixtureTests.PcapPacket> all = PacketFixtureTests.Packets;
        Assert.True(all.Count > NetTop.Model.Packets.FlowPacketStore.HoldPackets, "the fixture must make a busy block");
        using NetnsThread thread = NetnsThread.Start("test-reader", null);
        using PacketCaptureSource source = new(thread);
        List<List<PacketEvent>> batches = [];
        source.Consumer = b => batches.Add([.. b]);

        List<PacketFixtureTests.PcapPacket> first = all.Take(5).ToList(), last = all.Skip(5).Take(3).ToList();
        source.HandleBlock(PacketFixtureTests.Block(first));   // quiet
        source.HandleBlock(PacketFixtureTests.Block(all));     // busy
        source.HandleBlock(PacketFixtureTests.Block(last));    // quiet again: the inline batch, not the busy one's tail

        Assert.Equal([5, all.Count, 3], batches.Select(b => b.Count));
        Assert.Equal(Decode(first), batches[0]);
        Assert.Equal(Decode(all), batches[1]);
        Assert.Equal(Decode(last), batches[2]);
        Assert.Equal(5 + all.Count + 3, source.Decoded);
        Assert.Equal(3, source.Blocks);
        Assert.Equal(0, source.Malformed);
        // The quiet blocks' control packets wait in the flow store's pending buffer: they count and can be queried.
        PacketEvent syn = batches[0].First(p => p.Flags == TcpFlags.Syn);
        Assert.Contains(source.FlowPackets(syn.Source, syn.Destination), p => p.Flags == TcpFlags.Syn && p.Seq == syn.Seq);
    }

    [Theory]
    [InlineData(uint.MaxValue)]
    [InlineData(17u)]
    [InlineData(16u)]
    public void A_block_that_claims_more_packets_than_it_holds_is_counted_not_trusted(uint claimed)
    {
        List<PacketFixtureTests.PcapPacket> three = PacketFixtureTests.Packets.Take(3).ToList();
        byte[] block = PacketFixtureTests.Block(three);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(12), claimed); // num_pkts
        using NetnsThread thread = NetnsThread.Start("test-reader", null);
        using PacketCaptureSource source = new(thread);
        int got = 0;
        source.Consumer = b => got += b.Length;

        source.HandleBlock(block);

        Assert.Equal(3, got);
        Assert.Equal(3, source.Decoded);
        Assert.Equal(1, source.Malformed); // the walk ends at the last frame's tp_next_offset of 0
    }
}
