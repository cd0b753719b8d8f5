using System.Collections.Immutable;
using NetTop.Model.Firewall;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;

namespace NetTop.Model.Tests.Firewall;

public sealed class SuspectFinderTests
{
    private static NetEndpoint Ep(string text) => NetEndpoint.TryParse(text, out NetEndpoint e) ? e : throw new ArgumentException(text);

    private static readonly HalfOpenFlow s_loopbackClient = new(Ep("127.0.0.1:45678"), Ep("127.0.0.1:1060"), HalfOpenState.SynSent);

    /// <summary>Rows of two polls: counters at the first (baseline) and at the second.</summary>
    private static (ImmutableArray<FirewallRow> Before, ImmutableArray<FirewallRow> Now) Polls(
        (string Chain, string Rule, ulong Before, ulong Now)[] rules, string family = "ipv4")
    {
        FirewallTracker t = new();
        ImmutableArray<FirewallRow> before = t.Update(Rules.Sample(0, family, "filter", rules.Select(r => (r.Chain, r.Rule, r.Before)).ToArray()));
        ImmutableArray<FirewallRow> now = t.Update(Rules.Sample(1, family, "filter", rules.Select(r => (r.Chain, r.Rule, r.Now)).ToArray()));
        return (before, now);
    }

    [Fact]
    public void The_1060_case_points_at_the_input_drop_rule()
    {
        var (before, now) = Polls([
            ("INPUT", "-p tcp -m tcp --dport 22 -j ACCEPT", 5, 9),
            ("INPUT", "-p tcp -m tcp --dport 1060 -j DROP", 1, 3),
            ("INPUT", "-p udp -m udp --dport 1060 -j DROP", 0, 4),
        ]);
        Suspect s = Assert.Single(SuspectFinder.Find(s_loopbackClient, now, before));
        Assert.Equal("-p tcp -m tcp --dport 1060 -j DROP", s.Rule);
        Assert.Equal(2UL, s.PacketsDelta);
        Assert.StartsWith("ipv4/filter/INPUT/2/", s.Id);
        Assert.Equal("SYN", s.Packet);
        Assert.Equal("DROP", s.Target);
    }

    [Fact]
    public void A_rule_whose_counter_did_not_rise_is_no_suspect()
    {
        var (before, now) = Polls([("INPUT", "-p tcp -m tcp --dport 1060 -j DROP", 3, 3)]);
        Assert.Empty(SuspectFinder.Find(s_loopbackClient, now, before));
    }

    [Fact]
    public void Without_a_baseline_counters_count_from_zero()
    {
        var (_, now) = Polls([("INPUT", "-p tcp -m tcp --dport 1060 -j DROP", 3, 3)]);
        Assert.Equal(3UL, Assert.Single(SuspectFinder.Find(s_loopbackClient, now, [])).PacketsDelta);
    }

    [Fact]
    public void A_rule_after_a_decidable_accept_is_never_reached()
    {
        var (before, now) = Polls([
            ("INPUT", "-i lo -j ACCEPT", 0, 10),
            ("INPUT", "-p tcp -m tcp --dport 1060 -j DROP", 0, 10), // counted by other traffic; the flow never gets here
        ]);
        Assert.Empty(SuspectFinder.Find(s_loopbackClient, now, before));
    }

    [Fact]
    public void Undecidable_rules_are_never_suspects_but_do_not_hide_later_ones()
    {
        var (before, now) = Polls([
            ("INPUT", "-p tcp -m mark --mark 0x1 -m tcp --dport 1060 -j DROP", 0, 5),
            ("INPUT", "-p tcp -m tcp --dport 1060 -m comment --comment \"block 1060\" -j REJECT --reject-with tcp-reset", 0, 2),
        ]);
        Suspect s = Assert.Single(SuspectFinder.Find(s_loopbackClient, now, before));
        Assert.Equal("REJECT", s.Target);
    }

    [Fact]
    public void Syn_sent_off_loopback_checks_output_for_the_syn_and_input_for_the_syn_ack()
    {
        HalfOpenFlow flow = new(Ep("10.0.0.5:40000"), Ep("203.0.113.9:443"), HalfOpenState.SynSent);
        var (before, now) = Polls([
            ("OUTPUT", "-d 203.0.113.0/24 -p tcp -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable", 0, 1),
            ("INPUT", "-s 203.0.113.9/32 -p tcp -m tcp --sport 443 --tcp-flags SYN,ACK SYN,ACK -j DROP", 0, 2),
            ("INPUT", "-p tcp -m tcp --dport 443 -j DROP", 0, 9),       // the SYN never enters INPUT off loopback
            ("INPUT", "-m conntrack --ctstate NEW -j DROP", 0, 9),      // the SYN-ACK is ESTABLISHED to conntrack
            ("INPUT", "-i eth0 -p tcp -j DROP", 0, 9),                  // interface unknown: undecidable
        ]);
        ImmutableArray<Suspect> s = SuspectFinder.Find(flow, now, before);
        Assert.Equal(["SYN-ACK", "SYN"], s.Select(x => x.Packet));
        Assert.Equal(["INPUT", "OUTPUT"], s.Select(x => x.Chain));

        // With the interface known, the -i eth0 rule is decidable (and after the first DROP, unreached).
        ImmutableArray<Suspect> withIf = SuspectFinder.Find(flow with { InInterface = "eth0", OutInterface = "eth0" }, now, before);
        Assert.Equal(2, withIf.Length);
    }

    [Fact]
    public void Syn_recv_checks_the_clients_final_ack()
    {
        HalfOpenFlow flow = new(Ep("127.0.0.1:8080"), Ep("127.0.0.1:51000"), HalfOpenState.SynRecv);
        var (before, now) = Polls([
            ("INPUT", "-p tcp -m tcp --dport 8080 --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT", 0, 3),
            ("INPUT", "-p tcp -m tcp --dport 8080 --tcp-flags FIN,SYN,RST,ACK ACK -j DROP", 0, 3),
        ]);
        Suspect s = Assert.Single(SuspectFinder.Find(flow, now, before));
        Assert.Equal("ACK", s.Packet);
        Assert.StartsWith("ipv4/filter/INPUT/2/", s.Id);
    }

    [Fact]
    public void A_jump_to_a_chain_that_drops_makes_both_the_jump_and_the_drop_suspects()
    {
        var (before, now) = Polls([
            ("INPUT", "-p tcp -m multiport --dports 1000:2000 -j GUARD", 0, 4),
            ("GUARD", "-s 10.0.0.0/8 -j RETURN", 0, 0),
            ("GUARD", "-m comment --comment \"log it\" -j LOG --log-prefix \"x: \"", 0, 4),
            ("GUARD", "! -s 192.168.0.0/16 -j DROP", 0, 4),
        ]);
        ImmutableArray<Suspect> s = SuspectFinder.Find(s_loopbackClient, now, before);
        Assert.Equal(["GUARD", "INPUT"], s.Select(x => x.Chain).Order());
        Assert.Contains(s, x => x.Target == "GUARD");
    }

    [Fact]
    public void A_chain_that_accepts_or_returns_makes_no_suspect_of_its_jump()
    {
        var (before, now) = Polls([
            ("INPUT", "-p tcp -j GUARD", 0, 4),
            ("GUARD", "-s 127.0.0.0/8 -j RETURN", 0, 4),
            ("GUARD", "-j DROP", 0, 4),
        ]);
        Assert.Empty(SuspectFinder.Find(s_loopbackClient, now, before));
    }

    [Fact]
    public void Families_do_not_mix_and_v4_mapped_flows_use_ipv4_rules()
    {
        var (b6, n6) = Polls([("INPUT", "-p tcp -m tcp --dport 1060 -j DROP", 0, 2)], "ipv6");
        Assert.Empty(SuspectFinder.Find(s_loopbackClient, n6, b6));
        HalfOpenFlow v6 = new(Ep("[::1]:45000"), Ep("[::1]:1060"), HalfOpenState.SynSent);
        Assert.Single(SuspectFinder.Find(v6, n6, b6));

        var (b4, n4) = Polls([("INPUT", "-p tcp -m tcp --dport 1060 -j DROP", 0, 2)]);
        HalfOpenFlow mapped = new(Ep("[::ffff:127.0.0.1]:45000"), Ep("[::ffff:127.0.0.1]:1060"), HalfOpenState.SynSent);
        Assert.Single(SuspectFinder.Find(mapped, n4, b4));
    }

    [Fact]
    public void Rules_of_the_nat_table_see_only_new_packets_and_raw_rules_count()
    {
        var (before, now) = Polls([
            ("raw:OUTPUT", "-p tcp -m tcp --dport 1060 -j DROP", 0, 1),
            ("nat:PREROUTING", "-p tcp -m tcp --sport 1060 -j DROP", 0, 1), // would match the SYN-ACK, which is not NEW
        ]);
        Suspect s = Assert.Single(SuspectFinder.Find(s_loopbackClient, now, before));
        Assert.Equal("raw", s.Table);
    }

    [Fact]
    public void Deep_or_cyclic_jumps_are_bounded()
    {
        var (before, now) = Polls([("INPUT", "-j A", 0, 1), ("A", "-j B", 0, 1), ("B", "-j A", 0, 1)]);
        Assert.Empty(SuspectFinder.Find(s_loopbackClient, now, before));
    }
}
