using CsCheck;
using NetTop.Capture.Firewall;
using NetTop.Model.Firewall;

namespace NetTop.Capture.Tests.Firewall;

public sealed class TraceLineParserTests
{
    private static (TraceAssembler Assembler, int Other) Assemble(string text)
    {
        TraceAssembler a = new();
        int other = 0;
        foreach (string line in text.Split('\n'))
        {
            TraceLine t = TraceLineParser.Parse(line, TimeSpan.Zero);
            switch (t.Kind)
            {
                case TraceLineKind.Packet: a.AddPacket(TimeSpan.Zero, t.TraceId, t.Family, t.Packet); break;
                case TraceLineKind.Event: a.AddEvent(t.Event!, t.Family); break;
                default: other += line.Length > 0 ? 1 : 0; break;
            }
        }
        return (a, other);
    }

    [Fact]
    public void Xtables_monitor_trace_groups_each_pass_and_ends_in_the_drop_rule()
    {
        (TraceAssembler a, int other) = Assemble(Fixture.Text("firewall/xtables-monitor-trace-ipv4.txt"));
        var packets = a.Snapshot();

        Assert.Equal(0, other);
        // Two tries of one SYN (first and retransmit), each an OUTPUT pass and an INPUT pass with its own trace id.
        Assert.Equal(4, packets.Length);
        TracePacket outPass = packets[0];
        Assert.Equal("26365ecf", outPass.TraceId);
        Assert.Equal("ipv4", outPass.Family);
        Assert.StartsWith("OUT=lo SRC=127.0.0.1 DST=127.0.0.1", outPass.Packet);
        Assert.Contains("SPORT=45678 DPORT=1060 SYN", outPass.Packet);
        TraceEvent first = outPass.Events[0];
        Assert.Equal(("raw", "OUTPUT", "rule 0x4", "CONTINUE"), (first.Table, first.Chain, first.RuleHandleOrPolicy, first.Verdict));
        Assert.Contains("--comment \"nettop-trace abc123\" -j TRACE", first.RuleText);
        Assert.Equal("ACCEPT", outPass.Verdict);
        Assert.Contains(outPass.Events, e => e.Table == "nettop_native" && e.RuleHandleOrPolicy == "policy");

        TracePacket inPass = packets[1];
        Assert.Equal("7737ef67", inPass.TraceId);
        Assert.Equal("DROP", inPass.Verdict);
        TraceEvent drop = inPass.Events[^1];
        Assert.Equal("filter:INPUT:rule 0x1a", drop.Where);
        Assert.Equal("-4 -t filter -A INPUT -p tcp -m tcp --dport 1060 -j DROP", drop.RuleText);
        Assert.Equal("raw:PREROUTING:rule 0x5 CONTINUE → raw:PREROUTING:policy ACCEPT → mangle:PREROUTING:policy ACCEPT → filter:INPUT:rule 0x1a DROP", inPass.Path);
    }

    [Fact]
    public void Xtables_monitor_ipv6_failure_is_not_mistaken_for_events()
    {
        (TraceAssembler a, int other) = Assemble(Fixture.Text("firewall/xtables-monitor-trace-ipv6.txt"));
        TracePacket p = Assert.Single(a.Snapshot());
        Assert.Equal("ipv6", p.Family);
        Assert.True(other >= 3, "the error lines are counted as other");
    }

    [Fact]
    public void Nft_monitor_trace_gives_rules_policies_and_verdicts()
    {
        (TraceAssembler a, int other) = Assemble(Fixture.Text("firewall/nft-monitor-trace.txt"));
        var packets = a.Snapshot();

        Assert.Equal(0, other);
        Assert.Equal(2, packets.Length);
        TracePacket o = packets[0];
        Assert.Equal("inet", o.Family);
        Assert.Contains("tcp sport 45679 tcp dport 1061 tcp flags == syn", o.Packet);
        Assert.Equal("nettop_native:output:rule CONTINUE → nettop_native:output:policy ACCEPT → nat:POSTROUTING:policy ACCEPT", o.Path);
        Assert.Equal("tcp dport 1061 meta nftrace set 1 comment \"nettop-trace n1\"", o.Events[0].RuleText);

        TracePacket i = packets[1];
        Assert.Equal("DROP", i.Verdict);
        Assert.Equal("tcp dport 1061 counter packets 1 bytes 60 drop comment \"native drop\"", i.Events[^1].RuleText);
        Assert.Contains(i.Events, e => e is { Table: "filter", Chain: "INPUT", Verdict: "ACCEPT", RuleHandleOrPolicy: "rule" });
    }

    [Fact]
    public void Assembler_is_bounded()
    {
        TraceAssembler a = new(capacity: 3);
        for (int i = 0; i < 10; i++)
        {
            a.AddPacket(TimeSpan.Zero, i.ToString("x8", System.Globalization.CultureInfo.InvariantCulture), "ipv4", "p");
        }
        Assert.Equal(3, a.Snapshot().Length);
        Assert.Equal(7, a.Evicted);
        Assert.Equal("00000009", a.Snapshot()[^1].TraceId);
    }

    [Fact]
    public void Garbage_never_throws()
    {
        Gen.String.Sample(s => TraceLineParser.Parse(s, TimeSpan.Zero), iter: 2000);
        foreach (string s in new[] { "TRACE: ", "TRACE: 2", "TRACE: 2 x a:b", "TRACE: 2 x ::rule:", "PACKET: ", "trace id", "trace id 1 ip t c rule", "trace id 1 ip t c policy", " TRACE: 2 x a:b:rule:0x1" })
        {
            TraceLineParser.Parse(s, TimeSpan.Zero);
        }
    }
}
