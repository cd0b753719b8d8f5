using System.Collections.Immutable;
using NetTop.Model.Firewall;

namespace NetTop.Model.Tests.Firewall;

public sealed class FirewallTrackerTests
{
    private const string Ssh = "-p tcp -m tcp --dport 22 -j ACCEPT";
    private const string Drop1060 = "-p tcp -m tcp --dport 1060 -j DROP";

    private static FirewallRow Row(ImmutableArray<FirewallRow> rows, string rule) => Assert.Single(rows, r => r.Rule.Rule == rule);

    [Fact]
    public void First_sample_has_no_rate_then_packets_and_bytes_per_second()
    {
        FirewallTracker t = new();
        ImmutableArray<FirewallRow> first = t.Update(Rules.Sample(10, ("INPUT", Drop1060, 100)));
        Assert.Null(Row(first, Drop1060).PacketsPerSec);
        Assert.Equal(RateState.FirstSample, Row(first, Drop1060).RateState);
        Assert.Equal("-", FirewallColumns.Rules.Single(c => c.Header == "PKTS/s").Cell(Row(first, Drop1060)));

        ImmutableArray<FirewallRow> second = t.Update(Rules.Sample(12, ("INPUT", Drop1060, 150)));
        FirewallRow r = Row(second, Drop1060);
        Assert.Equal(25.0, r.PacketsPerSec!.Value, 9);
        Assert.Equal(1500.0, r.BytesPerSec!.Value, 9);
        Assert.True(r.IsHot);
        Assert.Equal([25f], r.History.ToArray());
    }

    [Fact]
    public void A_counter_that_goes_down_is_a_reset_never_negative()
    {
        FirewallTracker t = new();
        t.Update(Rules.Sample(0, ("INPUT", Drop1060, 1_000_000)));
        t.Update(Rules.Sample(1, ("INPUT", Drop1060, 1_000_010)));
        FirewallRow reset = Row(t.Update(Rules.Sample(2, ("INPUT", Drop1060, 3))), Drop1060);
        Assert.Equal(RateState.CounterReset, reset.RateState);
        Assert.Null(reset.PacketsPerSec);
        Assert.All(reset.History, v => Assert.True(v >= 0));
        FirewallRow after = Row(t.Update(Rules.Sample(3, ("INPUT", Drop1060, 8))), Drop1060);
        Assert.Equal(5.0, after.PacketsPerSec!.Value, 9);
    }

    [Fact]
    public void Inserting_a_rule_above_keeps_the_rate_of_the_rule_below()
    {
        FirewallTracker t = new();
        t.Update(Rules.Sample(0, ("INPUT", Ssh, 0), ("INPUT", Drop1060, 10)));
        // A new first rule shifts both positions; the rates still follow the rules.
        ImmutableArray<FirewallRow> rows = t.Update(Rules.Sample(1, ("INPUT", "-s 10.0.0.0/8 -j ACCEPT", 0), ("INPUT", Ssh, 4), ("INPUT", Drop1060, 30)));

        FirewallRow drop = Row(rows, Drop1060);
        Assert.Equal(3, drop.Position);
        Assert.Equal(20.0, drop.PacketsPerSec!.Value, 9);
        Assert.Equal(4.0, Row(rows, Ssh).PacketsPerSec!.Value, 9);
        Assert.Null(Row(rows, "-s 10.0.0.0/8 -j ACCEPT").PacketsPerSec);
    }

    [Fact]
    public void Same_text_in_another_chain_or_repeated_is_tracked_separately()
    {
        FirewallTracker t = new();
        t.Update(Rules.Sample(0, ("INPUT", "-j DROP", 0), ("INPUT", "-j DROP", 0), ("OUTPUT", "-j DROP", 0)));
        ImmutableArray<FirewallRow> rows = t.Update(Rules.Sample(1, ("INPUT", "-j DROP", 5), ("INPUT", "-j DROP", 7), ("OUTPUT", "-j DROP", 9)));
        Assert.Equal([9.0, 7.0, 5.0], rows.Select(r => r.PacketsPerSec!.Value));
        Assert.Equal(3, rows.Select(r => r.Key).Distinct().Count());
        Assert.Equal(3, t.Tracked);
    }

    [Fact]
    public void Deleted_rules_leave_the_state_and_a_returning_rule_starts_over()
    {
        FirewallTracker t = new();
        t.Update(Rules.Sample(0, ("INPUT", Ssh, 1), ("INPUT", Drop1060, 1)));
        t.Update(Rules.Sample(1, ("INPUT", Ssh, 2)));
        Assert.Equal(1, t.Tracked);
        FirewallRow back = Row(t.Update(Rules.Sample(2, ("INPUT", Ssh, 3), ("INPUT", Drop1060, 50))), Drop1060);
        Assert.Equal(RateState.FirstSample, back.RateState);
    }

    [Fact]
    public void Sorted_by_rate_then_packets_then_chain_order()
    {
        FirewallTracker t = new();
        t.Update(Rules.Sample(0, ("INPUT", "-p tcp -j ACCEPT", 0), ("INPUT", "-p udp -j ACCEPT", 0), ("INPUT", "-p icmp -j ACCEPT", 100)));
        ImmutableArray<FirewallRow> rows = t.Update(Rules.Sample(1, ("INPUT", "-p tcp -j ACCEPT", 1), ("INPUT", "-p udp -j ACCEPT", 50), ("INPUT", "-p icmp -j ACCEPT", 100)));
        Assert.Equal(["-p udp -j ACCEPT", "-p tcp -j ACCEPT", "-p icmp -j ACCEPT"], rows.Select(r => r.Rule.Rule));
    }

    [Fact]
    public void History_is_bounded_oldest_first_and_idle_rules_share_zeros()
    {
        FirewallTracker t = new();
        ImmutableArray<FirewallRow> rows = [];
        for (int i = 0; i <= 100; i++)
        {
            rows = t.Update(Rules.Sample(i, ("INPUT", Drop1060, (ulong)(i * i)), ("INPUT", Ssh, 0)));
        }
        FirewallRow hot = Row(rows, Drop1060);
        Assert.Equal(FirewallTracker.HistoryLength, hot.History.Length);
        Assert.Equal(199f, hot.History[^1]); // 100² − 99²
        Assert.Equal((float)(41 * 41 - 40 * 40), hot.History[0]);
        FirewallRow idle = Row(rows, Ssh);
        Assert.Equal(FirewallTracker.HistoryLength, idle.History.Length);
        Assert.All(idle.History, v => Assert.Equal(0f, v));
        Assert.Equal(FirewallColumns.SparklineWidth, FirewallColumns.Sparkline(hot.History).Length);
        Assert.EndsWith("█", FirewallColumns.Sparkline(hot.History));
    }

    [Fact]
    public void An_idle_rule_keeps_one_row_object_from_its_second_poll_while_a_counting_one_gets_new_rows()
    {
        FirewallTracker t = new();
        FirewallSample first = Rules.Sample(0, ("INPUT", Drop1060, 0), ("INPUT", Ssh, 0));
        t.Update(first);
        FirewallRow? idle = null;
        for (int i = 1; i <= 5; i++)
        {
            // The parser hands back the same rule objects while text and counters are unchanged.
            FirewallSample s = Rules.Sample(i, ("INPUT", Drop1060, (ulong)(10 * i)), ("INPUT", Ssh, 0));
            s = s with { Rules = [s.Rules[0], first.Rules[1]] };
            ImmutableArray<FirewallRow> rows = t.Update(s);
            FirewallRow now = Row(rows, Ssh);
            if (i >= 2)
            {
                Assert.Same(idle, now);
            }
            idle = now;
            Assert.Equal(FirewallTracker.HistoryLength, now.History.Length);
            Assert.All(now.History, v => Assert.Equal(0f, v));
            Assert.Equal(Math.Min(i, FirewallTracker.HistoryLength), Row(rows, Drop1060).History.Length);
        }
    }

    [Fact]
    public void Counters_read_at_an_older_time_keep_their_rate_and_add_no_history()
    {
        FirewallTracker t = new();
        FirewallSample s0 = Rules.Sample(0, ("INPUT", Drop1060, 0));
        t.Update(s0);
        FirewallSample s1 = Rules.Sample(1, ("INPUT", Drop1060, 10));
        t.Update(s1);
        // Same counters re-used at the next poll (nft tables are read less often): stamped with their read time.
        FirewallSample s2 = s1 with { At = TimeSpan.FromSeconds(2), Rules = [s1.Rules[0] with { CountersAt = TimeSpan.FromSeconds(1) }] };
        FirewallRow r = Row(t.Update(s2), Drop1060);
        Assert.Equal(10.0, r.PacketsPerSec!.Value, 9);
        Assert.Single(r.History);
    }

    [Fact]
    public void An_unchanged_rule_object_reuses_its_row_only_while_the_row_cannot_change()
    {
        // The parser hands back the same FirewallRule object for a rule whose text and counters did not change.
        FirewallTracker t = new();
        FirewallSample s0 = Rules.Sample(0, ("INPUT", Drop1060, 0), ("INPUT", Ssh, 0));
        FirewallRule drop = s0.Rules[0], ssh = s0.Rules[1];
        FirewallSample At(int sec, FirewallRule d) => s0 with { At = TimeSpan.FromSeconds(sec), Rules = [d, ssh] };
        t.Update(s0);
        // Hot for one poll, then idle: the rate drops to 0 and the history keeps the non-zero point for 60 polls.
        drop = drop with { Packets = 10, Bytes = 600 };
        FirewallRow hot = Row(t.Update(At(1, drop)), Drop1060);
        Assert.Equal(10.0, hot.PacketsPerSec!.Value, 9);
        FirewallRow previous = hot;
        for (int sec = 2; sec <= FirewallTracker.HistoryLength; sec++)
        {
            FirewallRow r = Row(t.Update(At(sec, drop)), Drop1060);
            Assert.NotSame(previous, r); // the history changes on every poll until the 10 leaves it
            Assert.Equal(0.0, r.PacketsPerSec!.Value, 9);
            Assert.Equal(sec, r.History.Length);
            previous = r;
        }
        Assert.Equal(10f, previous.History[0]);
        FirewallRow idle = Row(t.Update(At(FirewallTracker.HistoryLength + 1, drop)), Drop1060);
        Assert.NotSame(previous, idle);
        Assert.All(idle.History, v => Assert.Equal(0f, v));
        Assert.Equal(FirewallTracker.HistoryLength, idle.History.Length);
        // From now on nothing the row shows can change: the same row object comes back, with the same values.
        FirewallRow again = Row(t.Update(At(FirewallTracker.HistoryLength + 2, drop)), Drop1060);
        Assert.Same(idle, again);
        Assert.Same(drop, again.Rule);
        Assert.Equal(0.0, again.PacketsPerSec!.Value, 9);
        Assert.Equal(RateState.Data, again.RateState);
        // Counters that move give a new rule object and a new row with the rate and the history point.
        FirewallRule moved = drop with { Packets = 30, Bytes = 1800 };
        FirewallRow after = Row(t.Update(At(FirewallTracker.HistoryLength + 3, moved)), Drop1060);
        Assert.NotSame(again, after);
        Assert.Equal(20.0, after.PacketsPerSec!.Value, 9);
        Assert.Equal(20f, after.History[^1]);
        // The same (moved) object on the next poll: rate back to 0, and the 20 is still in the history: a new row.
        FirewallRow next = Row(t.Update(At(FirewallTracker.HistoryLength + 4, moved)), Drop1060);
        Assert.NotSame(after, next);
        Assert.Equal(0.0, next.PacketsPerSec!.Value, 9);
        Assert.Equal([20f, 0f], next.History.TakeLast(2));
    }

    [Fact]
    public void Columns_render_a_row()
    {
        FirewallTracker t = new();
        t.Update(Rules.Sample(0, ("INPUT", Drop1060, 0)));
        FirewallRow r = Row(t.Update(Rules.Sample(1, ("INPUT", Drop1060, 12_345))), Drop1060);
        string[] cells = FirewallColumns.Rules.Select(c => c.Cell(r)).ToArray();
        Assert.Equal(["TABLE", "CHAIN", "#", "RULE", "TARGET", "PKTS", "BYTES", "PKTS/s"], FirewallColumns.Rules.Select(c => c.Header));
        Assert.Equal(["filter", "INPUT", "1", "-p tcp -m tcp --dport 1060", "DROP", "12.3k", "740.7k", "12.3k"], cells);
        Assert.True(FirewallColumns.Matches(r, "1060"));
        Assert.True(FirewallColumns.Matches(r, "drop"));
        Assert.False(FirewallColumns.Matches(r, "OUTPUT"));
    }
}
