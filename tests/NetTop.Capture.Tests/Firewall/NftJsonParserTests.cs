using CsCheck;
using NetTop.Capture.Firewall;
using NetTop.Model.Firewall;

namespace NetTop.Capture.Tests.Firewall;

public sealed class NftJsonParserTests
{
    /// <summary>The tables iptables-save printed for the recording (iptables-nft manages them).</summary>
    private static readonly HashSet<string> s_iptablesTables = ["ip filter", "ip raw", "ip nat", "ip mangle", "ip6 filter"];

    [Fact]
    public void Native_tables_give_their_counted_rules_and_iptables_nft_tables_are_skipped()
    {
        List<FirewallRule> rules = [];
        List<FirewallChain> chains = [];
        NftParseResult res = NftJsonParser.Parse(Fixture.Text("firewall/nft-ruleset.json"), s_iptablesTables, new FirewallRuleNumbering(), rules, chains);

        Assert.Equal(0, res.Malformed);
        Assert.True(res.Skipped > 20, $"skipped {res.Skipped}: the iptables-nft rules");
        Assert.Equal(4, res.Rules);
        Assert.All(rules, r =>
        {
            Assert.Equal(FirewallBackends.Nft, r.Backend);
            Assert.Equal("inet", r.Family);
            Assert.Equal("nettop_native", r.Table);
        });
        Assert.Equal(["input", "output"], chains.Select(c => c.Name).Order());

        FirewallRule drop = rules.Single(r => r.Comment == "native drop");
        Assert.Equal("input", drop.Chain);
        Assert.Equal("input", drop.Hook);
        Assert.Equal(1, drop.Position);
        Assert.Equal("drop", drop.Target);
        Assert.True(drop.IsDropTarget);
        Assert.Equal(1UL, drop.Packets);
        Assert.Equal(60UL, drop.Bytes);
        Assert.Equal("tcp dport 1061 counter drop comment \"native drop\"", drop.Rule);
        Assert.Equal("tcp", drop.Match.Protocol);
        Assert.True(drop.Match.DestinationPorts!.Contains(1061));
        Assert.False(drop.Undecidable);
        Assert.StartsWith("nft:inet/nettop_native/input/1/", drop.Id);

        FirewallRule set = rules.Single(r => r.Chain == "input" && r.Position == 2);
        Assert.Equal("ip saddr 10.1.0.0/16 tcp dport { 80, 443 } counter accept", set.Rule);
        Assert.Equal(16, set.Match.Source!.PrefixLength);
        Assert.True(set.Match.DestinationPorts!.Contains(443));
        Assert.False(set.Match.DestinationPorts.Contains(444));

        FirewallRule reject = rules.Single(r => r.Chain == "output");
        Assert.Equal("reject", reject.Target);
        Assert.Equal(1, reject.Position);
        Assert.Equal("tcp dport 1062 counter reject with tcp reset", reject.Rule); // nft folds the l4proto dependency in
    }

    [Fact]
    public void Without_a_skip_list_iptables_nft_rules_appear_as_nft_rules_with_xt_parts_undecidable()
    {
        List<FirewallRule> rules = [];
        NftJsonParser.Parse(Fixture.Text("firewall/nft-ruleset.json"), new HashSet<string>(), new FirewallRuleNumbering(), rules);
        Assert.True(rules.Count > 25);
        FirewallRule comment = rules.First(r => r.Table == "filter" && r.Rule.Contains("xt match comment", StringComparison.Ordinal));
        Assert.True(comment.Undecidable);
    }

    [Fact]
    public void Counter_values_are_not_part_of_the_rule_text_so_keys_survive_counting()
    {
        const string a = """{"nftables":[{"rule":{"family":"ip","table":"t","chain":"c","handle":2,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":22}},{"counter":{"packets":1,"bytes":60}},{"accept":null}]}}]}""";
        string b = a.Replace("\"packets\":1,\"bytes\":60", "\"packets\":9,\"bytes\":540", StringComparison.Ordinal);
        List<FirewallRule> ra = [], rb = [];
        NftJsonParser.Parse(a, new HashSet<string>(), new FirewallRuleNumbering(), ra);
        NftJsonParser.Parse(b, new HashSet<string>(), new FirewallRuleNumbering(), rb);
        Assert.Equal(ra[0].Key, rb[0].Key);
        Assert.Equal(9UL, rb[0].Packets);
        Assert.Equal("ipv4", ra[0].Family);
    }

    [Fact]
    public void Nft_list_tables_text_is_parsed()
    {
        List<(string, string)> t = NftJsonParser.ParseTables("table ip filter\ntable inet nettop_native\n# x\n\ntable ip6\n");
        Assert.Equal([("ip", "filter"), ("inet", "nettop_native")], t);
    }

    [Fact]
    public void Garbage_never_throws()
    {
        Gen.String.Sample(s =>
        {
            NftParseResult r = NftJsonParser.Parse(s, new HashSet<string>(), new FirewallRuleNumbering(), []);
            Assert.True(r.Malformed >= 0);
        }, iter: 1000);
        string[] shapes =
        [
            """{"nftables":[1,"x",{"rule":{}},{"rule":{"family":"ip","table":"t","chain":"c","expr":[{"counter":"x"},{"match":{"left":1,"right":{"set":7}}}]}}]}""",
            """{"nftables":{}}""",
            """[]""",
            """{"nftables":[{"rule":{"family":"ip","table":"t","chain":"c","expr":[{"counter":{"packets":-1}},{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":{"range":[1]}}},{"jump":5}]}}]}""",
            """{"nftables":[{"rule":{"family":"ip","table":"t","chain":"c","expr":[{"counter":{}},{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":{"prefix":{"addr":"zz","len":99}}}}]}}]}""",
        ];
        foreach (string s in shapes)
        {
            NftJsonParser.Parse(s, new HashSet<string>(), new FirewallRuleNumbering(), []);
        }
    }
}
