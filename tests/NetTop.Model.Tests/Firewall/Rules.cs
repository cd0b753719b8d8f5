using System.Collections.Immutable;
using NetTop.Model.Firewall;

namespace NetTop.Model.Tests.Firewall;

/// <summary>Builds samples the way the iptables-save parser does (numbering per chain, match parsed from the text).</summary>
internal static class Rules
{
    public static FirewallSample Sample(double atSeconds, params (string Chain, string Rule, ulong Packets)[] rules) =>
        Sample(atSeconds, "ipv4", "filter", rules);

    public static FirewallSample Sample(double atSeconds, string family, string table, params (string Chain, string Rule, ulong Packets)[] rules)
    {
        FirewallRuleNumbering n = new();
        ImmutableArray<FirewallRule>.Builder b = ImmutableArray.CreateBuilder<FirewallRule>();
        foreach ((string chain, string rule, ulong packets) in rules)
        {
            string t = chain.Contains(':') ? chain[..chain.IndexOf(':')] : table;
            string c = chain.Contains(':') ? chain[(chain.IndexOf(':') + 1)..] : chain;
            ParsedRule p = RuleMatchParser.Parse(rule);
            uint hash = FirewallRule.Hash(rule);
            (int pos, int occurrence) = n.Next(FirewallBackends.NfTables, family, t, c, hash);
            b.Add(new FirewallRule
            {
                Family = family,
                Backend = FirewallBackends.NfTables,
                Table = t,
                Chain = c,
                Position = pos,
                Rule = rule,
                Target = p.Target,
                IsGoto = p.IsGoto,
                Packets = packets,
                Bytes = packets * 60,
                Hook = FirewallRuleNumbering.BuiltInHook(c),
                TextHash = hash,
                Occurrence = occurrence,
            });
        }
        return new FirewallSample(TimeSpan.FromSeconds(atSeconds), b.ToImmutable(), FirewallBackends.NfTables, 0);
    }
}
