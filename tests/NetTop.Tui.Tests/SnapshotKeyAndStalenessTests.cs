using NetTop.Model.Snapshot;
using NetTop.Tui.Themes;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>The `s` key saves what is on the screen; a screen without news says STALE.</summary>
public sealed class SnapshotKeyAndStalenessTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void S_hands_the_shown_snapshot_and_the_screen_text_to_the_saver_and_shows_where()
    {
        HostSnapshot s = Fixtures.Scenario();
        HostSnapshot? saved = null;
        string? screen = null;
        TuiOptions options = Headless.Options() with
        {
            SaveSnapshot = (snap, text) =>
            {
                saved = snap;
                screen = text;
                return "/var/tmp/nettop/nettop-web01-x.{txt,json}";
            },
        };
        using IApplication app = Headless.Create(100, 30);
        using MainView view = new(options, Headless.DefaultTheme, () => s);
        app.Begin(view);
        view.Pull();
        app.LayoutAndDraw();
        app.InjectKey(Key.S);
        app.LayoutAndDraw();
        Assert.Same(s, saved);
        Assert.Contains("Listen queues", screen);
        Assert.Contains("127.0.0.1:8080", screen);
        Assert.Contains("saved /var/tmp/nettop/nettop-web01-x.{txt,json}", Headless.Screen(app));
    }

    [Fact]
    public void A_failed_save_is_shown_and_the_app_keeps_running()
    {
        HostSnapshot s = Fixtures.Scenario();
        TuiOptions options = Headless.Options() with
        {
            SaveSnapshot = (_, _) => throw new IOException("No space left on device"),
        };
        using IApplication app = Headless.Create(100, 30);
        using MainView view = new(options, Headless.DefaultTheme, () => s);
        app.Begin(view);
        view.Pull();
        app.InjectKey(Key.S);
        app.LayoutAndDraw();
        Assert.Contains("snapshot failed: No space left on device", Headless.Screen(app));
        Assert.Contains("127.0.0.1:8080", Headless.Screen(app));
    }

    [Fact]
    public void Header_says_stale_when_no_new_snapshot_came_for_three_intervals()
    {
        ManualClock clock = new();
        HostSnapshot s = Fixtures.Scenario();
        using IApplication app = Headless.Create(100, 30);
        using MainView view = new(Headless.Options() with { Clock = clock }, Headless.DefaultTheme, () => s);
        app.Begin(view);
        view.Pull();
        app.LayoutAndDraw();
        Assert.Contains("LIVE", Headless.Lines(app)[0]);

        clock.Now += TimeSpan.FromSeconds(10); // the same snapshot, ten intervals later
        view.Pull();
        app.LayoutAndDraw();
        Assert.Contains("STALE (no data for 10s)", Headless.Lines(app)[0]);

        s = s with { Sequence = s.Sequence + 1 };
        view.Pull();
        app.LayoutAndDraw();
        Assert.Contains("LIVE", Headless.Lines(app)[0]);
    }
}
