using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NetTop.Capture;
using NetTop.Capture.Packets;
using NetTop.Capture.Perf;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Resets;
using Xunit.Abstractions;

namespace NetTop.Kernel.Tests.Resets;

/// <summary>A bounded storm of resets: the feed's count for the namespace matches the kernel's own counter.</summary>
public sealed class ResetStormTests(ITestOutputHelper output)
{
    private const int Storm = 20_000;

    [RootFact]
    public async Task Storm_of_20000_resets_matches_TcpOutRsts_or_the_difference_is_lost()
    {
        ResetTraceOptions options = new() { EventCapacity = 8192 };
        using ResetScenario sc = await ResetScenario.StartAsync(options);
        PacketCaptureSource capture = await sc.StartCaptureAsync(new PacketCaptureOptions { BlockCount = 32 });
        PacketEventRing packets = capture.Subscribe(65_536);
        ResetNetnsAttributor attribution = new(sc.NetnsInode);
        ResetFeed feed = new();
        List<ResetEvent> drained = [], decided = [];
        List<PacketEvent> seenPackets = [];
        long otherNetns = 0, maxQueued = 0;

        void Pump(DateTimeOffset now)
        {
            maxQueued = Math.Max(maxQueued, sc.Trace.Events.Count);
            seenPackets.Clear();
            packets.Drain(seenPackets);
            attribution.ObservePackets(seenPackets);
            drained.Clear();
            sc.Trace.Drain(drained);
            decided.Clear();
            attribution.AttributeSettled(drained, now, decided);
            foreach (ResetEvent e in decided)
            {
                if (e.NetnsTag is null) feed.Add(e);
                else otherNetns++;
            }
            attribution.Prune(now - TimeSpan.FromSeconds(5));
        }

        int port = TestNamespace.RandomPort();
        long before = await sc.SnmpTcpAsync("OutRsts");
        using CancellationTokenSource stop = new();
        Task pump = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Pump(DateTimeOffset.UtcNow);
                await Task.Delay(20);
            }
        });
        Stopwatch sw = Stopwatch.StartNew();
        int refused = await sc.InNamespace(() =>
        {
            int n = 0;
            IPEndPoint closed = new(IPAddress.Loopback, port);
            for (int i = 0; i < Storm && sw.Elapsed < TimeSpan.FromSeconds(60); i++)
            {
                using Socket s = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    s.Connect(closed);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    n++;
                }
            }
            return n;
        });
        TimeSpan took = sw.Elapsed;
        long after = await sc.SnmpTcpAsync("OutRsts");
        await Task.Delay(400); // the last packet blocks retire after 100 ms
        await stop.CancelAsync();
        await pump;
        Pump(DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5)); // settle everything still pending
        capture.ReadStatistics();

        long delta = after - before;
        long lost = sc.Trace.LostEvents + sc.Trace.RingDropped;
        output.WriteLine($"{refused} refused connects in {took.TotalSeconds:0.00} s ({refused / took.TotalSeconds:0} resets/s); TcpOutRsts +{delta}; " +
            $"feed sent {feed.TotalSent}, received {feed.TotalReceived}; other netns {otherNetns}; perf lost {sc.Trace.LostEvents}, " +
            $"queue drops {sc.Trace.RingDropped}, max queued {maxQueued}; capture {capture.Decoded} packets, kernel drops {capture.KernelDrops}; feed rows {feed.RowCount}");

        Assert.Equal(Storm, refused);
        Assert.True(delta >= Storm, $"TcpOutRsts grew by {delta}, expected ≥ {Storm}");
        if (lost == 0 && capture.KernelDrops == 0)
        {
            Assert.Equal(delta, feed.TotalSent);
        }
        else
        {
            Assert.InRange(delta - feed.TotalSent, 0, lost + capture.KernelDrops);
        }
        // Bounded: the feed keeps at most its capacity of rows, the queue at most its capacity of events.
        Assert.True(feed.RowCount <= feed.Capacity);
        Assert.True(maxQueued <= options.EventCapacity);
        Assert.All(feed.Rows().Where(r => r.Event.Direction == ResetDirection.Sent), r => Assert.Equal("NO_SOCKET", r.Event.Reason));
    }
}
