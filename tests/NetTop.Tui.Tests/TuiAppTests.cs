using NetTop.Model.Snapshot;
using Terminal.Gui.App;
using Xunit;

namespace NetTop.Tui.Tests;

public sealed class TuiAppTests
{
    [Fact]
    public void Pulls_the_first_snapshot_quickly_follows_new_ones_and_stops_on_cancellation()
    {
        using IApplication app = Headless.Create(80, 24);
        TuiOptions options = Headless.Options() with
        {
            RefreshInterval = TimeSpan.FromMilliseconds(200),
            FirstSnapshotPoll = TimeSpan.FromMilliseconds(20),
        };
        int calls = 0;
        HostSnapshot? current = null;
        HostSnapshot first = Fixtures.Empty(1) with { Host = "first-host" };
        HostSnapshot second = Fixtures.Empty(2) with { Host = "second-host" };
        using CancellationTokenSource cts = new();
        List<string> seen = [];
        int iterations = 0;
        bool guardHit = false;

        void OnIteration(object? sender, EventArgs e)
        {
            if (++iterations > 750) // ~30 s at 25 iterations/s
            {
                guardHit = true;
                app.RequestStop();
                return;
            }
            app.LayoutAndDraw();
            string header = Headless.Lines(app)[0];
            if (seen.Count == 0 || seen[^1] != header)
            {
                seen.Add(header);
            }
            if (iterations == 3)
            {
                current = first; // arrives after the UI started: the fast poll must pick it up
            }
            else if (header.Contains("first-host", StringComparison.Ordinal))
            {
                current = second;
            }
            else if (header.Contains("second-host", StringComparison.Ordinal) && !cts.IsCancellationRequested)
            {
                // SIGTERM arrives on another thread.
                Thread t = new(() => cts.Cancel());
                t.Start();
                t.Join();
            }
        }

        app.Iteration += OnIteration;
        int rc;
        try
        {
            rc = TuiApp.RunIn(app, options, Headless.DefaultTheme, () =>
            {
                calls++;
                return current;
            }, cts.Token);
        }
        finally
        {
            app.Iteration -= OnIteration;
        }

        Assert.False(guardHit, "cancellation did not stop the UI; headers seen: " + string.Join(" | ", seen));
        Assert.Equal(0, rc);
        Assert.StartsWith("NetTop  refresh 0.2s  LIVE", seen[0]);
        Assert.Contains(seen, h => h.StartsWith("NetTop first-host host 0.2s LIVE", StringComparison.Ordinal));
        Assert.StartsWith("NetTop second-host", seen[^1]);
        Assert.True(calls >= 3, $"latest() called {calls} times");
    }

    [Fact]
    public void Cancellation_stops_a_modal_that_opens_after_it_and_never_blocks_the_cancelling_thread()
    {
        // SIGTERM during a flow trace: the trace view opens from an async continuation, which Terminal.Gui runs inside
        // its timer callbacks, holding the library's timer lock for as long as the modal is open. A stop that waited
        // for the UI thread (app.Invoke) blocked there, and a modal that opened just after the stop ran on (it hung
        // NetTop until the shutdown guard's 20 s).
        using IApplication app = Headless.Create(80, 24);
        TuiOptions options = Headless.Options() with
        {
            RefreshInterval = TimeSpan.FromMilliseconds(200),
            FirstSnapshotPoll = TimeSpan.FromMilliseconds(20),
        };
        using CancellationTokenSource cts = new();
        int iterations = 0;
        bool guardHit = false;
        bool cancellerReturned = false;
        bool modalRequested = false;
        MainView? main = null;

        void OnIteration(object? sender, EventArgs e)
        {
            if (++iterations > 750) // ~30 s at 25 iterations/s
            {
                guardHit = true;
                foreach (Terminal.Gui.Views.Runnable m in main?.Modals.ToArray() ?? [])
                {
                    app.RequestStop(m);
                }
                app.RequestStop();
                return;
            }
            if (iterations == 5 && app.TopRunnableView is MainView view)
            {
                main = view;
                Thread canceller = new(() =>
                {
                    cts.Cancel();
                    cancellerReturned = true;
                });
                canceller.Start();
                cancellerReturned = canceller.Join(TimeSpan.FromSeconds(10)) && cancellerReturned;
                // The trace view arrives right after the stop, through the main loop's callbacks.
                modalRequested = true;
                app.Invoke(() => view.RunModal(new Detail.DetailView("Trace", Headless.DefaultTheme, ["path"])));
            }
        }

        app.Iteration += OnIteration;
        int rc;
        try
        {
            rc = TuiApp.RunIn(app, options, Headless.DefaultTheme, () => Fixtures.Empty(1), cts.Token);
        }
        finally
        {
            app.Iteration -= OnIteration;
        }

        Assert.True(modalRequested, "the main view never became the top runnable");
        Assert.True(cancellerReturned, "cancelling blocked the cancelling thread");
        Assert.False(guardHit, "the modal opened after the stop kept the app running");
        Assert.Equal(0, rc);
        Assert.Empty(main!.Modals);
    }

    [Fact]
    public void An_already_cancelled_token_returns_without_running()
    {
        using IApplication app = Headless.Create(80, 24);
        int calls = 0;
        int rc = TuiApp.RunIn(app, Headless.Options(), Headless.DefaultTheme, () =>
        {
            calls++;
            return null;
        }, new CancellationToken(true));
        Assert.Equal(0, rc);
        Assert.Equal(0, calls);
    }

    [Fact]
    public void A_bad_theme_fails_before_the_terminal_is_touched()
    {
        TuiOptions options = Headless.Options() with { ThemePath = "/nonexistent/theme.json" };
        Themes.ThemeException e = Assert.Throws<Themes.ThemeException>(() => TuiApp.Run(options, () => null, CancellationToken.None));
        Assert.Contains("/nonexistent/theme.json", e.Message);
    }
}
