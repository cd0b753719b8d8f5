using System.Diagnostics;
using System.Globalization;
using System.Net;
using NetTop.Kernel.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NetTop.Kernel.Tests.Firewall;

/// <summary>
/// The trace rules' lifetime in the real app (issue 4 item 4): the built NetTop in a tmux pane watching a private
/// namespace, an admin pressing `t` on a SYN_SENT row. The rule is in the namespace's ruleset while the trace view is
/// open, gone when the view closes (Esc), and gone after SIGTERM to a NetTop that is tracing.
/// </summary>
public sealed class TraceLifetimeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ScreenTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RuleTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    [EndToEndFact]
    public async Task The_trace_rule_exists_while_tracing_and_is_gone_after_the_view_closes_and_after_sigterm()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        string q = port.ToString(CultureInfo.InvariantCulture);
        ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", q, "--syn", "-j", "DROP");
        await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port));

        using TmuxSession tmux = TmuxSession.Start([Requirements.Nettop!, "--netns", ns.Name, "--refresh", "0.5"]);
        try
        {
            string screen = await tmux.WaitForScreenAsync(s => s.Contains($"127.0.0.1:{q}", StringComparison.Ordinal), ScreenTimeout);
            Require(screen.Contains($"127.0.0.1:{q}", StringComparison.Ordinal), $"no SYN_SENT row to 127.0.0.1:{q}", tmux);
            Assert.Equal("", TraceRules(ns)); // nothing of NetTop's before `t`

            // 1. `t` on the row: the rule appears; Esc closes the view: the rule goes, NetTop keeps running.
            await StartTraceAsync(tmux, ns);
            tmux.SendKey("Escape");
            string left = await WaitForRulesAsync(ns, rules => rules.Length == 0);
            Require(left.Length == 0, $"after Esc closed the trace view these remain:\n{left}", tmux);
            Require(!tmux.PaneState().Dead, "NetTop ended when the trace view closed", tmux);

            // 2. `t` again, then SIGTERM to the NetTop process while it traces.
            await StartTraceAsync(tmux, ns);
            int pid = PanePid(tmux);
            string comm = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim();
            Require(comm == "nettop", $"the pane's process {pid} is '{comm}', not nettop", tmux);
            Command.Run(["kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture)]).EnsureSuccess();
            PaneExit exit = await tmux.WaitForExitAsync(ExitTimeout);
            Require(exit.Dead, $"NetTop was still running {ExitTimeout.TotalSeconds} s after SIGTERM", tmux);
            Require(exit.Signal is null, $"NetTop {exit} on SIGTERM instead of ending on its own", tmux);
            left = TraceRules(ns);
            Require(left.Length == 0, $"after SIGTERM these remain in {ns.Name}:\n{left}", tmux);
            // The rule under test is NetTop's only: the admin's DROP rule is untouched.
            Assert.Contains($"--dport {q}", ns.Run("iptables-save", "-t", "filter").Stdout, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine($"tmux session {tmux.Name}, netns {ns.Name}, dropped SYNs to 127.0.0.1:{q}; last screen:");
            output.WriteLine(tmux.LastScreen);
        }
    }

    [EndToEndFact]
    public async Task Closing_the_terminal_while_tracing_leaves_no_trace_rule()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        string q = port.ToString(CultureInfo.InvariantCulture);
        ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", q, "--syn", "-j", "DROP");
        await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, port));

        using TmuxSession tmux = TmuxSession.Start([Requirements.Nettop!, "--netns", ns.Name, "--refresh", "0.5"]);
        int pid = 0;
        try
        {
            string screen = await tmux.WaitForScreenAsync(s => s.Contains($"127.0.0.1:{q}", StringComparison.Ordinal), ScreenTimeout);
            Require(screen.Contains($"127.0.0.1:{q}", StringComparison.Ordinal), $"no SYN_SENT row to 127.0.0.1:{q}", tmux);
            await StartTraceAsync(tmux, ns);
            pid = PanePid(tmux);
            // The terminal goes away (an ssh session dropped): tmux hangs up the pane, NetTop gets SIGHUP.
            Command.Run(["tmux", "kill-session", "-t", $"={tmux.Name}"]).EnsureSuccess();
            Stopwatch sw = Stopwatch.StartNew();
            string proc = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}";
            while (Directory.Exists(proc) && sw.Elapsed < ExitTimeout)
            {
                await Task.Delay(100);
            }
            Assert.False(Directory.Exists(proc), $"NetTop ({pid}) was still running {ExitTimeout.TotalSeconds} s after its terminal closed");
            string left = TraceRules(ns);
            Assert.True(left.Length == 0, $"after the hang-up these remain in {ns.Name}:\n{left}");
        }
        finally
        {
            output.WriteLine($"tmux session {tmux.Name}, netns {ns.Name}, nettop pid {pid}; last screen:");
            output.WriteLine(tmux.LastScreen);
        }
    }

    /// <summary>Focuses the Half-open panel, presses `t` and waits until the namespace holds the trace rule.</summary>
    private static async Task StartTraceAsync(TmuxSession tmux, TestNamespace ns)
    {
        tmux.SendKey("2");
        tmux.SendKey("t");
        string rules = await WaitForRulesAsync(ns, r => r.Contains("-j TRACE", StringComparison.Ordinal) || r.Contains("nftrace", StringComparison.Ordinal));
        Require(rules.Length > 0, "no nettop-trace rule in the namespace after `t`", tmux);
        // The trace is for exactly this flow: both ends of the 4-tuple are in the rule.
        Require(rules.Contains("127.0.0.1", StringComparison.Ordinal), $"the trace rules do not name the flow:\n{rules}", tmux);
    }

    /// <summary>Every line of the namespace's rulesets that is NetTop's (comment nettop-trace, nft table nettop_trace_*).</summary>
    private static string TraceRules(TestNamespace ns)
    {
        IEnumerable<string> lines = ns.Run("iptables-save").Stdout.Split('\n')
            .Concat(ns.Run("ip6tables-save").Stdout.Split('\n'))
            .Concat(ns.Run("nft", "list", "ruleset").Stdout.Split('\n'))
            .Where(l => l.Contains("nettop-trace", StringComparison.Ordinal) || l.Contains("nettop_trace", StringComparison.Ordinal));
        return string.Join('\n', lines);
    }

    private static async Task<string> WaitForRulesAsync(TestNamespace ns, Func<string, bool> done)
    {
        Stopwatch sw = Stopwatch.StartNew();
        string rules = TraceRules(ns);
        for (int i = 0; i < 80 && !done(rules) && sw.Elapsed < RuleTimeout; i++)
        {
            await Task.Delay(250);
            rules = TraceRules(ns);
        }
        return rules;
    }

    private static int PanePid(TmuxSession tmux) =>
        int.Parse(Command.Run(["tmux", "display-message", "-p", "-t", $"={tmux.Name}:", "#{pane_pid}"]).EnsureSuccess().Stdout.Trim(), CultureInfo.InvariantCulture);

    private static void Require(bool ok, string what, TmuxSession tmux)
    {
        if (!ok)
        {
            string screen;
            try
            {
                screen = tmux.Capture();
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                screen = tmux.LastScreen;
            }
            Assert.Fail($"{what}; screen of {tmux.Name}:\n{screen}");
        }
    }
}
