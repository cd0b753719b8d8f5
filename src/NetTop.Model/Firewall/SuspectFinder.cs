using System.Collections.Immutable;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;

namespace NetTop.Model.Firewall;

/// <summary>
/// A connection whose handshake has not completed, as plain values: our endpoint, the peer's, and which side
/// waits. <see cref="InInterface"/>/<see cref="OutInterface"/> name the interfaces its packets use when the
/// caller knows them; loopback flows need none (both directions use "lo"). Without them, rules that test
/// <c>-i</c>/<c>-o</c> are undecidable for a non-loopback flow and never become suspects.
/// </summary>
public sealed record HalfOpenFlow(NetEndpoint Local, NetEndpoint Remote, HalfOpenState State)
{
    public string? InInterface { get; init; }
    public string? OutInterface { get; init; }

    /// <summary>Both ends on this host: every packet leaves through OUTPUT and comes back through INPUT on lo.</summary>
    public bool IsLoopback
    {
        get
        {
            NetEndpoint l = Local.Unmapped, r = Remote.Unmapped;
            return IsLoopbackAddress(l) || IsLoopbackAddress(r) || (l.Family == r.Family && l.Address == r.Address);
        }
    }

    private static bool IsLoopbackAddress(NetEndpoint e) =>
        e.Family == IpFamily.V4 ? (uint)e.Address >> 24 == 127 : e.Address == UInt128.One;
}

/// <summary>A rule that matches a half-open flow's packets, drops them, and counted <see cref="PacketsDelta"/> packets while the flow waited.</summary>
public sealed record Suspect(string Id, string Rule, ulong PacketsDelta)
{
    /// <summary>The rule's stable key (<see cref="FirewallRule.Key"/>), for screens.</summary>
    public string Key { get; init; } = "";
    public string Table { get; init; } = "";
    public string Chain { get; init; } = "";
    public string Target { get; init; } = "";
    /// <summary>Which of the flow's packets it eats: "SYN", "SYN-ACK" or "ACK".</summary>
    public string Packet { get; init; } = "";
}

/// <summary>
/// Finds the rules that eat a half-open flow. For SYN_SENT (our connect) it checks our SYN local→remote
/// (OUTPUT/POSTROUTING) and the peer's SYN-ACK remote→local (PREROUTING/INPUT); for SYN_RECV (a client of our
/// listener) the client's final ACK remote→local and our SYN-ACK local→remote. On loopback every packet passes
/// the output hooks and then the input hooks. Each packet walks the base chains of its hooks in rule order,
/// into jumped user chains (bounded depth), stopping where a decidable rule accepts it. A suspect is a rule
/// whose match NetTop can decide and does match, whose target drops (DROP, REJECT, or a jump to a chain that
/// drops this packet), and whose packet counter rose between <c>previous</c> (the rows when the flow was first
/// seen) and now. Pure; build one per refresh and call <see cref="Find"/> for each half-open flow.
/// </summary>
public sealed class SuspectFinder
{
    private const int MaxDepth = 16;
    private static readonly string[] s_tables = ["raw", "mangle", "nat", "filter", "security"];

    private readonly Dictionary<(string Backend, string Family, string Table, string Chain), List<FirewallRow>> _chains = [];
    private readonly Dictionary<string, List<(string Backend, string Family, string Table, string Chain)>> _baseChains = [];
    private readonly ImmutableArray<FirewallRow> _rows;
    private ImmutableArray<FirewallRow> _previous;
    private Dictionary<FirewallRuleKey, ulong>? _previousPackets;

    public SuspectFinder(ImmutableArray<FirewallRow> rows)
    {
        _rows = rows.IsDefault ? [] : rows;
        foreach (FirewallRow r in _rows)
        {
            var key = (r.Rule.Backend, r.Family, r.Table, r.Chain);
            if (!_chains.TryGetValue(key, out List<FirewallRow>? list))
            {
                _chains[key] = list = [];
                if (r.Rule.Hook is { } hook)
                {
                    if (!_baseChains.TryGetValue(hook, out var bases))
                    {
                        _baseChains[hook] = bases = [];
                    }
                    bases.Add(key);
                }
            }
            list.Add(r);
        }
        foreach (List<FirewallRow> list in _chains.Values)
        {
            list.Sort(static (a, b) => a.Position.CompareTo(b.Position));
        }
        foreach (var bases in _baseChains.Values)
        {
            // raw before mangle before nat before filter, as the iptables priorities order them.
            bases.Sort(static (a, b) =>
            {
                int ia = Array.IndexOf(s_tables, a.Table), ib = Array.IndexOf(s_tables, b.Table);
                return (ia < 0 ? 99 : ia).CompareTo(ib < 0 ? 99 : ib);
            });
        }
    }

    /// <summary>One call for one flow (builds the index each time: prefer an instance per refresh).</summary>
    public static ImmutableArray<Suspect> Find(HalfOpenFlow flow, ImmutableArray<FirewallRow> rows, ImmutableArray<FirewallRow> previous) =>
        new SuspectFinder(rows).Find(flow, previous);

    /// <summary>
    /// The suspects for <paramref name="flow"/>, most packets first. <paramref name="previous"/> holds the rows
    /// of the refresh when the flow was first seen: a rule missing there counts from zero, and a counter that
    /// went down (reset) counts from zero too. With no previous rows every counter counts from zero.
    /// </summary>
    public ImmutableArray<Suspect> Find(HalfOpenFlow flow, ImmutableArray<FirewallRow> previous)
    {
        if (_rows.Length == 0)
        {
            return [];
        }
        Dictionary<FirewallRuleKey, ulong> baseline = Baseline(previous);
        Dictionary<FirewallRuleKey, (FirewallRow Row, string Packet)> candidates = [];
        foreach (PacketSpec p in Packets(flow))
        {
            WalkHooks(p, candidates);
        }
        if (candidates.Count == 0)
        {
            return [];
        }
        ImmutableArray<Suspect>.Builder suspects = ImmutableArray.CreateBuilder<Suspect>(candidates.Count);
        foreach ((FirewallRow row, string packet) in candidates.Values)
        {
            ulong now = row.Packets;
            ulong delta = baseline.TryGetValue(row.Rule.StableKey, out ulong before) && before <= now ? now - before : now;
            if (delta == 0)
            {
                continue;
            }
            suspects.Add(new Suspect(row.Id, row.Rule.Rule, delta)
            {
                Key = row.Key,
                Table = row.Table,
                Chain = row.Chain,
                Target = row.Target,
                Packet = packet,
            });
        }
        suspects.Sort(static (a, b) => b.PacketsDelta != a.PacketsDelta
            ? b.PacketsDelta.CompareTo(a.PacketsDelta)
            : string.CompareOrdinal(a.Id, b.Id));
        return suspects.DrainToImmutable();
    }

    private Dictionary<FirewallRuleKey, ulong> Baseline(ImmutableArray<FirewallRow> previous)
    {
        if (_previousPackets is not null && previous == _previous)
        {
            return _previousPackets;
        }
        Dictionary<FirewallRuleKey, ulong> d = new(previous.IsDefault ? 0 : previous.Length);
        if (!previous.IsDefault)
        {
            foreach (FirewallRow r in previous)
            {
                d[r.Rule.StableKey] = r.Packets;
            }
        }
        _previous = previous;
        _previousPackets = d;
        return d;
    }

    /// <summary>The packets a half-open flow waits on, with the conntrack state each has when the firewall sees it.</summary>
    private static IEnumerable<PacketSpec> Packets(HalfOpenFlow flow)
    {
        bool lo = flow.IsLoopback;
        NetEndpoint local = flow.Local.Unmapped, remote = flow.Remote.Unmapped;
        string? inIf = lo ? "lo" : flow.InInterface;
        string? outIf = lo ? "lo" : flow.OutInterface;
        if (flow.State == HalfOpenState.SynSent)
        {
            yield return new PacketSpec("SYN", local, remote, TcpFlags.Syn, ConnStates.New, Out: true, In: lo, inIf, outIf);
            yield return new PacketSpec("SYN-ACK", remote, local, TcpFlags.Syn | TcpFlags.Ack, ConnStates.Established, Out: lo, In: true, inIf, outIf);
        }
        else
        {
            yield return new PacketSpec("ACK", remote, local, TcpFlags.Ack, ConnStates.Established, Out: lo, In: true, inIf, outIf);
            yield return new PacketSpec("SYN-ACK", local, remote, TcpFlags.Syn | TcpFlags.Ack, ConnStates.Established, Out: true, In: lo, inIf, outIf);
        }
    }

    private void WalkHooks(PacketSpec p, Dictionary<FirewallRuleKey, (FirewallRow, string)> candidates)
    {
        if (p.Out)
        {
            WalkHook("output", p, inbound: false, candidates);
            WalkHook("postrouting", p, inbound: false, candidates);
        }
        if (p.In)
        {
            WalkHook("prerouting", p, inbound: true, candidates);
            WalkHook("input", p, inbound: true, candidates);
        }
    }

    private void WalkHook(string hook, PacketSpec p, bool inbound, Dictionary<FirewallRuleKey, (FirewallRow, string)> candidates)
    {
        if (!_baseChains.TryGetValue(hook, out var bases))
        {
            return;
        }
        foreach (var chain in bases)
        {
            // Only NEW packets traverse the nat chains.
            if (chain.Table == "nat" && p.State != ConnStates.New)
            {
                continue;
            }
            if (!FamilyApplies(chain.Family, p.Src.Family))
            {
                continue;
            }
            List<(FirewallRow, string)> found = [];
            Walk(chain, p, inbound, 0, found);
            foreach ((FirewallRow row, string packet) in found)
            {
                candidates.TryAdd(row.Rule.StableKey, (row, packet));
            }
            // A packet dropped by one base chain never reaches the next hook's chains; candidates found so far
            // stand on their own (their counters decide), so walking on only costs time.
        }
    }

    private enum Verdict
    {
        Return,
        Accept,
        Drop,
    }

    private Verdict Walk((string Backend, string Family, string Table, string Chain) chain, PacketSpec p, bool inbound, int depth,
        List<(FirewallRow, string)> found)
    {
        if (depth > MaxDepth || !_chains.TryGetValue(chain, out List<FirewallRow>? rules))
        {
            return Verdict.Return;
        }
        foreach (FirewallRow row in rules)
        {
            FirewallRule rule = row.Rule;
            Tri m = Evaluate(rule, p, inbound);
            if (m == Tri.No)
            {
                continue;
            }
            var sub = (rule.Backend, rule.Family, rule.Table, rule.Target);
            bool jumps = rule.Target.Length > 0 && _chains.ContainsKey(sub) && sub != chain;
            if (m == Tri.Unknown)
            {
                // It may or may not see the packet: rules inside still count, but nothing ends here for sure.
                if (jumps)
                {
                    Walk(sub, p, inbound, depth + 1, found);
                }
                continue;
            }
            if (rule.IsDropTarget)
            {
                found.Add((row, p.Name));
                return Verdict.Drop;
            }
            if (rule.Target is "ACCEPT" or "accept")
            {
                return Verdict.Accept;
            }
            if (rule.Target is "RETURN" or "return")
            {
                return Verdict.Return;
            }
            if (jumps)
            {
                Verdict v = Walk(sub, p, inbound, depth + 1, found);
                if (v == Verdict.Drop)
                {
                    found.Add((row, p.Name));
                    return Verdict.Drop;
                }
                if (v == Verdict.Accept || rule.IsGoto)
                {
                    return v;
                }
            }
        }
        return Verdict.Return;
    }

    private static bool FamilyApplies(string ruleFamily, IpFamily packet) => ruleFamily switch
    {
        "ipv4" => packet == IpFamily.V4,
        "ipv6" => packet == IpFamily.V6,
        "inet" => true,
        _ => false,
    };

    private enum Tri
    {
        No,
        Yes,
        Unknown,
    }

    /// <summary>Whether the rule matches the packet: No as soon as a decidable part fails, Unknown when a part cannot be evaluated.</summary>
    private static Tri Evaluate(FirewallRule rule, PacketSpec p, bool inbound)
    {
        if (!FamilyApplies(rule.Family, p.Src.Family))
        {
            return Tri.No;
        }
        RuleMatch m = rule.Match;
        bool unknown = m.Undecidable;
        if (m.Protocol is { } proto && proto is not ("all" or "0"))
        {
            bool tcp = proto is "tcp" or "6";
            if (tcp == m.ProtocolNegated)
            {
                return Tri.No;
            }
        }
        if (m.Source is { } s && !s.Contains(p.Src)) return Tri.No;
        if (m.Destination is { } d && !d.Contains(p.Dst)) return Tri.No;
        if (m.SourcePorts is { } sp && !sp.Contains(p.Src.Port)) return Tri.No;
        if (m.DestinationPorts is { } dp && !dp.Contains(p.Dst.Port)) return Tri.No;
        if (m.States is { } st && !st.Matches(p.State)) return Tri.No;
        if (m.TcpFlags is { } tf && !tf.Matches(p.Flags)) return Tri.No;
        // The in-interface is empty on the output hooks, the out-interface on prerouting/input.
        string? inIf = inbound ? p.InInterface : "";
        string? outIf = inbound ? "" : p.OutInterface;
        if (m.InInterface is { } ii)
        {
            if (inIf is null) unknown = true;
            else if (!ii.Matches(inIf)) return Tri.No;
        }
        if (m.OutInterface is { } oi)
        {
            if (outIf is null) unknown = true;
            else if (!oi.Matches(outIf)) return Tri.No;
        }
        return unknown ? Tri.Unknown : Tri.Yes;
    }

    private readonly record struct PacketSpec(string Name, NetEndpoint Src, NetEndpoint Dst, TcpFlags Flags, ConnStates State,
        bool Out, bool In, string? InInterface, string? OutInterface);
}
