using System.Net;
using NetTop.Capture;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;

namespace NetTop.Kernel.Tests;

/// <summary>
/// The firewall and reset sources through the hub, as the app runs them: rows, suspects and the RST feed in
/// the published snapshot of a private namespace.
/// </summary>
public sealed class HubIntegrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(12);

    [RootFact("iptables")]
    public async Task A_drop_rule_eating_syns_is_the_suspect_of_the_stuck_connect()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-j", "DROP");
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Packets = false, Resets = false });
        await hub.RefreshBoundedAsync(); // the rules' counters before the flow
        await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port));

        HostSnapshot s = await hub.RefreshUntilAsync(
            x => x.HalfOpenTo(HalfOpenState.SynSent, port) is [{ Retransmits: >= 1, Suspects.IsEmpty: false }], Wait);
        HalfOpenRow row = Assert.Single(s.HalfOpenTo(HalfOpenState.SynSent, port));
        Model.Firewall.Suspect suspect = Assert.Single(row.Suspects);
        Assert.Contains($"--dport {port}", suspect.Rule, StringComparison.Ordinal);
        Assert.Equal("DROP", suspect.Target);
        Assert.True(suspect.PacketsDelta >= 1, s.Dump()); // what it dropped since NetTop first saw the flow (a retransmit)
        Model.Firewall.FirewallRow rule = Assert.Single(s.Firewall, r => r.Rule.Rule.Contains($"--dport {port}", StringComparison.Ordinal));
        Assert.Equal(suspect.Id, rule.Id);
    }

    [RootFact]
    public async Task A_connect_to_a_closed_port_shows_a_passive_no_socket_reset_of_this_namespace()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name, Firewall = false });
        await hub.StartedAsync().WaitAsync(Wait);
        HostSnapshot first = await hub.RefreshBoundedAsync();
        if (first.Sources.Single(x => x.Name == "resets").Health != Model.SourceHealth.Ok)
        {
            Assert.Fail($"the resets source is not ok as root: {first.Sources.Single(x => x.Name == "resets").DetailWithFix}");
        }
        await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port));

        static bool Sent(ResetRow r, int port) => r.Event.Direction == ResetDirection.Sent && r.Event.Local.Port == port;
        HostSnapshot s = await hub.RefreshUntilAsync(x => x.Resets.Any(r => Sent(r, port)), Wait);
        ResetRow row = Assert.Single(s.Resets, r => Sent(r, port));
        Assert.Equal(ResetKind.Passive, row.Event.Kind);
        Assert.Equal("NO_SOCKET", row.Event.Reason);
        Assert.Null(row.Event.NetnsTag); // attributed to the watched namespace, not "other netns"
        Assert.Contains(row.Event.Stack, f => f.StartsWith("tcp_v4_send_reset", StringComparison.Ordinal));
        Assert.Contains(s.ResetStacks, g => g.Reason == "NO_SOCKET" && g.Stack.Any(f => f.StartsWith("tcp_v4_send_reset", StringComparison.Ordinal)));
        Assert.Contains(s.Resets, r => r.Event.Direction == ResetDirection.Received && r.Event.Remote.Port == port);
    }

    [RootFact("iptables")]
    public async Task A_reject_with_tcp_reset_rule_and_the_feed_agree()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        string p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", p, "-j", "REJECT", "--reject-with", "tcp-reset");
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name });
        await hub.StartedAsync().WaitAsync(Wait);
        await hub.RefreshBoundedAsync();
        const int Clients = 3;
        for (int i = 0; i < Clients; i++)
        {
            await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port));
        }
        // nf_reject builds the RST itself (no tcp_send_reset); the clients receive it (tcp_receive_reset).
        static int Received(HostSnapshot x, int port) => x.Resets.Where(r => r.Event.Direction == ResetDirection.Received && r.Event.Remote.Port == port).Sum(r => (int)r.Count);
        static ulong RulePackets(HostSnapshot x, string p) => x.Firewall.Where(r => r.Rule.Rule.Contains($"--dport {p}", StringComparison.Ordinal)).Sum(r => (long)r.Packets) is var n ? (ulong)n : 0;
        HostSnapshot s = await hub.RefreshUntilAsync(x => Received(x, port) >= Clients && RulePackets(x, p) >= Clients, Wait);
        Assert.True(Received(s, port) == Clients, $"received resets {Received(s, port)}:\n{s.Dump()}");
        Assert.Equal((ulong)Clients, RulePackets(s, p));
    }
}
