using System.Diagnostics;

namespace NetTop.Kernel.Tests.Infrastructure;

/// <summary>What a finished child process left behind.</summary>
internal sealed record CommandResult(IReadOnlyList<string> Argv, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public CommandResult EnsureSuccess() => Succeeded ? this : throw new InvalidOperationException(ToString());

    public override string ToString() =>
        $"`{string.Join(' ', Argv)}` exited {ExitCode}; stderr: {Stderr.Trim()}; stdout: {Truncate(Stdout.Trim(), 2000)}";

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}

/// <summary>
/// Runs a command from an argv (ProcessStartInfo.ArgumentList, never a shell string) with a hard timeout:
/// on expiry the child (and anything it started) is killed by its pid and the call throws.
/// </summary>
internal static class Command
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static CommandResult Run(IReadOnlyList<string> argv, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        // Resolve like Requirements did (root's sbin may be missing from the test host's PATH).
        string file = argv[0].Contains('/') ? argv[0] : Requirements.FindOnPath(argv[0]) ?? argv[0];
        ProcessStartInfo psi = new(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "/",
        };
        foreach (string a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        // The app reads NETTOP_* overrides; a developer's environment must not change what the tests see.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("NETTOP_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        using Process p = StartRetryingTextBusy(psi);
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        TimeSpan limit = timeout ?? DefaultTimeout;
        if (!p.WaitForExit(limit))
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // exited meanwhile
            }
            p.WaitForExit(TimeSpan.FromSeconds(5));
            throw new TimeoutException($"`{string.Join(' ', argv)}` did not exit within {limit.TotalSeconds} s and was killed");
        }
        p.WaitForExit(); // flushes the redirected streams
        return new CommandResult(argv, p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private const int ETXTBSY = 26;

    /// <summary>
    /// Process.Start, retried (bounded: 50 tries, 20 ms apart) while exec fails with ETXTBSY. A test that copies a binary
    /// and then runs it (NativeBinaryTests, CapabilityRunTests) races every other test's fork: a child forked while the
    /// copy's write descriptor was open holds an inherited copy of it until that child execs (O_CLOEXEC closes it only
    /// then), and exec of a file open for writing fails. CI hit it once; the window is a fork-to-exec, so a retry clears it.
    /// </summary>
    private static Process StartRetryingTextBusy(ProcessStartInfo psi)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
            }
            catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == ETXTBSY && attempt < 50)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>The same off the test's thread, for commands that take a while (the app under test).</summary>
    public static Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan? timeout = null, string? workingDirectory = null) =>
        Task.Run(() => Run(argv, timeout, workingDirectory));
}
