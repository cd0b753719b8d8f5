using NetTop.Capture.Packets;
using NetTop.Model.Net;
using NetTop.Model.Resets;

namespace NetTop.Capture.Tests.Packets;

/// <summary>The subscriber ring's signal: a consumer blocked in Wait wakes when the reader publishes, and only then.</summary>
public sealed class PacketEventRingTests
{
    private static PacketEvent Rst(int port) => new()
    {
        Time = DateTimeOffset.UnixEpoch, IfIndex = 2, Direction = PacketDirection.In, Family = IpFamily.V4, Protocol = 6,
        Source = NetEndpoint.FromV4Bytes([10, 0, 0, 1], (ushort)port), Destination = NetEndpoint.FromV4Bytes([10, 0, 0, 2], 80),
        Flags = TcpFlags.Rst, Length = 40,
    };

    [Fact]
    public void A_consumer_blocked_in_wait_wakes_when_packets_are_written_and_drains_them()
    {
        PacketEventRing ring = new(16);
        using CancellationTokenSource stop = new(TimeSpan.FromSeconds(30)); // bound: never hangs the suite
        List<PacketEvent> got = [];
        using ManualResetEventSlim waiting = new();
        Thread consumer = new(() =>
        {
            waiting.Set();
            while (got.Count < 3 && ring.Wait(stop.Token)) ring.Drain(got);
        });
        consumer.Start();
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(10)));
        ring.Write([Rst(1), Rst(2)]);
        ring.Write(Rst(3));
        Assert.True(consumer.Join(TimeSpan.FromSeconds(30)));
        Assert.False(stop.IsCancellationRequested); // it woke on the writes, not on the bound
        Assert.Equal([1, 2, 3], got.Select(p => (int)p.Source.Port));
    }

    [Fact]
    public void Wait_does_not_return_true_without_a_write_and_returns_false_when_cancelled()
    {
        PacketEventRing ring = new(16);
        ring.Write(Rst(1));
        Assert.True(ring.Wait(CancellationToken.None)); // level-triggered: packets already there
        Assert.Equal(1, ring.Drain([]));
        using CancellationTokenSource stop = new();
        stop.CancelAfter(TimeSpan.FromMilliseconds(200));
        Assert.False(ring.Wait(stop.Token)); // nothing was written since: only the cancellation ends the wait
    }

    [Fact]
    public void A_write_between_drain_and_the_next_wait_is_not_missed()
    {
        PacketEventRing ring = new(16);
        ring.Write(Rst(1));
        Assert.True(ring.Wait(CancellationToken.None));
        ring.Write(Rst(2)); // after the wait re-armed, before the drain
        List<PacketEvent> got = [];
        ring.Drain(got);
        Assert.True(ring.Wait(CancellationToken.None)); // returns at once (a spurious wake, harmless), never blocks on data it has
        ring.Drain(got);
        Assert.Equal([1, 2], got.Select(p => (int)p.Source.Port));
    }
}
