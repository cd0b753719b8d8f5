using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
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
    public Task Tui_in_tmux_shows_full_queue_and_syn_sent_ignores_escape_and_quits_with_0_on_q() =>
        FullQueueAndSynSentAsync(Requirements.Nettop!);

    /// <summary>The same with the native build (NativeAOT), what scripts/nettop runs.</summary>
    [EndToEndFact(native: true)]
    public Task Native_tui_in_tmux_shows_full_queue_and_syn_sent_ignores_escape_and_quits_with_0_on_q() =>
        FullQueueAndSynSentAsync(Requirements.NativeNettop!);

    private async Task FullQueueAndSynSentAsync(string exe)
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

        using TmuxSession tmux = TmuxSession.Start([exe, "--netns", ns.Name, "--refresh", "0.5"]);
        try
        {
            string screen = await tmux.WaitForScreenAsync(
                s => s.Contains("Listen queues", StringComparison.Ordinal) && listenerRow.IsMatch(s) && s.Contains("SYN_SENT", StringComparison.Ordinal),
                ScreenTimeout);
            await RequireAsync(tmux, screen.Contains("Listen queues", StringComparison.Ordinal), "no \"Listen queues\" panel");
            await RequireAsync(tmux, screen.Contains("Half-open", StringComparison.Ordinal), "no \"Half-open\" panel");
            await RequireAsync(tmux, listenerRow.IsMatch(screen), $"no listener row 127.0.0.1:{p} with ACCEPTQ {acceptQ}");
            // NetTop's own terminal input is in use (TerminalApplication reaches it by reflection, which the native
            // build must have kept): otherwise the status line says the stock 20 ms poll is.
            await RequireAsync(tmux, !screen.Contains("20 ms poll", StringComparison.Ordinal), "the stock 20 ms input poll is in use");
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

    [EndToEndFact]
    public Task Tui_in_tmux_drills_into_a_syn_sent_flow_shows_its_suspect_and_saves_the_screen_and_json() =>
        DrillAndSaveAsync(Requirements.Nettop!);

    /// <summary>The same with the native build (NativeAOT), what scripts/nettop runs.</summary>
    [EndToEndFact(native: true)]
    public Task Native_tui_in_tmux_drills_into_a_syn_sent_flow_shows_its_suspect_and_saves_the_screen_and_json() =>
        DrillAndSaveAsync(Requirements.NativeNettop!);

    private async Task DrillAndSaveAsync(string exe)
    {
        using TestNamespace ns = TestNamespace.Create();
        int droppedPort = TestNamespace.RandomPort();
        string q = droppedPort.ToString(CultureInfo.InvariantCulture);
        // Nothing listens on Q and its SYNs never arrive: the only half-open row, with the DROP rule as suspect
        // once a SYN retransmit (1 s, 3 s, ...) raised the rule's counter while NetTop watched.
        ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", q, "--syn", "-j", "DROP");
        await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, droppedPort));
        string snapshotDir = Path.Combine(Path.GetTempPath(), "nettop-e2e-snap-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));

        Regex synSentRow = new($@"SYN_SENT\s+\S+\s+127\.0\.0\.1:{q}(?!\d)", RegexOptions.Multiline);
        // The detail's first line: state and both endpoints; then the suspect with the rule's own text.
        Regex detailTitle = new($@"SYN_SENT  127\.0\.0\.1:\d+ → 127\.0\.0\.1:{q}(?!\d)");
        Regex suspectRule = new($@"filter/INPUT\s+-p tcp -m tcp --dport {q} .*-j DROP");

        using TmuxSession tmux = TmuxSession.Start(
            [exe, "--netns", ns.Name, "--refresh", "0.5", "--snapshot-dir", snapshotDir]);
        try
        {
            string screen = await tmux.WaitForScreenAsync(synSentRow.IsMatch, ScreenTimeout);
            await RequireAsync(tmux, synSentRow.IsMatch(screen), $"no SYN_SENT row with remote 127.0.0.1:{q}");
            // `2` focuses Half-open, whose first (only) row is selected; Enter drills into it.
            tmux.SendKey("2");
            tmux.SendKey("Enter");
            screen = await tmux.WaitForScreenAsync(
                s => detailTitle.IsMatch(s) && s.Contains("suspects 1", StringComparison.Ordinal) && suspectRule.IsMatch(s), ScreenTimeout);
            await RequireAsync(tmux, detailTitle.IsMatch(screen), $"Enter did not open the SYN_SENT detail (state, local → 127.0.0.1:{q})");
            await RequireAsync(tmux, screen.Contains("retransmits", StringComparison.Ordinal), "the detail has no retransmit count");
            await RequireAsync(tmux, screen.Contains("suspects 1", StringComparison.Ordinal) && suspectRule.IsMatch(screen),
                $"the detail does not name the DROP rule for --dport {q} as its suspect");

            // The detail does not take `s` (a main-screen key): back with Esc, freeze, save.
            tmux.SendKey("Escape");
            screen = await tmux.WaitForScreenAsync(s => !detailTitle.IsMatch(s) && s.Contains("Listen queues", StringComparison.Ordinal), ScreenTimeout);
            await RequireAsync(tmux, !detailTitle.IsMatch(screen), "Escape did not close the detail");
            tmux.SendKey("p");
            string frozen = await tmux.WaitForScreenAsync(s => s.Contains("PAUSED", StringComparison.Ordinal), ScreenTimeout);
            await RequireAsync(tmux, frozen.Contains("PAUSED", StringComparison.Ordinal), "`p` did not freeze the screen");
            tmux.SendKey("s");
            screen = await tmux.WaitForScreenAsync(s => s.Contains("saved " + snapshotDir, StringComparison.Ordinal), ScreenTimeout);
            await RequireAsync(tmux, screen.Contains("saved " + snapshotDir, StringComparison.Ordinal), $"`s` did not say it saved into {snapshotDir}");

            string[] txt = Directory.Exists(snapshotDir) ? Directory.GetFiles(snapshotDir, "nettop-*.txt") : [];
            string[] json = Directory.Exists(snapshotDir) ? Directory.GetFiles(snapshotDir, "nettop-*.json") : [];
            await RequireAsync(tmux, txt.Length == 1 && json.Length == 1,
                $"expected one .txt and one .json in {snapshotDir}, found: {string.Join(", ", txt.Concat(json).Select(Path.GetFileName))}");
            Assert.Equal(Path.ChangeExtension(txt[0], null), Path.ChangeExtension(json[0], null));
            foreach (string f in (string[])[txt[0], json[0]])
            {
                Assert.True(File.GetUnixFileMode(f) == (UnixFileMode.UserRead | UnixFileMode.UserWrite),
                    $"{f} has mode {File.GetUnixFileMode(f)}, expected 0600");
            }

            // The .txt starts with the screen as drawn: on the frozen screen every line but the status line (which
            // then took the "saved" note) is the same in the file and in the terminal.
            string[] fileLines = File.ReadAllText(txt[0]).Split('\n');
            string[] shown = frozen.Split('\n');
            Assert.True(fileLines.Length > TmuxSession.Height, $"{txt[0]} is shorter than one screen");
            for (int row = 0; row < TmuxSession.Height - 1; row++)
            {
                Assert.True(fileLines[row].TrimEnd() == shown[row].TrimEnd(),
                    $"line {row + 1} of {txt[0]} differs from the screen:\nfile:   {fileLines[row].TrimEnd()}\nscreen: {shown[row].TrimEnd()}");
            }
            Assert.Contains($"netns {ns.Name}", fileLines[0], StringComparison.Ordinal);
            Assert.Contains(fileLines, l => synSentRow.IsMatch(l));

            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(json[0]));
            Assert.Equal("nettop.snapshot/1", doc.RootElement.GetProperty("schema").GetString());
            Assert.Equal(ns.Name, doc.RootElement.GetProperty("netns").GetString());
            JsonElement[] flows = doc.RootElement.GetProperty("halfOpen").EnumerateArray()
                .Where(h => h.GetProperty("state").GetString() == "SYN_SENT" && h.GetProperty("remote").GetString() == $"127.0.0.1:{q}")
                .ToArray();
            Assert.True(flows.Length == 1, $"{flows.Length} SYN_SENT flows to 127.0.0.1:{q} in {json[0]}, expected 1");
            JsonElement suspect = Assert.Single(flows[0].GetProperty("suspects").EnumerateArray());
            string rule = suspect.GetProperty("rule").GetString() ?? "";
            Assert.True(rule.Contains($"--dport {q}", StringComparison.Ordinal) && rule.Contains("-j DROP", StringComparison.Ordinal),
                $"the suspect's rule is '{rule}', expected the DROP rule for --dport {q}");
            Assert.True(suspect.GetProperty("packetsDelta").GetInt64() > 0, $"suspect packetsDelta {suspect.GetProperty("packetsDelta")}, expected > 0");

            tmux.SendKey("q");
            PaneExit exit = await tmux.WaitForExitAsync(ExitTimeout);
            await RequireAsync(tmux, exit.Status == 0, $"after `q` the app {exit}, expected exit status 0");
        }
        finally
        {
            output.WriteLine($"tmux session {tmux.Name}, netns {ns.Name}, dropped SYNs to 127.0.0.1:{q}, snapshots in {snapshotDir}; last screen:");
            output.WriteLine(tmux.LastScreen);
            if (Directory.Exists(snapshotDir))
            {
                Directory.Delete(snapshotDir, recursive: true);
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
    /// <param name="native">Runs the native build (artifacts/&lt;rid&gt;/nettop) instead of the JIT build.</param>
    public EndToEndFactAttribute(bool native = false)
    {
        Skip = Requirements.Root(["ip", "iptables", "tmux"]) ?? (native ? Requirements.NativeNettopMissing : Requirements.NettopMissing);
    }
}
