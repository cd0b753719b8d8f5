using System.Collections.Immutable;
using NetTop.Model;
using NetTop.Model.Counters;
using NetTop.Model.Firewall;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;

namespace NetTop.Tui.Tests;

/// <summary>Snapshots built in code: the scenario rows go through the real SnapshotBuilder.</summary>
internal static class Fixtures
{
    public static NetEndpoint Ep(string text) =>
        NetEndpoint.TryParse(text, out NetEndpoint e) ? e : throw new ArgumentException(text);

    /// <summary>
    /// Listener 127.0.0.1:8080 with 3 connections waiting for accept() over a backlog of 2 (full), one client
    /// in SYN_RECV on it, and our own connect() to 192.0.2.1:443 in SYN_SENT after 2 SYN retransmits.
    /// </summary>
    public static HostSnapshot Scenario(SocketsOrigin origin = SocketsOrigin.SockDiag, params SourceStatus[] sources)
    {
        bool diag = origin == SocketsOrigin.SockDiag;
        List<TcpSocket> sockets =
        [
            new TcpSocket
            {
                Family = IpFamily.V4, State = TcpState.Listen, Local = Ep("127.0.0.1:8080"), Remote = Ep("0.0.0.0:0"),
                RQueue = 3, WQueue = diag ? 2u : 0u, BacklogKnown = diag, Cookie = diag ? 0x1001UL : 0, Inode = 5001,
            },
            new TcpSocket
            {
                Family = IpFamily.V4, State = TcpState.Listen, Local = Ep("0.0.0.0:22"), Remote = Ep("0.0.0.0:0"),
                RQueue = 0, WQueue = diag ? 128u : 0u, BacklogKnown = diag, Cookie = diag ? 0x1002UL : 0, Inode = 5002,
            },
            new TcpSocket
            {
                Family = IpFamily.V4, State = TcpState.SynSent, Local = Ep("10.0.0.5:41000"), Remote = Ep("192.0.2.1:443"),
                Retrans = 2, ExpiresMs = 1500, Cookie = diag ? 0x2001UL : 0, Inode = 6001,
            },
            new TcpSocket
            {
                Family = IpFamily.V4, State = TcpState.NewSynRecv, Local = Ep("127.0.0.1:8080"), Remote = Ep("127.0.0.1:52000"),
                Retrans = 0, ExpiresMs = 800, Cookie = diag ? 0x3001UL : 0, IsRequest = true,
            },
        ];
        SnapshotBuilder builder = new("web01", "6.18.0", "host");
        return builder.Build(new SnapshotInputs
        {
            At = TimeSpan.FromSeconds(10),
            Now = DateTimeOffset.UnixEpoch.AddDays(20000),
            Sockets = new SocketsSample(TimeSpan.FromSeconds(10), origin, sockets, 0, false,
                diag ? null : "sock_diag: permission denied"),
            Counters = new CountersSample(TimeSpan.FromSeconds(10),
                new Dictionary<string, ulong> { ["ListenOverflows"] = 12, ["ListenDrops"] = 12 }, 0),
            Sources = sources.Length > 0 ? [.. sources] : [SourceStatus.Ok("sockets", "sock_diag"), SourceStatus.Ok("counters", "netstat")],
            Owners = new Owners(),
        });
    }

    /// <summary>A DROP rule in filter/OUTPUT that eats our SYNs to 192.0.2.1:443 (hot), an ACCEPT rule that counts (hot),
    /// and an idle rule.</summary>
    public static readonly string DropRuleText = "-d 192.0.2.1/32 -p tcp -m tcp --dport 443 -j DROP";

    public static FirewallRule Rule(string table, string chain, int position, string rule, string target, ulong packets) => new()
    {
        Family = "ipv4",
        Backend = FirewallBackends.NfTables,
        Table = table,
        Chain = chain,
        Position = position,
        Rule = rule,
        Target = target,
        Packets = packets,
        Bytes = packets * 60,
        TextHash = FirewallRule.Hash(rule),
        Hook = chain is "INPUT" or "OUTPUT" ? chain.ToLowerInvariant() : null,
    };

    /// <summary>Firewall rows with rates: three polls one second apart through the real tracker.</summary>
    public static ImmutableArray<FirewallRow> FirewallRows()
    {
        FirewallTracker tracker = new();
        ImmutableArray<FirewallRow> rows = [];
        for (int i = 0; i < 3; i++)
        {
            rows = tracker.Update(new FirewallSample(TimeSpan.FromSeconds(10 + i),
            [
                Rule("filter", "OUTPUT", 1, DropRuleText, "DROP", 10 + (ulong)i * 3),
                Rule("filter", "INPUT", 1, "-i lo -j ACCEPT", "ACCEPT", 100 + (ulong)i * 50),
                Rule("filter", "INPUT", 2, "-p tcp -m tcp --dport 22 -j ACCEPT", "ACCEPT", 7),
            ], FirewallBackends.NfTables, 0));
        }
        return rows;
    }

    public static ResetEvent ResetEvent(ResetDirection dir, ResetKind kind, string local, string remote, int second,
        string? netnsTag = null) => new()
        {
            Wall = DateTimeOffset.UnixEpoch.AddDays(20000).AddSeconds(second),
            Direction = dir,
            Kind = kind,
            Reason = kind == ResetKind.Active ? "TCP_ABORT_ON_CLOSE" : "NO_SOCKET",
            Explanation = kind == ResetKind.Active ? "closed with unread data" : "nothing listens on that port",
            State = TcpState.Established,
            Local = Ep(local),
            Remote = Ep(remote),
            Pid = kind == ResetKind.Active ? 1234 : null,
            Comm = kind == ResetKind.Active ? "nginx" : null,
            Stack = kind == ResetKind.Active
                ? ["tcp_send_active_reset+0x10", "tcp_close+0x2a", "inet_release+0x3c"]
                : ["tcp_v4_send_reset+0x733", "tcp_v4_rcv+0x12", "ip_local_deliver+0x9"],
            NetnsTag = netnsTag,
        };

    /// <summary>The scenario plus an RST feed (an active reset, a passive one, one of another netns), top stacks,
    /// totals, the firewall rules, and the DROP rule as the SYN_SENT's suspect.</summary>
    public static HostSnapshot Full(long sequence = 2)
    {
        HostSnapshot s = Scenario(SocketsOrigin.SockDiag, SourceStatus.Ok("sockets", "sock_diag"),
            SourceStatus.Ok("counters", "netstat"), SourceStatus.Ok("resets", "tracepoints"), SourceStatus.Ok("firewall", "iptables-nft"));
        ImmutableArray<FirewallRow> rules = FirewallRows();
        FirewallRow drop = rules.Single(r => r.Target == "DROP");
        Suspect suspect = new(drop.Id, drop.Rule.Rule, 3)
        {
            Key = drop.Key,
            Table = drop.Table,
            Chain = drop.Chain,
            Target = drop.Target,
            Packet = "SYN",
        };
        ResetEvent active = ResetEvent(ResetDirection.Sent, ResetKind.Active, "127.0.0.1:8080", "127.0.0.1:52001", 3);
        ResetEvent passive = ResetEvent(ResetDirection.Sent, ResetKind.Passive, "10.0.0.5:9999", "10.0.0.9:40000", 2);
        ResetEvent other = ResetEvent(ResetDirection.Received, ResetKind.Unknown, "172.17.0.2:5432", "172.17.0.3:41000", 1,
            Model.Resets.ResetEvent.OtherNetns);
        return s with
        {
            Sequence = sequence,
            HalfOpen = [.. s.HalfOpen.Select(h => h.State == HalfOpenState.SynSent ? h with { Suspects = [suspect] } : h)],
            Resets = [new ResetRow(active, 4, active.Wall.AddMilliseconds(300)), new ResetRow(passive, 1, passive.Wall),
                new ResetRow(other, 1, other.Wall)],
            ResetStacks =
            [
                new ResetStackRow(ResetDirection.Sent, ResetKind.Active, active.Reason, active.Stack, 4),
                new ResetStackRow(ResetDirection.Sent, ResetKind.Passive, passive.Reason, passive.Stack, 1),
            ],
            ResetTotals = new ResetTotals(12, 3),
            Firewall = rules,
        };
    }

    public static HostSnapshot Empty(long sequence = 1) => HostSnapshot.Empty("web01", "6.18.0", "host") with
    {
        Sequence = sequence,
        Sources = [SourceStatus.Ok("sockets", "sock_diag")],
    };

    public static ListenerRow Listener(ulong key, string local, uint acceptQ, uint? backlog, DateTimeOffset? goneAt = null,
        double? dropsPerSec = null) => new()
        {
            Key = key,
            Family = IpFamily.V4,
            Local = Ep(local),
            AcceptQueue = acceptQ,
            Backlog = backlog,
            PeakAcceptQueue = acceptQ,
            SynRecv = 0,
            GoneAt = goneAt,
            DropsPerSec = dropsPerSec,
        };

    public static HostSnapshot WithListeners(long sequence, params ListenerRow[] rows) => Empty(sequence) with
    {
        Listeners = [.. rows],
    };

    private sealed class Owners : IProcessOwners
    {
        public bool TryGet(ulong inode, out ProcessOwner? owner)
        {
            owner = inode switch
            {
                5001 => new ProcessOwner(1234, "nginx"),
                6001 => new ProcessOwner(777, "curl"),
                _ => null,
            };
            return owner is not null;
        }
    }
}
