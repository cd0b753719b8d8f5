using System.IO.Compression;
using CsCheck;
using NetTop.Capture.Firewall;
using NetTop.Model.Firewall;
using NetTop.Model.Net;

namespace NetTop.Capture.Tests.Firewall;

public sealed class IptablesSaveParserTests
{
    private static (IptablesSaveResult Result, List<FirewallRule> Rules, List<FirewallChain> Chains) Parse(string text, string family = "ipv4")
    {
        List<FirewallRule> rules = [];
        List<FirewallChain> chains = [];
        IptablesSaveResult r = IptablesSaveParser.Parse(text, family, FirewallBackends.NfTables, new FirewallRuleNumbering(), rules, chains);
        return (r, rules, chains);
    }

    private static FirewallRule One(List<FirewallRule> rules, string table, string chain, int position) =>
        Assert.Single(rules, r => r.Table == table && r.Chain == chain && r.Position == position);

    [Fact]
    public void Nf_tables_ipv4_recording_gives_every_rule_with_tables_chains_positions_and_counters()
    {
        (IptablesSaveResult res, List<FirewallRule> rules, List<FirewallChain> chains) = Parse(Fixture.Text("firewall/nft-ipv4.txt"));

        Assert.Equal(FirewallBackends.NfTables, res.Backend);
        Assert.Equal(0, res.Malformed);
        Assert.Equal(23, res.Rules);
        Assert.Equal(23, rules.Count);
        Assert.Equal(["filter", "mangle", "nat", "raw"], res.Tables.Order());
        Assert.All(rules, r => Assert.Equal(FirewallBackends.NfTables, r.Backend));

        FirewallRule lo = One(rules, "filter", "INPUT", 1);
        Assert.Equal("-i lo -j ACCEPT", lo.Rule);
        Assert.Equal("ACCEPT", lo.Target);
        Assert.Equal(6UL, lo.Packets);
        Assert.Equal(300UL, lo.Bytes);
        Assert.Equal("input", lo.Hook);
        Assert.Equal("ipv4/filter/INPUT/1/" + FirewallRule.HashText(FirewallRule.Hash(lo.Rule)), lo.Id);
        Assert.Equal("ipv4/filter/INPUT#" + FirewallRule.HashText(FirewallRule.Hash(lo.Rule)), lo.Key);

        // User chains: declared with "-" policy, their rules numbered from 1, no hook.
        Assert.Contains(chains, c => c is { Table: "filter", Name: "WEB_IN", Policy: "-", IsBuiltIn: false });
        Assert.Contains(chains, c => c is { Table: "filter", Name: "INPUT", Policy: "ACCEPT", IsBuiltIn: true });
        FirewallRule web = One(rules, "filter", "WEB_IN", 2);
        Assert.Equal("-p tcp -m multiport ! --sports 1024:65535 -j DROP", web.Rule);
        Assert.Null(web.Hook);
        Assert.True(web.Match.SourcePorts!.Negated);
        Assert.Equal("1024-65535", Ranges(web.Match.SourcePorts));

        // A rule without a target only counts.
        FirewallRule counting = One(rules, "filter", "OUTPUT", 3);
        Assert.Equal("", counting.Target);
        Assert.False(counting.IsTerminal);
    }

    [Fact]
    public void Comments_with_spaces_and_escaped_quotes_are_unquoted()
    {
        (_, List<FirewallRule> rules, _) = Parse(Fixture.Text("firewall/nft-ipv4.txt"));

        FirewallRule office = One(rules, "filter", "INPUT", 6);
        Assert.Equal("from \"office\" lan, keep", office.Comment);
        Assert.Equal("ACCEPT", office.Target);
        RuleMatch m = office.Match;
        Assert.Equal(IpFamily.V4, m.Source!.Family);
        Assert.Equal(8, m.Source.PrefixLength);
        Assert.False(m.Source.Negated);
        Assert.Equal(new InterfaceMatch("veth+", Negated: true), m.InInterface);
        Assert.Equal(TcpFlagsMatch.Syn, m.TcpFlags); // --syn as iptables-save prints it
        Assert.False(m.Undecidable);

        FirewallRule twice = One(rules, "filter", "OUTPUT", 2);
        Assert.Equal("it's \"quoted\" twice", twice.Comment);
        Assert.Equal(1UL, twice.Packets);
    }

    [Fact]
    public void Negations_multiport_conntrack_and_reject_options_are_parsed()
    {
        (_, List<FirewallRule> rules, _) = Parse(Fixture.Text("firewall/nft-ipv4.txt"));

        FirewallRule notSsh = One(rules, "filter", "INPUT", 7);
        Assert.True(notSsh.Match.Source!.Negated);
        Assert.True(notSsh.Match.DestinationPorts!.Negated);
        Assert.Equal("LOG_DROP", notSsh.Target);
        Assert.Equal("not ssh", notSsh.Comment);

        FirewallRule ct = One(rules, "filter", "INPUT", 2);
        Assert.Equal(ConnStates.Related | ConnStates.Established, ct.Match.States!.States);
        Assert.False(ct.Match.Undecidable);
        Assert.Equal(ConnStates.Invalid, One(rules, "filter", "INPUT", 3).Match.States!.States);

        FirewallRule multi = One(rules, "filter", "INPUT", 5);
        Assert.Equal("80-80,443-443,8000-8100", Ranges(multi.Match.DestinationPorts!));
        Assert.Equal("WEB_IN", multi.Target);

        FirewallRule reject = One(rules, "filter", "INPUT", 8);
        Assert.Equal("REJECT", reject.Target);
        Assert.Equal("--reject-with tcp-reset", reject.TargetArgs);
        Assert.Equal(new TcpFlagsMatch(TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Ack, TcpFlags.Ack, false), reject.Match.TcpFlags);
        Assert.Equal("7000-7010", Ranges(reject.Match.DestinationPorts!));

        // Matches NetTop cannot evaluate make a rule undecidable, and say which.
        FirewallRule mark = One(rules, "filter", "INPUT", 11);
        Assert.True(mark.Undecidable);
        Assert.Equal(["-m mark", "--mark 0x1"], mark.Match.Unknown.ToArray());
    }

    [Fact]
    public void Nf_tables_ipv6_recording()
    {
        (IptablesSaveResult res, List<FirewallRule> rules, _) = Parse(Fixture.Text("firewall/nft-ipv6.txt"), "ipv6");

        Assert.Equal(FirewallBackends.NfTables, res.Backend);
        Assert.Equal(0, res.Malformed);
        Assert.Equal(9, rules.Count);
        Assert.All(rules, r => Assert.Equal("ipv6", r.Family));
        FirewallRule web = One(rules, "filter", "INPUT", 4);
        Assert.Equal(IpFamily.V6, web.Match.Source!.Family);
        Assert.Equal(32, web.Match.Source.PrefixLength);
        Assert.True(web.Match.Destination!.Negated);
        Assert.Equal(128, web.Match.Destination.PrefixLength);
        Assert.Equal("web from doc net", web.Comment);
        Assert.Equal("ssh \"guard\" end", One(rules, "filter", "SSH_GUARD", 2).Comment);
        Assert.Equal(new InterfaceMatch("lo", true), One(rules, "filter", "OUTPUT", 1).Match.OutInterface);
        Assert.StartsWith("ipv6/filter/INPUT/1/", One(rules, "filter", "INPUT", 1).Id);
    }

    [Fact]
    public void Legacy_recordings_are_legacy_with_policy_counters()
    {
        (IptablesSaveResult res, List<FirewallRule> rules, List<FirewallChain> chains) = Parse(Fixture.Text("firewall/legacy-ipv4.txt"));

        Assert.Equal(FirewallBackends.Legacy, res.Backend);
        Assert.Equal(0, res.Malformed);
        Assert.Equal(4, rules.Count);
        Assert.All(rules, r => Assert.Equal(FirewallBackends.Legacy, r.Backend));
        Assert.StartsWith("legacy:ipv4/filter/INPUT/1/", rules.Single(r => r.Chain == "INPUT").Id);
        Assert.Equal("legacy \"ssh\" alt", rules.Single(r => r.Chain == "INPUT").Comment);
        Assert.Contains(chains, c => c is { Name: "INPUT", Packets: 2, Bytes: 100 });
        Assert.Equal(1UL, rules.Single(r => r is { Table: "filter", Chain: "OUTPUT" }).Packets);

        (IptablesSaveResult res6, List<FirewallRule> rules6, _) = Parse(Fixture.Text("firewall/legacy-ipv6.txt"), "ipv6");
        Assert.Equal(FirewallBackends.Legacy, res6.Backend);
        Assert.Single(rules6);
    }

    [Fact]
    public void Ten_thousand_rules_parse_with_unique_keys_and_ids()
    {
        string text = Gunzip("firewall/nft-10k.txt.gz");
        (IptablesSaveResult res, List<FirewallRule> rules, List<FirewallChain> chains) = Parse(text);

        Assert.Equal(10_000, rules.Count);
        Assert.Equal(0, res.Malformed);
        Assert.Equal(103, chains.Count); // INPUT, FORWARD, OUTPUT and 100 user chains
        Assert.Equal(rules.Count, rules.Select(r => r.Key).Distinct().Count());
        Assert.Equal(rules.Count, rules.Select(r => r.Id).Distinct().Count());
        Assert.Equal(100, rules.Count(r => r.Chain == "INPUT" && r.Target.StartsWith("USER_", StringComparison.Ordinal)));
        Assert.Contains(rules, r => r.Comment == "it's invalid 5");
        Assert.All(rules.Where(r => r.Chain == "USER_007"), r => Assert.InRange(r.Position, 1, 99));
    }

    [Fact]
    public void Inserting_a_rule_above_changes_ids_below_but_not_keys()
    {
        const string before = "*filter\n:INPUT ACCEPT [0:0]\n[1:60] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n[5:300] -A INPUT -p tcp -m tcp --dport 1060 -j DROP\nCOMMIT\n";
        const string after = "*filter\n:INPUT ACCEPT [0:0]\n[0:0] -A INPUT -s 10.0.0.0/8 -j ACCEPT\n[1:60] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n[7:420] -A INPUT -p tcp -m tcp --dport 1060 -j DROP\nCOMMIT\n";
        FirewallRule b = Parse(before).Rules[1], a = Parse(after).Rules[2];

        Assert.Equal(2, b.Position);
        Assert.Equal(3, a.Position);
        Assert.NotEqual(b.Id, a.Id);
        Assert.Equal(b.Key, a.Key);
    }

    [Fact]
    public void Identical_rules_in_one_chain_get_distinct_keys_in_order()
    {
        const string text = "*filter\n:INPUT ACCEPT [0:0]\n[1:1] -A INPUT -j DROP\n[2:2] -A INPUT -j DROP\nCOMMIT\n";
        List<FirewallRule> rules = Parse(text).Rules;
        Assert.Equal(2, rules.Count);
        Assert.NotEqual(rules[0].Key, rules[1].Key);
        Assert.EndsWith("~1", rules[1].Key);
    }

    [Fact]
    public void Rules_without_counters_and_unknown_lines_are_handled()
    {
        const string text = "# Generated by iptables-save v1.8.9 (legacy) on x\n*raw\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp -j TRACE\n" +
            "garbage here\n[1:x] -A OUTPUT -j DROP\n-A\n:BROKEN\nCOMMIT\n-A OUTPUT -j DROP\n[9:9]\n";
        (IptablesSaveResult res, List<FirewallRule> rules, _) = Parse(text);
        Assert.Equal(FirewallBackends.Legacy, res.Backend);
        FirewallRule trace = Assert.Single(rules);
        Assert.Equal("TRACE", trace.Target);
        Assert.Equal(0UL, trace.Packets);
        Assert.Equal(6, res.Malformed); // garbage, bad counters, bare -A, :BROKEN, a rule outside a table, [9:9]
    }

    [Fact]
    public void Garbage_never_throws_and_is_counted()
    {
        Gen.String.Sample(s =>
        {
            (IptablesSaveResult res, List<FirewallRule> rules, _) = Parse(s);
            Assert.True(res.Malformed >= 0);
            Assert.All(rules, r => Assert.NotNull(r.Match));
        }, iter: 2000);
        Gen.Select(Gen.Int[0, 3], Gen.String).Array[0, 40].Sample(parts =>
        {
            string[] prefixes = ["*filter\n", "[1:2] -A INPUT ", ":X - [", "-A OUTPUT ! -s "];
            string text = string.Concat(parts.Select(p => prefixes[p.Item1] + p.Item2 + "\n"));
            Parse(text);
        }, iter: 2000);
    }

    private static string Ranges(PortMatch m) => string.Join(',', m.Ranges.Select(r => $"{r.Low}-{r.High}"));

    internal static string Gunzip(string name)
    {
        using GZipStream z = new(File.OpenRead(Fixture.Path(name)), CompressionMode.Decompress);
        using StreamReader r = new(z);
        return r.ReadToEnd();
    }
}
