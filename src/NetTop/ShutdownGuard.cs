namespace NetTop;

/// <summary>
/// The last line of "nothing NetTop inserts survives its exit". A stop signal normally ends every mode through its
/// own cleanup within a second or two. But a shutdown can stall where NetTop does not control it: when the terminal
/// hangs up (a closed ssh session, `tmux kill-session`) and NetTop runs on Terminal.Gui's stock input (the fallback
/// when its polling input cannot be set up, see NetTop.Tui's TerminalApplication), that input thread spins on the
/// dead tty and the library's shutdown never returns, so the TUI's own cleanup (a trace view's rules, the demo
/// namespace) would never run. Once armed by a signal, the guard waits out a grace period;
/// if the process is still there, it runs every registered cleanup (each bounded) itself and exits.
/// </summary>
internal static class ShutdownGuard
{
    private static readonly TimeSpan s_cleanupLimit = TimeSpan.FromSeconds(10);
    private static readonly List<Func<CancellationToken, Task>> s_cleanups = [];
    private static int s_armed;

    /// <summary>Registers an idempotent cleanup to run if the normal shutdown stalls; dispose to unregister.</summary>
    public static IDisposable Register(Func<CancellationToken, Task> cleanup)
    {
        lock (s_cleanups)
        {
            s_cleanups.Add(cleanup);
        }
        return new Registration(cleanup);
    }

    /// <summary>Called from a signal handler: after <paramref name="grace"/> the cleanups run and the process exits.</summary>
    public static void Arm(TimeSpan grace, int exitCode)
    {
        if (Interlocked.Exchange(ref s_armed, 1) == 1)
        {
            return;
        }
        Thread watchdog = new(() =>
        {
            Thread.Sleep(grace);
            Func<CancellationToken, Task>[] cleanups;
            lock (s_cleanups)
            {
                cleanups = [.. s_cleanups];
            }
            foreach (Func<CancellationToken, Task> cleanup in cleanups.Reverse())
            {
                using CancellationTokenSource limit = new(s_cleanupLimit);
                try
                {
                    cleanup(limit.Token).Wait(s_cleanupLimit);
                }
                catch (Exception e) when (e is AggregateException or OperationCanceledException or IOException or InvalidOperationException)
                {
                    // best effort: the next cleanup still runs; `nettop --cleanup` and the next start sweep the rest
                }
            }
            Environment.Exit(exitCode);
        })
        { IsBackground = true, Name = "nettop-shutdown-guard" };
        watchdog.Start();
    }

    private sealed class Registration(Func<CancellationToken, Task> cleanup) : IDisposable
    {
        public void Dispose()
        {
            lock (s_cleanups)
            {
                s_cleanups.Remove(cleanup);
            }
        }
    }
}
