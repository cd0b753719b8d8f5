using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NetTop.Capture;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;

namespace NetTop.Kernel.Tests.Resets;

/// <summary>
/// The hub's packet consumer runs on the capture's reader thread when a block is retired, not on the refresh tick: a
/// refused connect's RST is classified from the wire before any refresh, and the next refresh publishes it. Packets
/// that arrive before the first refresh wait for it.
/// </summary>
public sealed class PacketConsumerTests
{
    [RootFact]
    public async Task A_wire_reset_is_classified_when_the_capture_publishes_and_the_next_refresh_shows_it()
    {
        using TestNamespace ns = TestNamespace.Create();
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Firewall = false, Resets = false, ProcessOwners = false });
        await hub.StartedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        HostSnapshot first = await hub.RefreshBoundedAsync(); // makes the attributor: the consumer takes packets from now on
        Assert.True(first.Sources.Single(s => s.Name == "packets").Health == SourceHealth.Ok, first.Sources.Single(s => s.Name == "packets").DetailWithFix);
        Assert.Equal(0, hub.PendingWireResets);

        int port = TestNamespace.RandomPort();
        await hub.NetnsThread.InvokeAsync(() =>
        {
            using Socket s = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try { s.Connect(new IPEndPoint(IPAddress.Loopback, port)); } catch (SocketException) { }
            return 0;
        }).WaitAsync(TimeSpan.FromSeconds(30));

        // No refresh runs meanwhile: only the reader, woken by the block the kernel retires (<= 100 ms), can take it.
        Stopwatch waited = Stopwatch.StartNew();
        while (hub.PendingWireResets == 0 && waited.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(20);
        Assert.Equal(2, hub.PendingWireResets); // loopback: the refused side's sent and the connecting side's received

        HostSnapshot next = await hub.RefreshBoundedAsync();
        Assert.Equal(0, hub.PendingWireResets);
        ResetEvent[] resets = next.Resets.Select(r => r.Event).Where(e => e.Origin == ResetOrigin.Wire && (e.Local.Port == port || e.Remote.Port == port)).ToArray();
        Assert.Equal(2, resets.Length);
        Assert.All(resets, e => Assert.Equal(ResetKind.Passive, e.Kind));
        Assert.Contains(resets, e => e.Direction == ResetDirection.Received && e.Remote.Port == port);
    }

    [RootFact]
    public async Task Resets_captured_before_the_first_refresh_wait_for_it_and_are_classified_then()
    {
        using TestNamespace ns = TestNamespace.Create();
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Firewall = false, Resets = false, ProcessOwners = false });
        await hub.StartedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        int port = TestNamespace.RandomPort();
        await hub.NetnsThread.InvokeAsync(() =>
        {
            using Socket s = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try { s.Connect(new IPEndPoint(IPAddress.Loopback, port)); } catch (SocketException) { }
            return 0;
        }).WaitAsync(TimeSpan.FromSeconds(30));
        Stopwatch waited = Stopwatch.StartNew();
        while (hub.PendingPackets < 2 && waited.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(20);
        Assert.Equal(2, hub.PendingPackets); // the SYN and the RST+ACK, held: no attributor before the first refresh
        Assert.Equal(0, hub.PendingWireResets);

        HostSnapshot first = await hub.RefreshBoundedAsync();
        Assert.Equal(0, hub.PendingPackets);
        ResetEvent[] resets = first.Resets.Select(r => r.Event).Where(e => e.Origin == ResetOrigin.Wire && (e.Local.Port == port || e.Remote.Port == port)).ToArray();
        Assert.Equal(2, resets.Length);
        Assert.All(resets, e => Assert.Equal(ResetKind.Passive, e.Kind));
    }
}
