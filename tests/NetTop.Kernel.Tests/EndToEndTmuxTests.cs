using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using NetTop.Kernel.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NetTop.Kernel.Tests;

/// <summary>
/// The built app's live TUI in a real terminal (a detached 120x40 tmux pane), watching a private namespace
/// with a full accept queue and a SYN that iptables drops: what an admin would see, and how it leaves.
/// </summary>
public sealed class EndToEndTmuxTests(ITestOutputHelper output)
{
    private const int Backlog = 2;
    private const int Clients = 10;
    /// <summary>First frame after dotnet startup (2–4 s) plus a refresh or two; only catches a hang.</summary>
    private static readonly TimeSpan ScreenTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    [EndToEndFact]
    public async Task Tui_in_tmux_shows_full_queue_and_syn_sent_ignores_escape_and_quits_with_0_on_q()
    {
        using TestNamespace ns = TestNamespace.Create();
        int listenPort = TestNamespace.RandomPort();
        int droppedPort = TestNamespace.RandomPort();
        while (droppedPort == listenPort)
        {
            droppedPort = TestNamespace.RandomPort();
        }
        string p = listenPort.ToString(CultureInfo.InvariantCulture);
        string q = droppedPort.ToString(CultureInfo.InvariantCulture);

        // backlog 2, never accepting: 3 connections queue (backlog+1), the other 7 clients' SYNs are dropped.
        await ns.ListenAsync(IPAddress.Loopback, listenPort, Backlog);
        for (int i = 0; i < Clients; i++)
        {
            await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, listenPort));
        }
        // Nothing listens on Q and its SYNs never arrive: the client waits in SYN_SENT (no RST ends it).
        ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", q, "--syn", "-j", "DROP");
        await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, droppedPort));

        // The listener row: LOCAL is its first column (after the panel border), ACCEPTQ reads queue/backlog: 3/2.
        string acceptQ = $"{Backlog + 1}/{Backlog}";
        Regex listenerRow = new($@"^[^0-9A-Za-z]*127\.0\.0\.1:{p}(?!\d)\s.*(?<![\d/]){acceptQ}(?![\d/])", RegexOptions.Multiline);
        // STATE, LOCAL, REMOTE are the half-open panel's first three columns.
        Regex synSentRow = new($@"SYN_SENT\s+\S+\s+127\.0\.0\.1:{q}(?!\d)", RegexOptions.Multiline);

        using TmuxSession tmux = TmuxSession.Start([Requirements.Nettop!, "--netns", ns.Name, "--refresh", "0.5"]);
        try
        {
            string screen = await tmux.WaitForScreenAsync(
                s => s.Contains("Listen queues", StringComparison.Ordinal) && listenerRow.IsMatch(s) && s.Contains("SYN_SENT", StringComparison.Ordinal),
                ScreenTimeout);
            await RequireAsync(tmux, screen.Contains("Listen queues", StringComparison.Ordinal), "no \"Listen queues\" panel");
            await RequireAsync(tmux, screen.Contains("Half-open", StringComparison.Ordinal), "no \"Half-open\" panel");
            await RequireAsync(tmux, listenerRow.IsMatch(screen), $"no listener row 127.0.0.1:{p} with ACCEPTQ {acceptQ}");
            // Four panels share 40 rows: the queue's own SYN_SENT clients (more retransmits) sort above the one to Q.
            // An admin zooms the panel: `2` focuses Half-open, `z` gives it the screen.
            tmux.SendKey("2");
            tmux.SendKey("z");
            // Wait for the zoomed screen itself (the row may have been visible before `z` took effect).
            screen = await tmux.WaitForScreenAsync(
                s => synSentRow.IsMatch(s) && !s.Contains("Listen queues", StringComparison.Ordinal), ScreenTimeout);
            await RequireAsync(tmux, synSentRow.IsMatch(screen), $"no SYN_SENT row with remote 127.0.0.1:{q} in the zoomed Half-open panel");
            await RequireAsync(tmux, !screen.Contains("Listen queues", StringComparison.Ordinal), "`z` did not zoom the Half-open panel");
            tmux.SendKey("z");
            await RequireAsync(tmux, screen.Contains($"netns {ns.Name}", StringComparison.Ordinal), $"header does not name netns {ns.Name}");

            // Esc must not quit the main screen. Wait long enough for a lone ESC to be taken as the Esc key
            // (not the start of an escape sequence) and handled.
            tmux.SendKey("Escape");
            await Task.Delay(TimeSpan.FromSeconds(1));
            await RequireAsync(tmux, !tmux.PaneState().Dead, "the app ended after Escape");
            // Still alive and reading keys after Esc: `p` freezes the screen and the header says so.
            tmux.SendKey("p");
            screen = await tmux.WaitForScreenAsync(s => s.Contains("PAUSED", StringComparison.Ordinal), ScreenTimeout);
            await RequireAsync(tmux, screen.Contains("PAUSED", StringComparison.Ordinal), "`p` after Escape did not pause (header has no PAUSED)");

            tmux.SendKey("q");
            PaneExit exit = await tmux.WaitForExitAsync(ExitTimeout);
            await RequireAsync(tmux, exit.Dead, $"the app was still running {ExitTimeout.TotalSeconds} s after `q`");
            await RequireAsync(tmux, exit.Status == 0, $"after `q` the app {exit}, expected exit status 0");
        }
        finally
        {
            output.WriteLine($"tmux session {tmux.Name}, netns {ns.Name}, listener 127.0.0.1:{p}, dropped SYNs to 127.0.0.1:{q}; last screen:");
            output.WriteLine(tmux.LastScreen);
            if (tmux.ServerNudges > 0)
            {
                output.WriteLine($"(tmux lost the app's SIGCHLD; {tmux.ServerNudges} nudge(s) made it collect the exit status)");
            }
        }
    }

    /// <summary>Fails with the message plus what is on the terminal now (the last capture if tmux fails).</summary>
    private static async Task RequireAsync(TmuxSession tmux, bool ok, string what)
    {
        if (!ok)
        {
            Assert.Fail(await FailureAsync(what, tmux));
        }
    }

    private static async Task<string> FailureAsync(string what, TmuxSession tmux)
    {
        string screen;
        string state;
        try
        {
            screen = tmux.Capture();
            PaneExit exit = tmux.PaneState();
            if (exit is { Dead: true, Reaped: false })
            {
                exit = await tmux.WaitForExitAsync(TimeSpan.FromSeconds(1)); // collects the exit status
            }
            state = $"app {exit}";
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            screen = tmux.LastScreen;
            state = $"tmux failed: {e.Message}";
        }
        return $"{what} ({state}); screen of {tmux.Name}:\n{screen}";
    }
}

/// <summary>
/// Needs root (a namespace, iptables in it), ip, iptables and tmux on PATH, and the built app. Unlike
/// <c>NeedsNettop</c> it does not ask for a world-readable build: the app runs as root here.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class EndToEndFactAttribute : FactAttribute
{
    public EndToEndFactAttribute()
    {
        Skip = Requirements.Root(["ip", "iptables", "tmux"]) ?? Requirements.NettopMissing;
    }
}
