using System.Diagnostics;
using System.Text.Json;
using NetTop.Capture.Replay;
using NetTop.Cli;
using NetTop.Modes;

namespace NetTop.Tests;

/// <summary>`nettop record DIR` and `nettop replay DIR`: the command line, and the built app run on the recorded fixture.</summary>
public sealed class RecordReplayModeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>tests/fixtures/record/scenario in the checkout (record.sh made it).</summary>
    private static string Scenario
    {
        get
        {
            for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "NetTop.sln")))
                {
                    return Path.Combine(d.FullName, "tests", "fixtures", "record", "scenario");
                }
            }
            throw new InvalidOperationException("no NetTop.sln above the test binaries");
        }
    }

    private (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        ProcessStartInfo psi = new(Path.Combine(AppContext.BaseDirectory, "nettop"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = _dir.Path,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("NETTOP_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }
        using Process p = Process.Start(psi)!;
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"nettop {string.Join(' ', args)} did not exit");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    [Fact]
    public void Record_and_replay_take_one_directory_and_their_own_options()
    {
        CommandLine r = CommandLine.Parse(["record", "/tmp/x", "--duration", "3", "--netns", "web"]);
        Assert.Equal(("record", "/tmp/x", "3"), (r.Mode, r.Argument, r.Get("--duration")));
        CommandLine p = CommandLine.Parse(["replay", "--batch", "/tmp/x", "-n", "2", "--json"]);
        Assert.Equal(("replay", "/tmp/x", "2"), (p.Mode, p.Argument, p.Get("--count")));
        Assert.True(p.Has("--batch") && p.Has("--json"));

        Assert.Contains("needs a directory", Assert.Throws<UsageException>(() => CommandLine.Parse(["replay"])).Message);
        Assert.Contains("second one", Assert.Throws<UsageException>(() => CommandLine.Parse(["replay", "a", "b"])).Message);
        Assert.Contains("--json not allowed for 'record'", Assert.Throws<UsageException>(() => CommandLine.Parse(["record", "d", "--json"])).Message);
        Assert.Contains("--netns not allowed for 'replay'", Assert.Throws<UsageException>(() => CommandLine.Parse(["replay", "d", "--netns", "x"])).Message);
        Assert.Contains("--speed not allowed for 'batch'", Assert.Throws<UsageException>(() => CommandLine.Parse(["batch", "--speed", "2"])).Message);
        Assert.Contains("--batch not allowed for the live view", Assert.Throws<UsageException>(() => CommandLine.Parse(["--batch"])).Message);
        Assert.Contains("replay", CommandLine.Usage);
        Assert.Contains("record DIR", CommandLine.Usage);
    }

    [Fact]
    public void Replay_batch_json_prints_one_snapshot_per_recorded_tick()
    {
        var r = Run("replay", Scenario, "--batch", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        using JsonDocument last = JsonDocument.Parse(lines[^1]);
        JsonElement listener = last.RootElement.GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("local").GetString() == "127.0.0.1:8080");
        Assert.Equal(2, listener.GetProperty("backlog").GetInt32());
        Assert.Equal(3, listener.GetProperty("acceptQueue").GetInt32());
        Assert.Contains(last.RootElement.GetProperty("halfOpen").EnumerateArray(),
            h => h.GetProperty("remote").GetString() == "127.0.0.1:7100" && h.GetProperty("suspects").GetArrayLength() == 1);

        var two = Run("replay", Scenario, "--batch", "-n", "2");
        Assert.Equal(0, two.ExitCode);
        Assert.Equal(2, two.Stdout.Split('\n').Count(l => l.StartsWith("NetTop ", StringComparison.Ordinal))); // two text frames
    }

    [Fact]
    public void Replay_snapshot_writes_the_snapshot_of_the_asked_tick()
    {
        string all = Run("replay", Scenario, "--batch", "--json").Stdout;
        string third = all.Split('\n', StringSplitOptions.RemoveEmptyEntries)[2];
        string file = _dir.File("tick3.json");
        var r = Run("replay", Scenario, "--snapshot", "--json", "-n", "3", "-o", file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument a = JsonDocument.Parse(File.ReadAllText(file)), b = JsonDocument.Parse(third);
        Assert.Equal(b.RootElement.GetProperty("takenAt").GetString(), a.RootElement.GetProperty("takenAt").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        var beyond = Run("replay", Scenario, "--snapshot", "--json", "-n", "99");
        Assert.Equal(2, beyond.ExitCode);
        Assert.Contains("has 5 ticks", beyond.Stderr);
    }

    [Fact]
    public void A_directory_that_is_not_a_recording_exits_2_with_the_reason()
    {
        var r = Run("replay", _dir.Path, "--batch");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not a NetTop recording", r.Stderr);
        Assert.Contains("nettop record DIR", r.Stderr);
        var tui = Run("replay", Scenario);
        Assert.Equal(2, tui.ExitCode);
        Assert.Contains("needs a terminal", tui.Stderr);
    }

    [Fact]
    public void Record_refuses_a_directory_with_files_in_it()
    {
        File.WriteAllText(_dir.File("evidence.txt"), "keep me");
        var r = Run("record", _dir.Path, "--duration", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not empty", r.Stderr);
        Assert.Equal("keep me", File.ReadAllText(_dir.File("evidence.txt")));
        Assert.Equal(2, Run("record", _dir.File("new"), "--duration", "0").ExitCode);
    }

    [Fact]
    public void Record_then_replay_of_the_own_namespace()
    {
        string dir = _dir.File("rec");
        var rec = Run("record", dir, "--duration", "1.2", "--refresh", "0.4");
        Assert.True(rec.ExitCode == 0, rec.Stderr);
        Assert.Contains("recorded", rec.Stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        using JsonDocument meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "meta.json")));
        Assert.True(meta.RootElement.GetProperty("complete").GetBoolean());
        int ticks = meta.RootElement.GetProperty("ticks").GetInt32();
        Assert.True(ticks >= 1);

        var replay = Run("replay", dir, "--batch", "--json");
        Assert.True(replay.ExitCode == 0, replay.Stderr);
        Assert.Equal(ticks, replay.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task The_player_steps_while_paused_clamps_the_speed_and_plays_to_the_end()
    {
        await using ReplayHub hub = ReplayHub.Open(Scenario);
        ReplayPlayer player = new(hub, 1);
        player.TogglePause();
        using CancellationTokenSource cts = new(TimeSpan.FromSeconds(60));
        Task run = player.RunAsync(cts.Token);
        async Task Until(Func<bool> done)
        {
            for (int i = 0; i < 400 && !done(); i++)
            {
                await Task.Delay(25);
            }
            Assert.True(done(), player.ModeText());
        }
        Assert.Null(player.Step());
        await Until(() => hub.Position == 1);
        player.Step();
        await Until(() => hub.Position == 2);
        await Task.Delay(100);
        Assert.Equal(2, hub.Position); // paused: no tick without n
        Assert.Equal("REPLAY 2/5 ×1 PAUSED", player.ModeText());
        player.SetSpeed(1000);
        Assert.Equal(ReplayPlayer.MaxSpeed, player.Speed);
        player.SetSpeed(0);
        Assert.Equal(ReplayPlayer.MinSpeed, player.Speed);
        player.SetSpeed(100);
        Assert.Contains("resumed", player.TogglePause());
        await Until(() => hub.AtEnd);
        Assert.EndsWith("END", player.ModeText());
        Assert.Equal("end of the recording", player.Step());
        await cts.CancelAsync();
        await run;
    }

    private Process StartRecord(string dir)
    {
        ProcessStartInfo psi = new(Path.Combine(AppContext.BaseDirectory, "nettop"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir.Path,
        };
        foreach (string a in (string[])["record", dir, "--refresh", "0.3"])
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    private static void WaitForTicks(string dir, Process p)
    {
        // Two ticks on disk (bounded): the tick file holds more than its header and the first frames.
        string ticks = Path.Combine(dir, "ticks.rec");
        for (int i = 0; i < 300 && !p.HasExited && (!File.Exists(ticks) || new FileInfo(ticks).Length < 4096); i++)
        {
            Thread.Sleep(50);
        }
        if (p.HasExited)
        {
            Assert.Fail($"nettop record exited {p.ExitCode}: {p.StandardError.ReadToEnd()}");
        }
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("KILL")]
    public void Record_stopped_by_a_signal_leaves_a_recording_that_replays(string signal)
    {
        string dir = _dir.File("rec");
        using Process p = StartRecord(dir);
        try
        {
            WaitForTicks(dir, p);
            using (Process kill = Process.Start("kill", ["-" + signal, p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill();
            }
        }
        using JsonDocument meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "meta.json")));
        // SIGTERM: a clean stop (exit 0, meta complete); SIGKILL: whole ticks only, meta still says it was cut short.
        Assert.Equal(signal == "TERM", meta.RootElement.GetProperty("complete").GetBoolean());
        if (signal == "TERM")
        {
            Assert.Equal(0, p.ExitCode);
        }
        var replay = Run("replay", dir, "--batch", "--json");
        Assert.True(replay.ExitCode == 0, replay.Stderr);
        string[] lines = replay.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 1);
        using JsonDocument last = JsonDocument.Parse(lines[^1]);
        JsonElement status = last.RootElement.GetProperty("sources").EnumerateArray().Single(x => x.GetProperty("name").GetString() == "replay");
        Assert.Equal(signal == "TERM" ? "ok" : "degraded", status.GetProperty("status").GetString());
    }
}
