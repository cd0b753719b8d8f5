using System.Net;
using NetTop.Capture;
using NetTop.Capture.Sockets;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model;
using NetTop.Model.Snapshot;

namespace NetTop.Kernel.Tests;

/// <summary>
/// Accept-queue overflow, read the way the app reads it. A listener with backlog 2 that never accepts holds
/// backlog+1 = 3 completed connections (the kernel tests ack_backlog &gt; max); every further SYN is dropped,
/// counted in ListenOverflows/ListenDrops and the listener's sk_drops, and its client stays in SYN_SENT,
/// retransmitting every second (tcp_syn_linear_timeouts=4) and overflowing again each time.
/// </summary>
public sealed class ListenQueueTests
{
    private const int Backlog = 2;
    private const int Clients = 10;
    private const uint QueueLimit = Backlog + 1;

    [RootFact]
    public async Task Full_accept_queue_shows_queue_backlog_drops_and_rising_overflow_counter()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        await ns.ListenAsync(IPAddress.Loopback, port, Backlog);
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Firewall = false, Resets = false, Packets = false });

        HostSnapshot before = await hub.RefreshBoundedAsync();
        ulong overflowsBefore = OverflowCount(before);
        Assert.True(before.Listener(port) is { AcceptQueue: 0, SynRecv: 0 }, $"fresh listener on {port}:\n{before.Dump()}");

        await ConnectClientsAsync(ns, port);
        // The handshakes on lo complete inside connect(); poll only to be safe.
        HostSnapshot full = await hub.RefreshUntilAsync(s =>
            s.Listener(port) is { AcceptQueue: QueueLimit, Drops: > 0 } &&
            s.HalfOpenTo(HalfOpenState.SynSent, port).Count == Clients - (int)QueueLimit);

        ListenerRow row = full.Listener(port) ?? throw new Xunit.Sdk.XunitException($"no listener on {port}:\n{full.Dump()}");
        string dump = full.Dump();
        Assert.True(row.AcceptQueue == QueueLimit, $"AcceptQueue {row.AcceptQueue}, expected {QueueLimit}:\n{dump}");
        Assert.True(row.Backlog == Backlog, $"Backlog {row.Backlog}, expected {Backlog}:\n{dump}");
        Assert.True(row.IsFull, $"a queue at backlog+1 is full:\n{dump}");
        Assert.True(row.Drops > 0, $"Drops (sk_drops) {row.Drops}, expected > 0:\n{dump}");
        Assert.True(row.PeakAcceptQueue >= QueueLimit, $"PeakAcceptQueue {row.PeakAcceptQueue}, expected >= {QueueLimit}:\n{dump}");
        Assert.Equal(SourceHealth.Ok, Source(full, SocketsSource.SourceName).Health);
        Assert.Null(full.BacklogUnknownReason);

        // SYN_RECV accounting: the listener's count is exactly its request sockets, and at most the clients left over.
        int requestSockets = full.HalfOpen.Count(h => h.State == HalfOpenState.SynRecv && h.ListenerKey == row.Key);
        Assert.True(row.SynRecv == requestSockets, $"SynRecv {row.SynRecv} but {requestSockets} SYN_RECV rows name the listener:\n{dump}");
        Assert.InRange(row.SynRecv, 0, Clients - (int)QueueLimit);
        // The clients whose SYN was dropped wait in SYN_SENT.
        IReadOnlyList<HalfOpenRow> waiting = full.HalfOpenTo(HalfOpenState.SynSent, port);
        Assert.True(waiting.Count == Clients - (int)QueueLimit, $"{waiting.Count} SYN_SENT clients, expected {Clients - QueueLimit}:\n{dump}");

        ulong overflowsFull = OverflowCount(full);
        Assert.True(overflowsFull > overflowsBefore, $"ListenOverflows {overflowsBefore} → {overflowsFull}: no overflow counted:\n{dump}");

        // The waiting clients retransmit after ~1 s and overflow again: the counter rises between refreshes, and
        // the refresh that sees it has a rate (rates need two samples; later quiet refreshes show 0 again).
        bool rateSeen = false;
        HostSnapshot later = await hub.RefreshUntilAsync(
            s => OverflowCount(s) > overflowsFull && rateSeen,
            timeout: TimeSpan.FromSeconds(8), interval: TimeSpan.FromMilliseconds(200),
            observe: s => rateSeen |= s.Listener(port)?.DropsPerSec > 0 || s.Counter("ListenOverflows")?.PerSec > 0);
        Assert.True(OverflowCount(later) > overflowsFull,
            $"ListenOverflows did not rise after the SYN retransmits ({overflowsFull} → {OverflowCount(later)}):\n{later.Dump()}");
        Assert.True(rateSeen, $"no refresh had DropsPerSec > 0 or ListenOverflows PerSec > 0:\n{later.Dump()}");
        ListenerRow laterRow = later.Listener(port)!;
        Assert.True(laterRow.Drops > row.Drops, $"sk_drops {row.Drops} → {laterRow.Drops}: retransmitted SYNs not counted:\n{later.Dump()}");
        Assert.True(laterRow.PeakAcceptQueue >= QueueLimit && laterRow.AcceptQueue == QueueLimit, later.Dump());
    }

    [RootFact]
    public async Task Proc_fallback_shows_accept_queue_but_says_backlog_is_unknown()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        await ns.ListenAsync(IPAddress.Loopback, port, Backlog);
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Sockets = SocketsMode.Proc, Firewall = false, Resets = false, Packets = false });

        await ConnectClientsAsync(ns, port);
        HostSnapshot s = await hub.RefreshUntilAsync(s => s.Listener(port) is { AcceptQueue: QueueLimit });

        ListenerRow row = s.Listener(port) ?? throw new Xunit.Sdk.XunitException($"no listener on {port}:\n{s.Dump()}");
        string dump = s.Dump();
        Assert.True(row.AcceptQueue == QueueLimit, $"AcceptQueue {row.AcceptQueue}, expected {QueueLimit} (rx_queue of /proc/net/tcp):\n{dump}");
        Assert.True(row.Backlog is null, $"Backlog {row.Backlog}: /proc/net/tcp has no max backlog, expected null:\n{dump}");
        Assert.True(row.Drops is null, $"Drops {row.Drops}: /proc/net/tcp has no sk_drops, expected null:\n{dump}");
        Assert.False(row.IsFull); // unknown, never claimed
        Assert.NotNull(s.BacklogUnknownReason);
        Assert.Contains("backlog", s.BacklogUnknownReason, StringComparison.OrdinalIgnoreCase);
        SourceStatus sockets = Source(s, SocketsSource.SourceName);
        Assert.True(sockets.Health == SourceHealth.Degraded, $"sockets source {sockets.HealthText}: {sockets.DetailWithFix}");
        Assert.Contains("backlog", sockets.Detail, StringComparison.OrdinalIgnoreCase);
        // The counters source does not depend on sock_diag: the overflow is still counted.
        Assert.True(OverflowCount(s) > 0, dump);
    }

    private static async Task ConnectClientsAsync(TestNamespace ns, int port)
    {
        for (int i = 0; i < Clients; i++)
        {
            await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port));
        }
    }

    private static ulong OverflowCount(HostSnapshot s) =>
        s.Counter("ListenOverflows")?.Value ?? throw new Xunit.Sdk.XunitException($"no ListenOverflows counter:\n{s.Dump()}");

    internal static SourceStatus Source(HostSnapshot s, string name) =>
        s.Sources.FirstOrDefault(x => x.Name == name) ?? throw new Xunit.Sdk.XunitException($"no '{name}' source status:\n{s.Dump()}");
}
