using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetTop.Capture.Firewall;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Firewall;

namespace NetTop.Kernel.Tests.Firewall;

/// <summary>
/// Counters over nf_tables netlink against real rules in private namespaces: they equal what iptables-save prints,
/// a ruleset change brings back a full poll with the tools, native nft counters move, legacy tables keep the tools.
/// </summary>
public sealed class NfTablesNetlinkTests
{
    /// <summary>
    /// nft listings count as cheap however loaded the machine is, so a ruleset change waits for nft and the poll after
    /// it is a counters poll (with a slow listing it would take one more full poll: timing, not behaviour).
    /// </summary>
    private static readonly FirewallSourceOptions Cheap = new() { NftCheapCost = TimeSpan.FromSeconds(10) };

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Sends <paramref name="count"/> UDP datagrams to 127.0.0.1:<paramref name="port"/> from inside the namespace.</summary>
    private static Task SendUdpAsync(FirewallKernelTests.Env env, int port, int count) => env.Thread.InvokeAsync(() =>
    {
        using Socket s = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        for (int i = 0; i < count; i++)
        {
            s.SendTo(new byte[10], new IPEndPoint(IPAddress.Loopback, port));
        }
        return 0;
    }).WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>`[p:b] -A CHAIN rule` lines of iptables-save -c, in order.</summary>
    private static List<FirewallRule> Saved(FirewallKernelTests.Env env)
    {
        List<FirewallRule> rules = [];
        IptablesSaveParser.Parse(env.Save("iptables-save", "-c"), "ipv4", FirewallBackends.NfTables, new FirewallRuleNumbering(), rules);
        return rules;
    }

    [RootFact("iptables")]
    public async Task Counters_read_over_netlink_equal_iptables_save_after_traffic_hits_a_rule()
    {
        using FirewallKernelTests.Env env = new(Cheap);
        int port = TestNamespace.RandomPort();
        env.Ns.Run("iptables", "-w", "5", "-N", "NT_UDP");
        env.Ns.AddIptablesRule("INPUT", "-p", "udp", "--dport", P(port), "-j", "NT_UDP");
        env.Ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", P(port), "-j", "DROP");
        env.Ns.AddIptablesRule("NT_UDP", "-j", "ACCEPT");
        (FirewallSample first, _) = await env.PollAsync();
        Assert.False(env.Source.LastPoll.CountersOnly, "the first poll runs the tools");
        Assert.Equal(3, first.Rules.Length);

        await SendUdpAsync(env, port, 7);
        (FirewallSample second, _) = await env.PollAsync();
        Assert.True(env.Source.LastPoll.CountersOnly, $"no ruleset change: counters over netlink ({env.Source.Status.Detail})");
        List<FirewallRule> saved = Saved(env);
        Assert.Equal(saved.Count, second.Rules.Length);
        foreach (FirewallRule s in saved)
        {
            FirewallRule r = Assert.Single(second.Rules, r => r.Chain == s.Chain && r.Position == s.Position);
            Assert.Equal(s.Rule, r.Rule);
            Assert.Equal((s.Packets, s.Bytes), (r.Packets, r.Bytes));
        }
        FirewallRule jump = Assert.Single(second.Rules, r => r.Target == "NT_UDP");
        Assert.Equal(7UL, jump.Packets);
        Assert.Equal(7UL * 38, jump.Bytes); // 20 IP + 8 UDP + 10 payload
        // The idle DROP rule did not move: the same object as last poll (the tracker's cheap path).
        Assert.Same(first.Rules.Single(r => r.Target == "DROP"), second.Rules.Single(r => r.Target == "DROP"));
    }

    [RootFact("iptables")]
    public async Task Adding_a_rule_changes_the_generation_and_the_next_poll_shows_it()
    {
        using FirewallKernelTests.Env env = new(Cheap);
        int port = TestNamespace.RandomPort();
        env.Ns.AddIptablesRule("INPUT", "-p", "udp", "--dport", P(port), "-j", "ACCEPT");
        await env.PollAsync();
        await env.PollAsync();
        Assert.True(env.Source.LastPoll.CountersOnly);

        env.Ns.AddIptablesRule("OUTPUT", "-p", "udp", "--dport", P(port), "-j", "ACCEPT");
        (FirewallSample s, _) = await env.PollAsync();
        Assert.False(env.Source.LastPoll.CountersOnly, "a new generation runs the tools");
        Assert.Equal(2, s.Rules.Length);
        Assert.Single(s.Rules, r => r.Chain == "OUTPUT");

        await SendUdpAsync(env, port, 3);
        (s, _) = await env.PollAsync();
        Assert.True(env.Source.LastPoll.CountersOnly);
        Assert.Equal(3UL, s.Rules.Single(r => r.Chain == "OUTPUT").Packets);
        Assert.Equal(3UL, s.Rules.Single(r => r.Chain == "INPUT").Packets);
    }

    [RootFact("nft")]
    public async Task A_native_nft_rule_counter_moves_without_nft_being_run_again()
    {
        using FirewallKernelTests.Env env = new(Cheap);
        int port = TestNamespace.RandomPort();
        env.Ns.Run("nft", "add table inet nettop_nl");
        env.Ns.Run("nft", "add chain inet nettop_nl input { type filter hook input priority 10; policy accept; }");
        env.Ns.Run("nft", "add rule inet nettop_nl input meta l4proto tcp");
        env.Ns.Run("nft", $"add rule inet nettop_nl input udp dport {P(port)} counter accept");
        (FirewallSample first, _) = await env.PollAsync();
        FirewallRule native = Assert.Single(first.Rules, r => r.Backend == FirewallBackends.Nft);
        Assert.Equal(2, native.Position); // the uncounted rule above still holds position 1

        await SendUdpAsync(env, port, 4);
        (FirewallSample s, ImmutableArray<FirewallRow> rows) = await env.PollAsync();
        Assert.True(env.Source.LastPoll.CountersOnly);
        FirewallRule now = Assert.Single(s.Rules, r => r.Backend == FirewallBackends.Nft);
        Assert.Equal(native.Rule, now.Rule);
        Assert.Equal(4UL, now.Packets);
        string listed = env.Save("nft", "list", "table", "inet", "nettop_nl");
        Assert.Contains($"udp dport {P(port)} counter packets 4 bytes", listed, StringComparison.Ordinal);
        Assert.True(rows.Single(r => r.Rule.Backend == FirewallBackends.Nft).PacketsPerSec is > 0);
    }

    [RootFact("iptables", "iptables-legacy")]
    public async Task With_legacy_tables_present_every_poll_runs_the_tools()
    {
        using FirewallKernelTests.Env env = new(Cheap);
        int port = TestNamespace.RandomPort();
        env.Ns.AddIptablesRule("INPUT", "-p", "udp", "--dport", P(port), "-j", "ACCEPT");
        env.Ns.Run("iptables-legacy", "-w", "5", "-A", "INPUT", "-p", "udp", "--dport", P(port), "-j", "ACCEPT");
        await env.PollAsync();
        Assert.False(env.Source.LastPoll.CountersOnly);
        await SendUdpAsync(env, port, 2);
        (FirewallSample s, _) = await env.PollAsync();
        Assert.False(env.Source.LastPoll.CountersOnly, "netlink cannot read x_tables");
        Assert.Equal(2UL, s.Rules.Single(r => r.Backend == FirewallBackends.Legacy).Packets);
        Assert.Equal(2UL, s.Rules.Single(r => r.Backend == FirewallBackends.NfTables).Packets);
    }

    [RootFact("iptables")]
    public async Task The_socket_dumps_its_own_namespace_and_sees_the_generation_change()
    {
        using FirewallKernelTests.Env env = new(Cheap);
        env.Ns.AddIptablesRule("INPUT", "-p", "udp", "--dport", "4242", "-j", "ACCEPT");
        (uint gen, NfRuleDump dump) = await env.Thread.InvokeAsync(() =>
        {
            using NfTablesNetlink nl = NfTablesNetlink.Open();
            NfRuleDump d = new();
            nl.DumpRules(d);
            return (nl.GetGeneration(), d);
        });
        var chain = Assert.Single(dump.Chains);
        Assert.Equal((NfTables.NFPROTO_IPV4, "filter", "INPUT"), (chain.Family, chain.Table, chain.Chain));
        NfRuleCounters rule = Assert.Single(chain.Rules);
        Assert.True(rule.Counted);
        Assert.NotEqual(0UL, rule.Handle);
        Assert.Equal((ushort)gen, dump.GenerationBits);
        Assert.False(dump.Interrupted);
        Assert.Equal(0, dump.Malformed);

        env.Ns.AddIptablesRule("INPUT", "-p", "udp", "--dport", "4243", "-j", "ACCEPT");
        uint after = await env.Thread.InvokeAsync(() =>
        {
            using NfTablesNetlink nl = NfTablesNetlink.Open();
            return nl.GetGeneration();
        });
        Assert.NotEqual(gen, after);
    }

    /// <summary>
    /// Records tests/fixtures/firewall/nft-netlink-*: the raw replies to NFT_MSG_GETGEN and to the rule dump, in a
    /// namespace with hand-rules.sh-like iptables rules (IPv4 and IPv6) and native.nft, after UDP traffic hit a rule,
    /// with `iptables-save -c`, `ip6tables-save -c` and `nft -j list table inet nettop_native` taken at the same time
    /// (nothing moves in between: no traffic) for the parser tests to compare with.
    /// </summary>
    [RecordFact]
    public async Task Record_nf_tables_netlink_fixtures()
    {
        string dir = Path.Combine(Environment.GetEnvironmentVariable("NETTOP_RECORD_FIXTURES")!, "firewall");
        using FirewallKernelTests.Env env = new(Cheap);
        env.Ns.Run("iptables", "-w", "5", "-N", "WEB_IN");
        env.Ns.AddIptablesRule("INPUT", "-i", "lo", "-p", "udp", "--dport", "1070", "-j", "ACCEPT");
        env.Ns.AddIptablesRule("INPUT", "-p", "tcp", "-m", "multiport", "--dports", "80,443", "-j", "WEB_IN");
        env.Ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", "1060", "-m", "comment", "--comment", "drop it", "-j", "DROP");
        env.Ns.AddIptablesRule("WEB_IN", "-s", "203.0.113.7/32", "-j", "REJECT");
        env.Ns.AddIptablesRule("WEB_IN", "-j", "ACCEPT");
        env.Ns.Run("ip6tables", "-w", "5", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT");
        env.Ns.Run("nft", "-f", Path.Combine(dir, "native.nft"));
        await SendUdpAsync(env, 1070, 5);
        List<byte[]> gen = [], rules = [];
        await env.Thread.InvokeAsync(() =>
        {
            using NfTablesNetlink nl = NfTablesNetlink.Open();
            nl.Tap = b => gen.Add(b.ToArray());
            nl.GetGeneration();
            nl.Tap = b => rules.Add(b.ToArray());
            nl.DumpRules(new NfRuleDump());
            return 0;
        });
        File.WriteAllBytes(Path.Combine(dir, "nft-netlink-gen.bin"), [.. gen.SelectMany(b => b)]);
        File.WriteAllBytes(Path.Combine(dir, "nft-netlink-rules.bin"), [.. rules.SelectMany(b => b)]);
        File.WriteAllText(Path.Combine(dir, "nft-netlink-ipv4.txt"), env.Save("iptables-save", "-c"));
        File.WriteAllText(Path.Combine(dir, "nft-netlink-ipv6.txt"), env.Save("ip6tables-save", "-c"));
        File.WriteAllText(Path.Combine(dir, "nft-netlink-native.json"), env.Save("nft", "-j", "list", "table", "inet", "nettop_native"));
    }

    private sealed class RecordFactAttribute : FactAttribute
    {
        public RecordFactAttribute()
        {
            Skip = Environment.GetEnvironmentVariable("NETTOP_RECORD_FIXTURES") is null
                ? "records fixtures: run with NETTOP_RECORD_FIXTURES=<repo>/tests/fixtures (as root)"
                : Requirements.Root(["ip", "iptables", "nft"]);
        }
    }
}
