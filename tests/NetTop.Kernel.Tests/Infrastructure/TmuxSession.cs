using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace NetTop.Kernel.Tests.Infrastructure;

/// <summary>
/// A detached tmux session (`nettop-e2e-&lt;hex&gt;`, 120x40) running one program in its only pane, for driving a
/// TUI the way a user's terminal would. remain-on-exit is set in the same tmux invocation that creates the
/// session (`new-session ... ; set-option ...`: the server runs both before it handles the child's exit), so
/// the pane stays readable however quickly the program ends (its exit status: <see cref="WaitForExitAsync"/>).
/// The program gets the tmux server's environment, not the test's. Dispose kills the session,
/// also when the test failed. Every tmux call is an argv with a timeout (<see cref="Command"/>), never a shell.
/// </summary>
internal sealed class TmuxSession : IDisposable
{
    public const string Prefix = "nettop-e2e-";
    public const int Width = 120;
    public const int Height = 40;

    private bool _disposed;

    private TmuxSession(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>The session's active pane, matched by exact name (`=NAME:`), never by prefix.</summary>
    private string Target => $"={Name}:";

    /// <summary>How many times <see cref="WaitForExitAsync"/> had to nudge the server for an exit status (see there).</summary>
    public int ServerNudges { get; private set; }

    /// <summary>The last screen <see cref="Capture"/> returned ("" before the first), for failure messages.</summary>
    public string LastScreen { get; private set; } = "";

    public static TmuxSession Start(IReadOnlyList<string> argv)
    {
        string name = Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        TmuxSession session = new(name);
        CommandResult started;
        try
        {
            started = Command.Run(
            [
                "tmux", "new-session", "-d", "-s", name,
                "-x", Width.ToString(CultureInfo.InvariantCulture), "-y", Height.ToString(CultureInfo.InvariantCulture),
                "--", .. argv,
                // remain-on-exit is a pane option: the target is the new session's active pane.
                ";", "set-option", "-p", "-t", session.Target, "remain-on-exit", "on",
            ]);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        if (!started.Succeeded)
        {
            // new-session may have run before the rest failed: leave nothing behind.
            session.Dispose();
            started.EnsureSuccess();
        }
        return session;
    }

    /// <summary>The pane's visible text (`capture-pane -p`), one line per row.</summary>
    public string Capture()
    {
        LastScreen = Command.Run(["tmux", "capture-pane", "-p", "-t", Target]).EnsureSuccess().Stdout;
        return LastScreen;
    }

    /// <summary>A key by tmux name (Escape, Enter) or a single character.</summary>
    public void SendKey(string key) => Command.Run(["tmux", "send-keys", "-t", Target, key]).EnsureSuccess();

    /// <summary>
    /// Whether the program in the pane has ended and, once tmux has reaped it, how: its exit status, or the
    /// signal that killed it. Dead with neither means tmux saw the pane close but has not collected the status yet.
    /// </summary>
    public PaneExit PaneState()
    {
        string[] parts = Command.Run(["tmux", "display-message", "-p", "-t", Target, "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}|#{pid}"])
            .EnsureSuccess().Stdout.Trim().Split('|');
        return new PaneExit(
            Dead: parts[0] == "1",
            Status: parts.Length > 1 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int status) ? status : null,
            Signal: parts.Length > 2 && int.TryParse(parts[2], CultureInfo.InvariantCulture, out int signal) ? signal : null,
            ServerPid: parts.Length > 3 && int.TryParse(parts[3], CultureInfo.InvariantCulture, out int pid) ? pid : null);
    }

    /// <summary>
    /// Captures the screen until <paramref name="done"/> holds, the program ends, or the deadline passes
    /// (bounded in count and time); returns the last screen either way, for the caller to assert on.
    /// </summary>
    public async Task<string> WaitForScreenAsync(Func<string, bool> done, TimeSpan timeout, TimeSpan? interval = null)
    {
        TimeSpan step = interval ?? TimeSpan.FromMilliseconds(250);
        int maxCaptures = (int)Math.Ceiling(timeout / step) + 1;
        long start = Stopwatch.GetTimestamp();
        string screen = Capture();
        for (int i = 1; i < maxCaptures && !done(screen) && Stopwatch.GetElapsedTime(start) < timeout; i++)
        {
            if (PaneState().Dead)
            {
                break; // nothing more will be drawn
            }
            await Task.Delay(step);
            screen = Capture();
        }
        return screen;
    }

    /// <summary>
    /// Reads the pane state until the program has ended and tmux has its exit status (or signal), or the deadline
    /// passes; returns the last state.
    /// </summary>
    /// <remarks>
    /// Debian's tmux 3.3a (built with libutempter) loses the SIGCHLD of a pane's program now and then: utempter
    /// swaps in its own SIGCHLD handler while it removes the utmp record of the closing pane, which is exactly
    /// when the program exits (tmux/tmux#311, #4559). The pane is then dead with its program an unreaped zombie
    /// and no status, for good. A SIGCHLD sent to the server makes it run its waitpid loop and collect the
    /// status; it has no other effect (pid from #{pid}, the server this session lives in).
    /// </remarks>
    public async Task<PaneExit> WaitForExitAsync(TimeSpan timeout)
    {
        TimeSpan step = TimeSpan.FromMilliseconds(100);
        int maxChecks = (int)Math.Ceiling(timeout / step) + 1;
        long start = Stopwatch.GetTimestamp();
        PaneExit state = PaneState();
        bool deadWithoutStatus = false;
        for (int i = 1; i < maxChecks && !state.Reaped && Stopwatch.GetElapsedTime(start) < timeout; i++)
        {
            // The pane closing and the SIGCHLD are separate events: give tmux one step before calling it lost.
            if (state.Dead && deadWithoutStatus && state.ServerPid is { } server)
            {
                NudgeServer(server);
                ServerNudges++;
            }
            deadWithoutStatus = state.Dead;
            await Task.Delay(step);
            state = PaneState();
        }
        return state;
    }

    private const int SIGCHLD = 17; // Linux (x86, arm)

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    private static void NudgeServer(int serverPid) => _ = SysKill(serverPid, SIGCHLD); // best effort: the next read tells

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            // Killing the pane's process group (SIGHUP) ends the program if it is still running.
            if (!Command.Run(["tmux", "kill-session", "-t", $"={Name}"]).Succeeded && Exists())
            {
                Console.Error.WriteLine($"warning: could not kill tmux session {Name}; remove it with `tmux kill-session -t {Name}`");
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"warning: killing tmux session {Name} failed ({e.Message}); remove it with `tmux kill-session -t {Name}`");
        }
    }

    private bool Exists()
    {
        try
        {
            return Command.Run(["tmux", "has-session", "-t", $"={Name}"]).Succeeded;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public override string ToString() => Name;
}

/// <summary>A tmux pane's program: running, or dead with its exit status or signal once tmux has reaped it.</summary>
internal readonly record struct PaneExit(bool Dead, int? Status, int? Signal, int? ServerPid)
{
    public bool Reaped => Dead && (Status is not null || Signal is not null);

    public override string ToString() =>
        !Dead ? "running"
        : Status is { } s ? $"exited with status {s.ToString(CultureInfo.InvariantCulture)}"
        : Signal is { } g ? $"killed by signal {g.ToString(CultureInfo.InvariantCulture)}"
        : "dead, exit status not collected by tmux";
}
