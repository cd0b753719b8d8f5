using NetTop.Model.Snapshot;
using NetTop.Tui.Input;
using NetTop.Tui.Themes;
using Terminal.Gui.App;
using Terminal.Gui.Views;

namespace NetTop.Tui;

/// <summary>Runs the full-screen UI until `q` or cancellation. The UI pulls snapshots; it collects nothing.</summary>
public static class TuiApp
{
    /// <summary>
    /// Loads the theme (a bad theme throws <see cref="ThemeException"/> before the terminal is touched), takes
    /// over the terminal, and shows <paramref name="latest"/>'s snapshots until `q` or <paramref name="ct"/>
    /// (SIGTERM) stops it. <paramref name="latest"/> is called on the UI thread every refresh and must be cheap:
    /// return the reference the Hub last published, or null before the first one. Returns the exit code (0).
    /// </summary>
    public static int Run(TuiOptions options, Func<HostSnapshot?> latest, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(latest);
        Theme theme = ThemeLoader.Load(options.ThemePath);
        // An input that sleeps until a key arrives instead of Terminal.Gui's 20 ms poll (TerminalApplication).
        using IApplication app = TerminalApplication.CreateAndInit(out string? inputNote, out LoopWake? wake);
        using LoopWake? _ = wake;
        // The main loop sleeps until there is work (a key, a timer, an Invoke) instead of the library's fixed sleep;
        // on the stock input it at least runs slower while nobody types (IdlePacer).
        using IdlePacer pacer = new(app, options.IdleIterationsPerSecond, options.IdleAfter, wake: wake);
        // A stop request from another thread (SIGTERM) must not wait for the sleep to end.
        using CancellationTokenRegistration wakeOnStop = ct.Register(pacer.Wake);
        return RunIn(app, options, theme, latest, ct, inputNote);
    }

    /// <summary>The part after Init, for tests that bring a headless application.</summary>
    internal static int RunIn(IApplication app, TuiOptions options, Theme theme, Func<HostSnapshot?> latest,
        CancellationToken ct, string? startNote = null)
    {
        ThemeLoader.Register(theme);
        using MainView view = new(options, theme, latest);
        if (startNote is not null)
        {
            view.SetNote(startNote); // once: the next note replaces it
        }
        object? first = null;
        object? tick = null;
        // Until the first snapshot arrives poll quickly, so the screen does not sit empty for a whole interval.
        first = app.AddTimeout(options.FirstSnapshotPoll, () =>
        {
            bool shown = view.Pull();
            if (shown)
            {
                first = null;
            }
            return !shown;
        });
        bool Tick()
        {
            if (ct.IsCancellationRequested)
            {
                view.RequestStopAll(app); // again: a loop that began after the first request cleared its flag
            }
            view.Pull();
            return true;
        }
        tick = app.AddTimeout(options.RefreshInterval, Tick);
        // `+` `-`: the pull timer follows the new interval (the Hub's is moved by the options callback).
        view.RefreshIntervalChanged += interval =>
        {
            app.RemoveTimeout(tick!);
            tick = app.AddTimeout(interval, Tick);
        };
        // Cancellation arrives on another thread (the SIGTERM handler). RequestStop() alone stops only the top
        // runnable: with a modal open (a trace view) it closed the modal and left the app running. So every modal and
        // the main view get their stop flag, directly: see MainView.RequestStopAll for why not through app.Invoke.
        using CancellationTokenRegistration reg = ct.Register(() => view.RequestStopAll(app));
        try
        {
            if (!ct.IsCancellationRequested)
            {
                app.Run(view);
            }
            view.WaitForCleanups(TimeSpan.FromSeconds(10));
        }
        finally
        {
            if (first is not null)
            {
                app.RemoveTimeout(first);
            }
            app.RemoveTimeout(tick!);
        }
        return 0;
    }
}
