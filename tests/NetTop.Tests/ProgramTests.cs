using System.Diagnostics;
using System.Text.Json;

namespace NetTop.Tests;

/// <summary>The built app run as a child process: exit codes, stdout/stderr, files.</summary>
public sealed class ProgramTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static ProcessStartInfo StartInfo()
    {
        string baseDir = AppContext.BaseDirectory;
        string apphost = Path.Combine(baseDir, "nettop");
        string dll = Path.Combine(baseDir, "nettop.dll");
        ProcessStartInfo psi;
        if (File.Exists(apphost) && (File.GetUnixFileMode(apphost) & UnixFileMode.UserExecute) != 0)
        {
            psi = new ProcessStartInfo(apphost);
        }
        else
        {
            Assert.True(File.Exists(dll), $"nettop.dll not found in {baseDir}");
            psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
            psi.ArgumentList.Add(dll);
        }
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        // Hermetic: no NETTOP_* settings from the environment running the tests.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("NETTOP_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }
        return psi;
    }

    private Result Run(params string[] args)
    {
        ProcessStartInfo psi = StartInfo();
        psi.WorkingDirectory = _dir.Path;
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException("could not start nettop");
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        // A guard against a hang, not a timing assertion.
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"nettop {string.Join(' ', args)} did not exit");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    [Fact]
    public void Unknown_option_exits_2_and_names_it()
    {
        Result r = Run("--bogus");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--bogus", r.Stderr);
        Assert.Contains("nettop --help", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Unknown_command_exits_2()
    {
        Result r = Run("snap");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'snap'", r.Stderr);
    }

    [Fact]
    public void Snapshot_without_a_format_exits_2()
    {
        Result r = Run("snapshot");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--json", r.Stderr);
        Assert.Contains("--text", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Snapshot_with_both_formats_exits_2()
    {
        Assert.Equal(2, Run("snapshot", "--json", "--text", "--duration", "0").ExitCode);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("3601")]
    public void Snapshot_with_a_bad_duration_exits_2(string duration)
    {
        Result r = Run("snapshot", "--json", "--duration", duration);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--duration", r.Stderr);
        Assert.Contains(duration, r.Stderr);
    }

    [Fact]
    public void Bad_configuration_exits_2()
    {
        string cfg = Path.Combine(AppContext.BaseDirectory, "fixtures", "config", "refresh-zero.json");
        Result r = Run("snapshot", "--json", "--duration", "0", "--config", cfg);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Refresh", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Help_exits_0_and_prints_usage()
    {
        Result r = Run("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("usage: nettop", r.Stdout.TrimStart());
        Assert.Contains("snapshot (--json|--text)", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Version_exits_0()
    {
        Result r = Run("--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^nettop \d+\.\d+\.\d+\s*$", r.Stdout);
    }

    [Fact]
    public void Json_snapshot_to_stdout_is_the_contract()
    {
        Result r = Run("snapshot", "--json", "--duration", "0");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement root = doc.RootElement;
        Assert.Equal("nettop.snapshot/1", root.GetProperty("schema").GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("listeners").ValueKind);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("halfOpen").ValueKind);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("sources").ValueKind);
        Assert.Equal(JsonValueKind.Object, root.GetProperty("counters").ValueKind);
        Assert.Equal("host", root.GetProperty("netns").GetString());
        Assert.EndsWith("\n", r.Stdout);
    }

    [Fact]
    public void Text_snapshot_to_a_file_is_owner_only_and_leaves_no_temp_files()
    {
        string output = _dir.File("out.txt");
        Result r = Run("snapshot", "--text", "--duration", "0", "-o", output);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.True(File.Exists(output));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(output));
        Assert.Equal(["out.txt"], _dir.Entries());
        string text = File.ReadAllText(output);
        Assert.StartsWith("NetTop ", text);
        Assert.Contains("== Listen queues (", text);
        Assert.Contains("== Half-open (", text);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Json_snapshot_overwrites_an_existing_output_file()
    {
        string output = _dir.File("snap.json");
        File.WriteAllText(output, new string('z', 1 << 20));
        Result r = Run("snapshot", "--json", "--duration", "0", "--output=" + output);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(output));
        Assert.Equal("nettop.snapshot/1", doc.RootElement.GetProperty("schema").GetString());
        Assert.Equal(["snap.json"], _dir.Entries());
    }

    [Fact]
    public void Output_into_a_missing_directory_exits_2()
    {
        Result r = Run("snapshot", "--json", "--duration", "0", "-o", "/nonexistent-dir/x.json");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("/nonexistent-dir", r.Stderr);
        Assert.False(Directory.Exists("/nonexistent-dir"));
    }

    // Bad output paths and write failures end in a clean error, never an unhandled exception.
    [Fact]
    public void Empty_output_path_exits_2()
    {
        Result r = Run("snapshot", "--json", "--duration", "0", "-o", "");
        Assert.Equal(2, r.ExitCode);
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
    }

    [Fact]
    public void Output_path_that_is_a_directory_is_a_clean_error()
    {
        Result r = Run("snapshot", "--json", "--duration", "0", "-o", _dir.Path);
        Assert.InRange(r.ExitCode, 1, 2);
        Assert.StartsWith("nettop: ", r.Stderr);
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
        Assert.Empty(_dir.Entries());
    }

    [Fact]
    public void Unwritable_output_directory_is_a_clean_error()
    {
        Result r = Run("snapshot", "--json", "--duration", "0", "-o", "/sys/nettop-test.json");
        Assert.InRange(r.ExitCode, 1, 2);
        Assert.StartsWith("nettop: ", r.Stderr);
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
    }
}
