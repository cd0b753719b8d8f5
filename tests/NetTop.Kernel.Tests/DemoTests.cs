using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using NetTop.Capture.Namespaces;
using NetTop.Kernel.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NetTop.Kernel.Tests;

/// <summary>
/// `nettop --demo` as a newcomer runs it (the built binary, headless through `batch --json`): every panel alive
/// from the demo's own namespace, and nothing of it left afterwards, whether it ends by itself, by q, SIGINT or SIGTERM.
/// </summary>
public sealed class DemoTests(ITestOutputHelper output)
{
    private const string Prefix = "nettop-demo-";
    /// <summary>dotnet start-up, namespace and rules set-up, then -n ticks of 1 s on a shared 2-core machine; only catches a hang.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    // The demo's scenario ports (src/NetTop/Demo/DemoScenarios.cs; README and nettop.1 name them too).
    private const string Overflowing = "127.0.0.1:8080";
    private const string DroppedSyn = "127.0.0.1:5432";
    private const string DroppedAck = "127.0.0.1:9090";
    private const string HotRulePort = "--dport 8125";

    [DemoFact]
    public async Task Batch_demo_shows_every_panel_alive_then_removes_its_namespace_and_a_dead_demos_leftover()
    {
        // A namespace a SIGKILLed demo would leave: its pid (above pid_max) cannot be alive.
        int deadPid = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), CultureInfo.InvariantCulture) + 1;
        string leftover = Prefix + deadPid.ToString(CultureInfo.InvariantCulture);
        Command.Run(["ip", "netns", "add", leftover]).EnsureSuccess();
        try
        {
            // 15 ticks of 1 s: the SYN_SENT client's first retransmits (1 s, 3 s) raise the DROP rule's counter.
            CommandResult r = await Command.RunAsync([Requirements.Nettop!, "batch", "--demo", "-n", "15", "--json"], RunTimeout, "/tmp");
            output.WriteLine(r.Stderr);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.True(string.IsNullOrWhiteSpace(r.Stderr), $"the demo reported problems:\n{r.Stderr}");

            List<JsonElement> frames = [.. r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
            Assert.Equal(15, frames.Count);
            string netns = frames[0].GetProperty("netns").GetString() ?? "";
            Assert.StartsWith(Prefix, netns, StringComparison.Ordinal);
            Assert.All(frames, f => Assert.Equal(netns, f.GetProperty("netns").GetString()));
            AssertPanelsAlive(frames, r.Stdout);

            Assert.False(File.Exists(Path.Combine(NetnsTarget.NetnsDir, netns)), $"{netns} still exists after the demo ended");
            Assert.False(File.Exists(Path.Combine(NetnsTarget.NetnsDir, leftover)), $"the dead demo's {leftover} was not removed at start");
            AssertNoDeadDemoNamespaces();
        }
        finally
        {
            if (File.Exists(Path.Combine(NetnsTarget.NetnsDir, leftover)))
            {
                Command.Run(["ip", "netns", "del", leftover]);
            }
        }
    }

    [DemoFact]
    public Task Sigterm_mid_run_exits_0_and_removes_the_namespace() => SignalMidRunAsync(SIGTERM);

    [DemoFact]
    public Task Sigint_mid_run_exits_0_and_removes_the_namespace() => SignalMidRunAsync(SIGINT);

    [DemoFact("tmux")]
    public async Task Live_view_demo_shows_its_namespace_and_q_removes_it()
    {
        using TmuxSession tmux = TmuxSession.Start([Requirements.Nettop!, "--demo"]);
        string netns = "";
        try
        {
            Regex header = new($@"netns ({Prefix}\d+)");
            // The overflowing listener is the first row once its queue is full; the header names the namespace.
            string screen = await tmux.WaitForScreenAsync(s => header.IsMatch(s) && s.Contains(Overflowing, StringComparison.Ordinal)
                && s.Contains("5/4", StringComparison.Ordinal), RunTimeout);
            Match m = header.Match(screen);
            Assert.True(m.Success, $"no demo namespace in the header:\n{screen}");
            netns = m.Groups[1].Value;
            Assert.True(screen.Contains("5/4", StringComparison.Ordinal), $"the overflowing listener's queue is not 5/4 (full):\n{screen}");
            Assert.True(File.Exists(Path.Combine(NetnsTarget.NetnsDir, netns)), $"{netns} does not exist while the demo runs");

            tmux.SendKey("q");
            PaneExit exit = await tmux.WaitForExitAsync(ExitTimeout);
            Assert.True(exit.Status == 0, $"after q the demo {exit}, expected exit status 0:\n{tmux.LastScreen}");
            Assert.False(File.Exists(Path.Combine(NetnsTarget.NetnsDir, netns)), $"{netns} still exists after q");
            AssertNoDeadDemoNamespaces();
        }
        finally
        {
            output.WriteLine(tmux.LastScreen);
            if (netns.Length > 0 && File.Exists(Path.Combine(NetnsTarget.NetnsDir, netns)) && tmux.PaneState().Dead)
            {
                Command.Run(["ip", "netns", "del", netns]);
            }
        }
    }

    private async Task SignalMidRunAsync(int signal)
    {
        ProcessStartInfo psi = new(Requirements.Nettop!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        foreach (string a in (string[])["batch", "--demo", "--json"])
        {
            psi.ArgumentList.Add(a);
        }
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("NETTOP_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key); // as Command does: a developer's overrides must not change the run
        }
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start nettop");
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string netns = Prefix + p.Id.ToString(CultureInfo.InvariantCulture);
        try
        {
            // Two frames: the scenarios run and NetTop watches them. stdout is drained all along (a full pipe would
            // block NetTop's write, and SIGTERM cannot interrupt a blocked write).
            List<string> frames = [];
            TaskCompletionSource twoFrames = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Task drain = Task.Run(async () =>
            {
                while (await p.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (frames)
                    {
                        frames.Add(line);
                        if (frames.Count == 2)
                        {
                            twoFrames.TrySetResult();
                        }
                    }
                }
                twoFrames.TrySetResult();
            });
            await twoFrames.Task.WaitAsync(RunTimeout);
            string second;
            lock (frames)
            {
                if (frames.Count < 2)
                {
                    Assert.Fail($"nettop ended before two frames: {stderr.Result}");
                }
                second = frames[1];
            }
            Assert.Equal(netns, JsonDocument.Parse(second).RootElement.GetProperty("netns").GetString());
            Assert.True(File.Exists(Path.Combine(NetnsTarget.NetnsDir, netns)), $"{netns} does not exist while the demo runs");
            Assert.True(ReadRules(netns).Contains("nettop demo:", StringComparison.Ordinal), $"no demo rules in {netns} while it runs");

            Assert.Equal(0, Kill(p.Id, signal));
            Assert.True(p.WaitForExit(ExitTimeout), $"nettop still running {ExitTimeout.TotalSeconds} s after signal {signal}");
            await drain.WaitAsync(ExitTimeout);
            string err = await stderr.WaitAsync(ExitTimeout);
            output.WriteLine(err);
            Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode} after signal {signal}, expected 0; stderr: {err}");
            Assert.True(string.IsNullOrWhiteSpace(err), $"the demo reported problems:\n{err}");
            Assert.False(File.Exists(Path.Combine(NetnsTarget.NetnsDir, netns)), $"{netns} still exists after signal {signal}");
            AssertNoDeadDemoNamespaces();
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            if (File.Exists(Path.Combine(NetnsTarget.NetnsDir, netns)))
            {
                Command.Run(["ip", "netns", "del", netns]);
            }
        }
    }

    [NettopFact]
    public void Demo_with_netns_is_a_usage_error()
    {
        CommandResult r = Command.Run([Requirements.Nettop!, "batch", "--demo", "--netns", "web"], workingDirectory: "/tmp");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--demo", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("--netns", r.Stderr, StringComparison.Ordinal);
    }

    [RootFact("setpriv", NeedsNettop = true)]
    public void Demo_without_root_exits_2_naming_root_and_the_capabilities()
    {
        CommandResult r = Command.Run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
             Requirements.Nettop!, "batch", "--demo", "-n", "1"], TimeSpan.FromSeconds(30), "/tmp");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("needs root", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("CAP_SYS_ADMIN", r.Stderr, StringComparison.Ordinal);
        Assert.True(string.IsNullOrWhiteSpace(r.Stdout), r.ToString());
    }

    /// <summary>Each panel shows its scenario in at least one frame (rates need two readings; resets need their source up).</summary>
    private static void AssertPanelsAlive(List<JsonElement> frames, string all)
    {
        bool fullQueue = false, dropsRising = false, overflowsRising = false, synSentSuspect = false, synRecv = false,
            sentActive = false, sentPassive = false, hotRule = false;
        foreach (JsonElement f in frames)
        {
            foreach (JsonElement l in f.GetProperty("listeners").EnumerateArray().Where(l => l.GetProperty("local").GetString() == Overflowing))
            {
                fullQueue |= l.GetProperty("backlog").ValueKind == JsonValueKind.Number
                    && l.GetProperty("acceptQueue").GetInt32() > l.GetProperty("backlog").GetInt32();
                dropsRising |= l.GetProperty("dropsPerSec") is { ValueKind: JsonValueKind.Number } d && d.GetDouble() > 0;
            }
            overflowsRising |= f.GetProperty("counters").TryGetProperty("ListenOverflows", out JsonElement o)
                && o.GetProperty("perSec") is { ValueKind: JsonValueKind.Number } ps && ps.GetDouble() > 0;
            foreach (JsonElement h in f.GetProperty("halfOpen").EnumerateArray())
            {
                string state = h.GetProperty("state").GetString() ?? "";
                if (state == "SYN_SENT" && h.GetProperty("remote").GetString() == DroppedSyn)
                {
                    synSentSuspect |= h.GetProperty("suspects").EnumerateArray().Any(s =>
                        (s.GetProperty("rule").GetString() ?? "") is { } rule && rule.Contains("--dport 5432", StringComparison.Ordinal) && rule.Contains("DROP", StringComparison.Ordinal));
                }
                synRecv |= state == "SYN_RECV" && h.GetProperty("local").GetString() == DroppedAck;
            }
            foreach (JsonElement x in f.GetProperty("resets").EnumerateArray().Where(x => x.GetProperty("direction").GetString() == "sent"))
            {
                sentActive |= x.GetProperty("kind").GetString() == "active";
                sentPassive |= x.GetProperty("kind").GetString() == "passive";
            }
            hotRule |= f.GetProperty("firewall").EnumerateArray().Any(r =>
                (r.GetProperty("rule").GetString() ?? "").Contains(HotRulePort, StringComparison.Ordinal)
                && r.GetProperty("target").GetString() == "ACCEPT"
                && r.GetProperty("packetsPerSec") is { ValueKind: JsonValueKind.Number } pps && pps.GetDouble() > 0);
        }
        string last = all.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.True(fullQueue, $"no frame with {Overflowing}'s accept queue over its backlog; last frame:\n{last}");
        Assert.True(dropsRising, $"no frame with {Overflowing}'s drops rising; last frame:\n{last}");
        Assert.True(overflowsRising, $"no frame with ListenOverflows rising; last frame:\n{last}");
        Assert.True(synSentSuspect, $"no SYN_SENT to {DroppedSyn} with the DROP rule as suspect; last frame:\n{last}");
        Assert.True(synRecv, $"no SYN_RECV on {DroppedAck}; last frame:\n{last}");
        Assert.True(sentActive, $"no sent active reset; last frame:\n{last}");
        Assert.True(sentPassive, $"no sent passive reset; last frame:\n{last}");
        Assert.True(hotRule, $"no ACCEPT rule for {HotRulePort} with packets/s > 0; last frame:\n{last}");
    }

    private static string ReadRules(string netns) =>
        Command.Run(["ip", "netns", "exec", netns, "iptables-save"]).EnsureSuccess().Stdout;

    /// <summary>Every nettop-demo-PID namespace left belongs to a live process (a demo another test or person runs).</summary>
    private static void AssertNoDeadDemoNamespaces()
    {
        string[] dead = Directory.Exists(NetnsTarget.NetnsDir)
            ? Directory.GetFiles(NetnsTarget.NetnsDir, Prefix + "*").Select(Path.GetFileName).OfType<string>()
                .Where(n => !int.TryParse(n.AsSpan(Prefix.Length), CultureInfo.InvariantCulture, out int pid) || !Directory.Exists($"/proc/{pid}"))
                .ToArray()
            : [];
        Assert.True(dead.Length == 0, $"demo namespaces of dead processes left: {string.Join(", ", dead)}");
    }

    private const int SIGINT = 2;
    private const int SIGTERM = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>Needs root, ip, iptables (and the named binaries), and the built app (run as root, so no world-readable build is needed).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DemoFactAttribute : FactAttribute
{
    public DemoFactAttribute(params string[] binaries)
    {
        Skip = Requirements.Root(["ip", "iptables", .. binaries]) ?? Requirements.NettopMissing;
    }
}
