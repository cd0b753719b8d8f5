using System.Text;
using CsCheck;
using NetTop.Capture.Firewall;
using NetTop.Model.Firewall;

namespace NetTop.Capture.Tests.Firewall;

/// <summary>The streaming reader the firewall source polls with: chunked bytes and reuse of the previous poll's rules.</summary>
public sealed class IptablesSaveReaderTests
{
    private static (IptablesSaveResult Result, List<FirewallRule> Rules, List<FirewallChain> Chains, int Reused) Read(
        byte[] utf8, IEnumerable<int> cuts, IReadOnlyList<FirewallRule>? previous = null, StringPool? strings = null, string family = "ipv4")
    {
        List<FirewallRule> rules = [];
        List<FirewallChain> chains = [];
        IptablesSaveReader reader = new(family, FirewallBackends.NfTables, new FirewallRuleNumbering(), rules, chains, previous, strings);
        int at = 0;
        foreach (int cut in cuts.Where(c => c > 0 && c < utf8.Length).Order().Distinct())
        {
            reader.Feed(utf8.AsSpan(at, cut - at));
            at = cut;
        }
        reader.Feed(utf8.AsSpan(at));
        return (reader.Complete(), rules, chains, reader.Reused);
    }

    private static string Describe(FirewallRule r) =>
        $"{r.Id} {r.Key} [{r.Packets}:{r.Bytes}] {r.Rule} → {r.Target} {r.TargetArgs} goto={r.IsGoto} hook={r.Hook}";

    private static string Describe(FirewallChain c) => $"{c.Family} {c.Backend} {c.Table} {c.Name} {c.Policy} [{c.Packets}:{c.Bytes}]";

    [Theory]
    [InlineData("firewall/nft-ipv4.txt", "ipv4")]
    [InlineData("firewall/nft-ipv6.txt", "ipv6")]
    [InlineData("firewall/legacy-ipv4.txt", "ipv4")]
    public void Any_chunking_gives_what_the_whole_text_gives(string fixture, string family)
    {
        string text = Fixture.Text(fixture) + "[3:4] -A NOT_A_TABLE_YET -j DROP\n*filter\n[1:1] -A INPUT -m comment --comment \"ünïcode — ok\" -j ACCEPT";
        List<FirewallRule> expected = [];
        List<FirewallChain> expectedChains = [];
        IptablesSaveResult whole = IptablesSaveParser.Parse(text, family, FirewallBackends.NfTables, new FirewallRuleNumbering(), expected, expectedChains);
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        Assert.Contains(expected, r => r.Comment == "ünïcode — ok"); // the last line has no newline and multi-byte characters

        Gen.Int[0, utf8.Length].Array[0, 40].Sample(cuts =>
        {
            (IptablesSaveResult res, List<FirewallRule> rules, List<FirewallChain> chains, _) = Read(utf8, cuts, family: family);
            Assert.Equal((whole.Backend, whole.Rules, whole.Malformed), (res.Backend, res.Rules, res.Malformed));
            Assert.Equal(whole.Tables.Order(), res.Tables.Order());
            Assert.Equal(expected.Select(Describe), rules.Select(Describe));
            Assert.Equal(expectedChains.Select(Describe), chains.Select(Describe));
        }, iter: 300);
        // One byte at a time: every multi-byte character is split.
        (_, List<FirewallRule> byByte, _, _) = Read(utf8, Enumerable.Range(1, utf8.Length), family: family);
        Assert.Equal(expected.Select(Describe), byByte.Select(Describe));
    }

    [Fact]
    public void Unchanged_rules_are_the_previous_objects_and_moved_counters_share_the_text()
    {
        byte[] text = Encoding.UTF8.GetBytes(IptablesSaveParserTests.Gunzip("firewall/nft-10k.txt.gz"));
        StringPool strings = new();
        (_, List<FirewallRule> first, _, int none) = Read(text, [4096, 70_000], strings: strings);
        Assert.Equal(0, none);
        _ = first[5].Match; // parsed once; a reused rule keeps it

        // Same output again: every rule is the very same object (nothing allocated per rule).
        (_, List<FirewallRule> second, _, int reused) = Read(text, [100, 65_536], first, strings);
        Assert.Equal(10_000, reused);
        Assert.All(Enumerable.Range(0, first.Count), i => Assert.Same(first[i], second[i]));

        // One rule counted packets: a copy with the new counters that shares the text, key and parsed match.
        string changed = Encoding.UTF8.GetString(text);
        FirewallRule hot = first[5];
        string line = $"-A {hot.Chain} {hot.Rule}";
        int at = changed.IndexOf(line, StringComparison.Ordinal);
        int open = changed.LastIndexOf('[', at);
        changed = changed[..open] + "[42:2520] " + changed[at..];
        (_, List<FirewallRule> third, _, reused) = Read(Encoding.UTF8.GetBytes(changed), [], second, strings);
        Assert.Equal(10_000, reused);
        Assert.NotSame(hot, third[5]);
        Assert.Same(hot.Rule, third[5].Rule);
        Assert.Equal((42UL, 2520UL), (third[5].Packets, third[5].Bytes));
        Assert.Equal((hot.Key, hot.Id), (third[5].Key, third[5].Id));
        Assert.Same(hot.Match, third[5].Match);
        Assert.Same(first[6], third[6]);
    }

    [Fact]
    public void After_an_insertion_rules_below_are_reused_with_their_new_position_and_changed_text_is_new()
    {
        const string before = "*filter\n:INPUT ACCEPT [0:0]\n[1:60] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n" +
            "[5:300] -A INPUT -p tcp -m tcp --dport 1060 -j DROP\n[0:0] -A INPUT -j DROP\n[0:0] -A INPUT -j DROP\nCOMMIT\n";
        const string after = "*filter\n:INPUT ACCEPT [0:0]\n[0:0] -A INPUT -s 10.0.0.0/8 -j ACCEPT\n[1:60] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n" +
            "[7:420] -A INPUT -p tcp -m tcp --dport 1061 -j DROP\n[0:0] -A INPUT -j DROP\n[0:0] -A INPUT -j DROP\nCOMMIT\n";
        (_, List<FirewallRule> old, _, _) = Read(Encoding.UTF8.GetBytes(before), []);
        (_, List<FirewallRule> now, _, int reused) = Read(Encoding.UTF8.GetBytes(after), [], old);

        Assert.Equal(3, reused); // --dport 22 and both copies of "-j DROP"
        Assert.Equal(5, now.Count);
        Assert.Same(old[0].Rule, now[1].Rule);
        Assert.Equal((2, old[0].Key), (now[1].Position, now[1].Key));
        Assert.Equal("-p tcp -m tcp --dport 1061 -j DROP", now[2].Rule); // changed text: a new rule, not the old 1060 one
        Assert.NotEqual(old[1].Key, now[2].Key);
        Assert.Equal((4, 0), (now[3].Position, now[3].Occurrence));
        Assert.Equal((5, 1), (now[4].Position, now[4].Occurrence));
        Assert.Equal(old[3].Key, now[4].Key);
    }

    [Fact]
    public void Rules_of_another_backend_or_table_are_not_reused()
    {
        const string nft = "# Generated by iptables-save v1.8.9 (nf_tables) on x\n*filter\n:INPUT ACCEPT [0:0]\n[0:0] -A INPUT -j DROP\nCOMMIT\n";
        const string legacy = "# Generated by iptables-save v1.8.9 (legacy) on x\n*filter\n:INPUT ACCEPT [0:0]\n[0:0] -A INPUT -j DROP\nCOMMIT\n";
        const string raw = "*raw\n:INPUT ACCEPT [0:0]\n[0:0] -A INPUT -j DROP\nCOMMIT\n";
        (_, List<FirewallRule> a, _, _) = Read(Encoding.UTF8.GetBytes(nft), []);
        (_, List<FirewallRule> b, _, int r1) = Read(Encoding.UTF8.GetBytes(legacy), [], a);
        (_, List<FirewallRule> c, _, int r2) = Read(Encoding.UTF8.GetBytes(raw), [], a);
        Assert.Equal((0, 0), (r1, r2));
        Assert.Equal(FirewallBackends.Legacy, Assert.Single(b).Backend);
        Assert.Equal("raw", Assert.Single(c).Table);
    }
}
