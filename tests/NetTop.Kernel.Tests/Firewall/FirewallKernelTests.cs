using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetTop.Capture;
using NetTop.Capture.Firewall;
using NetTop.Capture.Namespaces;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Firewall;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;

namespace NetTop.Kernel.Tests.Firewall;

/// <summary>The firewall source, the suspect finder and the flow tracer against real rules in private namespaces.</summary>
public sealed class FirewallKernelTests
{
    private static readonly TimeSpan PollLimit = TimeSpan.FromSeconds(20);

    internal sealed class Env : IDisposable
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public Env(FirewallSourceOptions? options = null)
        {
            Ns = TestNamespace.Create();
            try
            {
                Thread = NetnsThread.Start($"fw-{Ns.Name}", NetnsTarget.Resolve(Ns.Name));
            }
            catch
            {
                Ns.Dispose();
                throw;
            }
            Source = new FirewallSource(Thread, () => _clock.Elapsed, options);
        }

        public TestNamespace Ns { get; }
        public NetnsThread Thread { get; }
        public FirewallSource Source { get; }
        public FirewallTracker Tracker { get; } = new();

        public async Task<(FirewallSample Sample, ImmutableArray<FirewallRow> Rows)> PollAsync()
        {
            FirewallSample s = await Source.PollAsync().WaitAsync(PollLimit);
            return (s, Tracker.Update(s));
        }

        /// <summary>A client socket made in the namespace, bound to <paramref name="localPort"/> (0: any), connecting without blocking.</summary>
        public Task<Socket> ConnectAsync(IPEndPoint remote, int localPort = 0) => Thread.InvokeAsync(() =>
        {
            Socket s = new(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                s.Bind(new IPEndPoint(remote.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, localPort));
                try
                {
                    s.Connect(remote);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                {
                }
                return s;
            }
            catch
            {
                s.Dispose();
                throw;
            }
        }).WaitAsync(TimeSpan.FromSeconds(10));

        public string Save(string tool = "iptables-save", params string[] args) => Ns.Run([tool, .. args]).Stdout;

        public void Dispose()
        {
            Source.Dispose();
            Thread.Dispose();
            Ns.Dispose();
        }
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Dump(ImmutableArray<FirewallRow> rows) =>
        string.Join('\n', rows.Select(r => $"{r.Id} [{r.Packets}] {r.Rule.Rule} pps={r.PacketsPerSec}"));

    [RootFact("iptables")]
    public async Task The_1060_drop_rule_is_hot_on_the_second_poll_and_the_suspect_of_the_syn_sent_flow()
    {
        using Env env = new();
        const int port = 1060;
        env.Ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", P(port), "-j", "DROP");
        await using CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = env.Ns.Name });

        (FirewallSample first, ImmutableArray<FirewallRow> firstRows) = await env.PollAsync();
        // Only this namespace's ruleset: the tools ran inside it (forked from its thread), not on the host.
        FirewallRule rule = Assert.Single(first.Rules);
        Assert.Equal("-p tcp -m tcp --dport 1060 -j DROP", rule.Rule);
        Assert.Equal(FirewallBackends.NfTables, first.Backend);
        Assert.Equal("firewall", env.Source.Name);

        using Socket client = await env.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        HostSnapshot snap = await hub.RefreshUntilAsync(s => s.HalfOpenTo(HalfOpenState.SynSent, port).Count == 1);
        HalfOpenRow half = Assert.Single(snap.HalfOpenTo(HalfOpenState.SynSent, port));

        // The SYN retransmits after 1 s: poll until the rule counted one while the flow waited, bounded.
        ImmutableArray<FirewallRow> rows = firstRows;
        Stopwatch sw = Stopwatch.StartNew();
        for (int i = 0; i < 40 && sw.Elapsed < TimeSpan.FromSeconds(8); i++)
        {
            await Task.Delay(300);
            (_, rows) = await env.PollAsync();
            if (rows[0].PacketsPerSec is > 0)
            {
                break;
            }
        }
        FirewallRow row = Assert.Single(rows);
        Assert.True(row.PacketsPerSec is > 0, $"packets/s of the DROP rule stayed at {row.PacketsPerSec}:\n{Dump(rows)}");
        Assert.Equal(rule.Key, row.Key);
        Assert.Equal(SourceStatusOk, env.Source.Status.Health);

        HalfOpenFlow flow = new(half.Local, half.Remote, half.State);
        ImmutableArray<Suspect> suspects = SuspectFinder.Find(flow, rows, firstRows);
        Suspect s = Assert.Single(suspects);
        Assert.Equal(row.Id, s.Id);
        Assert.Equal(rule.Rule, s.Rule);
        Assert.True(s.PacketsDelta >= 1, $"delta {s.PacketsDelta}");
    }

    private const Model.SourceHealth SourceStatusOk = Model.SourceHealth.Ok;

    [RootFact("iptables")]
    public async Task A_reject_with_tcp_reset_rule_counts_the_connect_it_refuses()
    {
        using Env env = new();
        int port = TestNamespace.RandomPort();
        env.Ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", P(port), "-j", "REJECT", "--reject-with", "tcp-reset");
        (_, ImmutableArray<FirewallRow> before) = await env.PollAsync();
        FirewallRow b = Assert.Single(before);
        Assert.Equal("REJECT", b.Target);
        Assert.Equal("--reject-with tcp-reset", b.Rule.TargetArgs);
        Assert.Equal(0UL, b.Packets);

        using Socket client = await env.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        // The RST arrives at once: the non-blocking connect fails with ECONNREFUSED.
        SocketError error = SocketError.Success;
        for (int i = 0; i < 50 && error == SocketError.Success; i++)
        {
            await Task.Delay(50);
            error = (SocketError)(int)client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        }
        Assert.Equal(SocketError.ConnectionRefused, error);

        (_, ImmutableArray<FirewallRow> after) = await env.PollAsync();
        FirewallRow a = Assert.Single(after);
        Assert.Equal(b.Key, a.Key);
        Assert.True(a.Packets >= 1, $"the REJECT rule counted {a.Packets} packets:\n{Dump(after)}");
        Assert.True(a.PacketsPerSec is > 0);
    }

    [RootFact("iptables", "nft")]
    public async Task Native_nft_rules_are_read_and_iptables_nft_tables_are_not_read_twice()
    {
        using Env env = new();
        env.Ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", "2000", "-j", "ACCEPT");
        env.Ns.Run("nft", "add", "table", "inet", "nt_native");
        env.Ns.Run("nft", "add", "chain", "inet", "nt_native", "in", "{ type filter hook input priority 10; policy accept; }");
        env.Ns.Run("nft", "add", "rule", "inet", "nt_native", "in", "tcp", "dport", "2001", "counter", "drop", "comment", "\"native 2001\"");
        using Socket client = await env.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 2001));

        (FirewallSample s, _) = await env.PollAsync();
        Assert.Equal("nf_tables+nft", s.Backend);
        Assert.Equal(2, s.Rules.Length);
        FirewallRule native = Assert.Single(s.Rules, r => r.Backend == FirewallBackends.Nft);
        Assert.Equal("tcp dport 2001 counter drop comment \"native 2001\"", native.Rule);
        Assert.Equal("input", native.Hook);
        Assert.True(native.Packets >= 1);
        Assert.Single(s.Rules, r => r.Backend == FirewallBackends.NfTables);
    }

    [RootFact("iptables", "iptables-legacy")]
    public async Task Legacy_rules_are_read_next_to_nf_tables_rules()
    {
        using Env env = new();
        env.Ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", "2002", "-j", "ACCEPT");
        env.Ns.Run("iptables-legacy", "-w", "5", "-A", "OUTPUT", "-p", "tcp", "--dport", "2003", "-m", "comment", "--comment", "legacy one", "-j", "ACCEPT");
        (FirewallSample s, _) = await env.PollAsync();
        Assert.Equal("legacy+nf_tables", s.Backend);
        FirewallRule legacy = Assert.Single(s.Rules, r => r.Backend == FirewallBackends.Legacy);
        Assert.Equal("legacy one", legacy.Comment);
        Assert.StartsWith("legacy:ipv4/filter/OUTPUT/1/", legacy.Id);
        Assert.Single(s.Rules, r => r.Backend == FirewallBackends.NfTables);
    }

    [RootFact("iptables", "xtables-monitor")]
    public async Task Tracing_a_flow_shows_its_syn_path_to_the_drop_and_removes_the_rules_on_dispose()
    {
        using Env env = new();
        int port = TestNamespace.RandomPort(), sport = port + 1;
        env.Ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", P(port), "-j", "DROP");
        NetEndpoint local = NetEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, sport));
        NetEndpoint remote = NetEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, port));

        string id;
        await using (FlowTracer tracer = await FlowTracer.StartAsync(env.Thread, local, remote).WaitAsync(TimeSpan.FromSeconds(20)))
        {
            id = tracer.TraceId;
            Assert.Equal(TraceMode.Iptables, tracer.Mode);
            Assert.Equal("xtables-monitor", tracer.Monitor);
            string raw = env.Save("iptables-save", "-t", "raw");
            Assert.Equal(4, CountOf(raw, $"--comment \"nettop-trace {id}\" -j TRACE"));

            using Socket client = await env.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), sport);
            ImmutableArray<TracePacket> packets = [];
            for (int i = 0; i < 50; i++)
            {
                await Task.Delay(100);
                packets = tracer.Packets;
                if (packets.Any(p => p.Verdict == "DROP"))
                {
                    break;
                }
            }
            string all = string.Join('\n', packets.Select(p => $"{p.TraceId} {p.Packet}\n  {p.Path}"));
            TracePacket dropped = packets.FirstOrDefault(p => p.Verdict == "DROP")
                ?? throw new Xunit.Sdk.XunitException($"no traced pass ended in DROP:\n{all}\nstatus: {tracer.Status.DetailWithFix}");
            Assert.Contains($"SPORT={sport} DPORT={port} SYN", dropped.Packet);
            TraceEvent last = dropped.Events[^1];
            Assert.Equal(("filter", "INPUT"), (last.Table, last.Chain));
            Assert.StartsWith("rule 0x", last.RuleHandleOrPolicy);
            Assert.Contains($"--dport {port} -j DROP", last.RuleText);
            Assert.Contains(packets, p => p.Events.Any(e => e.Table == "raw" && e.Chain == "OUTPUT" && e.RuleText.Contains(id, StringComparison.Ordinal)));
        }
        Assert.DoesNotContain("nettop-trace", env.Save("iptables-save", "-t", "raw"));
    }

    [RootFact("iptables", "xtables-monitor", "nsenter")]
    public async Task A_tracer_outliving_its_namespace_thread_still_removes_its_rules()
    {
        using Env env = new();
        NetnsThread own = NetnsThread.Start("fw-short", NetnsTarget.Resolve(env.Ns.Name));
        FlowTracer tracer;
        try
        {
            tracer = await FlowTracer.StartAsync(own,
                NetEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 40001)),
                NetEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 40002))).WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            own.Dispose(); // the hub went first
        }
        Assert.Contains($"nettop-trace {tracer.TraceId}", env.Save("iptables-save", "-t", "raw"));
        await tracer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("nettop-trace", env.Save("iptables-save", "-t", "raw"));
        Assert.Equal(Model.SourceHealth.Ok, tracer.Status.Health);
    }

    [RootFact("ip6tables", "nft")]
    public async Task Tracing_an_ipv6_flow_uses_ip6tables_and_nft_monitor_and_cleans_up()
    {
        using Env env = new();
        int port = TestNamespace.RandomPort(), sport = port + 1;
        env.Ns.Run("ip6tables", "-w", "5", "-A", "INPUT", "-p", "tcp", "--dport", P(port), "-j", "DROP");
        NetEndpoint local = NetEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, sport));
        NetEndpoint remote = NetEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, port));

        await using (FlowTracer tracer = await FlowTracer.StartAsync(env.Thread, local, remote).WaitAsync(TimeSpan.FromSeconds(20)))
        {
            Assert.Equal("nft", tracer.Monitor);
            Assert.Equal(4, CountOf(env.Save("ip6tables-save", "-t", "raw"), $"nettop-trace {tracer.TraceId}"));
            using Socket client = await env.ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, port), sport);
            TracePacket? dropped = null;
            for (int i = 0; i < 50 && dropped is null; i++)
            {
                await Task.Delay(100);
                dropped = tracer.Packets.FirstOrDefault(p => p.Verdict == "DROP");
            }
            Assert.True(dropped is not null, $"no DROP pass: {string.Join("; ", tracer.Packets.Select(p => p.Path))} ({tracer.Status.DetailWithFix})");
            Assert.Equal(("filter", "INPUT"), (dropped.Events[^1].Table, dropped.Events[^1].Chain));
        }
        Assert.DoesNotContain("nettop-trace", env.Save("ip6tables-save", "-t", "raw"));
    }

    [RootFact("iptables", "ip6tables", "nft")]
    public async Task Cleanup_removes_trace_rules_a_killed_process_left_behind()
    {
        using Env env = new();
        // What a SIGKILLed NetTop leaves: its raw TRACE rules (both families) and a native trace table; plus a
        // rule that is not NetTop's, which must stay.
        env.Ns.Run("iptables", "-w", "5", "-t", "raw", "-I", "OUTPUT", "1", "-p", "tcp", "-s", "127.0.0.1", "-d", "127.0.0.1", "--sport", "1", "--dport", "2",
            "-m", "comment", "--comment", "nettop-trace dead0001", "-j", "TRACE");
        env.Ns.Run("iptables", "-w", "5", "-t", "raw", "-I", "PREROUTING", "1", "-p", "tcp", "-m", "comment", "--comment", "nettop-trace dead0001", "-j", "TRACE");
        env.Ns.Run("ip6tables", "-w", "5", "-t", "raw", "-I", "OUTPUT", "1", "-p", "tcp", "--dport", "2", "-m", "comment", "--comment", "nettop-trace dead0001", "-j", "TRACE");
        env.Ns.Run("iptables", "-w", "5", "-t", "raw", "-A", "OUTPUT", "-p", "tcp", "--dport", "9", "-m", "comment", "--comment", "someone else's \"trace\"", "-j", "TRACE");
        env.Ns.Run("nft", "add", "table", "inet", "nettop_trace_dead0001");

        CleanupResult r = await FlowTracer.CleanupAsync(env.Thread).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(r.Errors);
        Assert.Equal(4, r.Removed);
        string raw4 = env.Save("iptables-save", "-t", "raw"), raw6 = env.Save("ip6tables-save", "-t", "raw");
        Assert.DoesNotContain("nettop-trace", raw4 + raw6);
        Assert.Contains("someone else", raw4);
        Assert.DoesNotContain("nettop_trace", env.Ns.Run("nft", "list", "tables").Stdout);
        Assert.Equal(0, (await FlowTracer.CleanupAsync(env.Thread)).Removed);
    }

    private static int CountOf(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal))
        {
            n++;
        }
        return n;
    }
}
