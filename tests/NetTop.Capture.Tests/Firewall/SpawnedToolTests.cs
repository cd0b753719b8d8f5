using System.ComponentModel;
using System.Text;
using NetTop.Capture.Firewall;
using NetTop.Capture.Namespaces;
using Xunit;

namespace NetTop.Capture.Tests.Firewall;

/// <summary>
/// The posix_spawn path the save tools run through on every poll: what reaches the parser, exit codes, stderr, the
/// timeout, the output cap, cancellation and a tool that does not exist. Runs /bin/sh in NetTop's own namespace (no
/// root needed); FirewallKernelTests prove the namespace and the rules through the same path.
/// </summary>
public sealed class SpawnedToolTests : IDisposable
{
    private readonly NetnsThread _thread = NetnsThread.Start("spawn-test", null);

    public void Dispose() => _thread.Dispose();

    private async Task<(CommandOutput Output, string Stdout, int Chunks)> Run(string script, TimeSpan? timeout = null,
        int max = FirewallCommand.MaxOutputChars, CancellationToken ct = default)
    {
        MemoryStream stdout = new();
        int chunks = 0;
        CommandOutput output = await SpawnedTool.RunStreamingAsync(_thread, "/bin/sh", ["-c", script], chunk =>
        {
            stdout.Write(chunk);
            chunks++;
        }, timeout ?? TimeSpan.FromSeconds(20), ct, max);
        return (output, Encoding.UTF8.GetString(stdout.ToArray()), chunks);
    }

    [Fact]
    public async Task Stdout_arrives_whole_and_stderr_and_the_exit_code_are_kept()
    {
        // 400,000 bytes in several writes, more than one read's worth; then a message on stderr and exit 3
        (CommandOutput o, string stdout, int chunks) = await Run(
            "i=0; while [ $i -lt 4000 ]; do printf '%099d\\n' $i; i=$((i+1)); done; echo 'bad thing' >&2; exit 3");
        Assert.Equal(400_000, stdout.Length);
        Assert.StartsWith(new string('0', 99) + "\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("3999\n", stdout, StringComparison.Ordinal);
        Assert.True(chunks >= 1);
        Assert.Equal(3, o.ExitCode);
        Assert.Equal("bad thing\n", o.Stderr);
        Assert.Equal("", o.Stdout);
        Assert.False(o.TimedOut);
        Assert.False(o.Truncated);
        Assert.False(o.Succeeded);
        Assert.Equal("bad thing", o.Error);
    }

    [Fact]
    public async Task The_child_gets_LC_ALL_C_the_root_directory_an_empty_stdin_and_default_signals()
    {
        // SIGPIPE is ignored in the .NET process; the tool must see it at its default (SigIgn all zero).
        (CommandOutput o, string stdout, _) = await Run(
            "echo \"$LC_ALL\"; pwd; cat; echo eof; grep -E '^(SigIgn|SigBlk)' /proc/self/status");
        Assert.Equal(0, o.ExitCode);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("C", lines[0]);
        Assert.Equal("/", lines[1]);
        Assert.Equal("eof", lines[2]);
        Assert.Contains(lines, l => l.StartsWith("SigBlk:", StringComparison.Ordinal) && l.EndsWith("0000000000000000", StringComparison.Ordinal));
        string sigIgn = lines.Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        ulong ignored = Convert.ToUInt64(sigIgn["SigIgn:".Length..].Trim(), 16);
        Assert.Equal(0UL, ignored & (1UL << (13 - 1))); // SIGPIPE
    }

    [Fact]
    public async Task A_child_killed_by_a_signal_exits_128_plus_the_signal()
    {
        (CommandOutput o, _, _) = await Run("kill -9 $$");
        Assert.Equal(128 + 9, o.ExitCode);
        Assert.False(o.TimedOut);
    }

    [Fact]
    public async Task A_child_past_its_timeout_is_killed_and_reported()
    {
        (CommandOutput o, string stdout, _) = await Run("echo started; exec sleep 30", TimeSpan.FromMilliseconds(300));
        Assert.True(o.TimedOut);
        Assert.Equal(128 + 9, o.ExitCode); // reaped: killed by SIGKILL
        Assert.Equal("started\n", stdout);
        Assert.Equal("timed out and was killed", o.Error);
    }

    [Fact]
    public async Task Output_over_the_cap_kills_the_child_and_is_reported_truncated()
    {
        (CommandOutput o, string stdout, _) = await Run("exec yes 0123456789", max: 100_000);
        Assert.True(o.Truncated);
        Assert.False(o.Succeeded);
        Assert.True(stdout.Length <= 100_000);
    }

    [Fact]
    public async Task Cancellation_kills_the_child_and_throws()
    {
        using CancellationTokenSource cts = new();
        Task run = Run("exec sleep 30", ct: cts.Token);
        await Task.Delay(100);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task A_missing_tool_throws_Win32Exception_which_CaptureIo_turns_into_exit_code_minus_1()
    {
        Win32Exception e = await Assert.ThrowsAsync<Win32Exception>(() =>
            SpawnedTool.RunStreamingAsync(_thread, "/nonexistent/iptables-save", ["-c"], _ => { }, TimeSpan.FromSeconds(5), default));
        Assert.Contains("/nonexistent/iptables-save", e.Message, StringComparison.Ordinal);
        CommandOutput o = await NetTop.Capture.Recording.CaptureIo.Kernel.RunStreamingAsync(_thread, "/nonexistent/iptables-save", ["-c"],
            _ => { }, TimeSpan.FromSeconds(5), default);
        Assert.Equal(-1, o.ExitCode);
        Assert.Contains("cannot run /nonexistent/iptables-save", o.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_consumer_that_throws_gets_its_exception_and_the_child_is_killed_and_reaped()
    {
        string pidFile = Path.Combine(Path.GetTempPath(), $"nettop-spawn-{Guid.NewGuid():N}");
        try
        {
            InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                SpawnedTool.RunStreamingAsync(_thread, "/bin/sh", ["-c", "echo $$ > \"$1\"; echo line; exec sleep 30", "sh", pidFile],
                    _ => throw new InvalidOperationException("parser failed"), TimeSpan.FromSeconds(20), default));
            Assert.Equal("parser failed", e.Message);
            string pid = File.ReadAllText(pidFile).Trim();
            Assert.False(Directory.Exists($"/proc/{pid}"), $"child {pid} still exists (running or a zombie)");
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    [Fact]
    public async Task Arguments_are_passed_as_a_list_never_through_a_shell()
    {
        MemoryStream stdout = new();
        CommandOutput o = await SpawnedTool.RunStreamingAsync(_thread, "/bin/echo", ["a b", "$(id)", "'c'; ls"], chunk => stdout.Write(chunk),
            TimeSpan.FromSeconds(5), default);
        Assert.Equal(0, o.ExitCode);
        Assert.Equal("a b $(id) 'c'; ls\n", Encoding.UTF8.GetString(stdout.ToArray()));
    }
}
