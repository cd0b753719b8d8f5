using NetTop.Model.Firewall;

namespace NetTop.Model.Tests.Firewall;

public sealed class FirewallRuleNumberingTests
{
    [Fact]
    public void Reset_starts_every_chain_over_for_the_next_sample()
    {
        FirewallRuleNumbering n = new();
        for (int sample = 0; sample < 3; sample++)
        {
            // Same rules each sample (the counters are kept and zeroed between samples): same numbers each time.
            Assert.Equal((1, 0), n.Next(FirewallBackends.NfTables, "ipv4", "filter", "INPUT", 7));
            Assert.Equal((2, 1), n.Next(FirewallBackends.NfTables, "ipv4", "filter", "INPUT", 7));
            Assert.Equal((1, 0), n.Next(FirewallBackends.NfTables, "ipv4", "filter", "OUTPUT", 7));
            Assert.Equal((3, 0), n.Next(FirewallBackends.NfTables, "ipv4", "filter", "INPUT", 9));
            Assert.Equal((1, 0), n.Next(FirewallBackends.Legacy, "ipv4", "filter", "INPUT", 7));
            if (sample == 1)
            {
                // A chain that only this sample has must not leak into the next one.
                Assert.Equal((1, 0), n.Next(FirewallBackends.NfTables, "ipv4", "filter", "EXTRA", 7));
            }
            n.Reset();
        }
        Assert.Equal((1, 0), n.Next(FirewallBackends.NfTables, "ipv4", "filter", "EXTRA", 7));
    }
}
