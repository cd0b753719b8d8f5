using System.Net;
using NetTop.Capture;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Sockets;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;

namespace NetTop.Kernel.Tests;

/// <summary>--netns resolution and what the hub sees inside a namespace.</summary>
public sealed class NamespaceTests
{
    private const string Missing = TestNamespace.Prefix + "does-not-exist";

    [Fact]
    public void Unknown_name_throws_netns_exception_naming_it()
    {
        NetnsException e = Assert.Throws<NetnsException>(() => NetnsTarget.Resolve(Missing));
        Assert.Contains($"'{Missing}'", e.Message, StringComparison.Ordinal);

        // The app's path: the hub resolves before it starts anything.
        NetnsException fromHub = Assert.Throws<NetnsException>(() => CaptureHub.Create(new CaptureOptions { Netns = Missing }));
        Assert.Contains(Missing, fromHub.Message, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Ipv6_loopback_listener_shows_as_v6_with_bracketed_endpoint()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        await ns.ListenAsync(IPAddress.IPv6Loopback, port, backlog: 4);
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Firewall = false, Resets = false, Packets = false });

        await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.IPv6Loopback, port));
        HostSnapshot s = await hub.RefreshUntilAsync(s => s.Listener(port) is { AcceptQueue: 1 });

        ListenerRow row = s.Listener(port) ?? throw new Xunit.Sdk.XunitException($"no listener on {port}:\n{s.Dump()}");
        Assert.Equal(IpFamily.V6, row.Family);
        Assert.Equal(IpFamily.V6, row.Local.Family);
        Assert.Equal($"[::1]:{port}", row.Local.ToString());
        Assert.Equal(4u, row.Backlog);
        Assert.True(row.AcceptQueue == 1, $"AcceptQueue {row.AcceptQueue}, expected the one client:\n{s.Dump()}");
        Assert.Equal(ns.Name, s.Netns); // the snapshot names the watched namespace, not "host"

        // The /proc/net/tcp6 fallback prints addresses as four host-order words: it must decode to the same endpoint.
        await using CaptureHub proc = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Sockets = SocketsMode.Proc, Firewall = false, Resets = false, Packets = false });
        HostSnapshot p = await proc.RefreshUntilAsync(s => s.Listener(port) is not null);
        ListenerRow fromProc = p.Listener(port) ?? throw new Xunit.Sdk.XunitException($"no listener on {port} in /proc/net/tcp6:\n{p.Dump()}");
        Assert.Equal(IpFamily.V6, fromProc.Family);
        Assert.Equal($"[::1]:{port}", fromProc.Local.ToString());
        Assert.Equal(1u, fromProc.AcceptQueue);
    }

    [RootFact]
    public async Task Hub_sees_only_its_namespace()
    {
        using TestNamespace a = TestNamespace.Create();
        using TestNamespace b = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        await a.ListenAsync(IPAddress.Loopback, port, backlog: 4);
        await using CaptureHub hubA = CaptureHub.Create(new CaptureOptions { Netns = a.Name, Firewall = false, Resets = false, Packets = false });
        await using CaptureHub hubB = CaptureHub.Create(new CaptureOptions { Netns = b.Name, Firewall = false, Resets = false, Packets = false });

        HostSnapshot sa = await hubA.RefreshUntilAsync(s => s.Listener(port) is not null);
        HostSnapshot sb = await hubB.RefreshBoundedAsync();

        Assert.NotNull(sa.Listener(port));
        Assert.True(sb.Listeners.IsEmpty && sb.Sockets.Count == 0, $"a fresh namespace has no sockets:\n{sb.Dump()}");
        Assert.Equal(0UL, sb.Counter("ListenOverflows")?.Value);
    }
}
