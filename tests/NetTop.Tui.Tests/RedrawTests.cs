using NetTop.Model.Snapshot;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Terminal.Gui.ViewBase;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>
/// Issue 5 item 10, "only changed views redraw": a tick counts the views that drew (a view's DrawingText event is
/// raised exactly when the view itself draws; DrawComplete is raised for every view visited, drawn or not) for an
/// unchanged snapshot, a change in one panel and a new time in the header. After each partial draw the screen must
/// equal a forced full redraw, so skipping a view never leaves stale cells behind.
/// </summary>
public sealed class RedrawTests : IDisposable
{
    private readonly IApplication _app;
    private readonly MainView _view;
    private readonly Dictionary<View, int> _draws = [];
    private HostSnapshot _latest;

    public RedrawTests()
    {
        _latest = Fixtures.Full(2);
        _app = Headless.Create(120, 40);
        _view = new MainView(Headless.Options(), Headless.DefaultTheme, () => _latest);
        _app.Begin(_view);
        _view.Pull();
        _app.LayoutAndDraw();
        Count(_view);
    }

    public void Dispose()
    {
        _view.Dispose();
        _app.Dispose();
    }

    private void Count(View v)
    {
        _draws[v] = 0;
        v.DrawingText += (_, _) => _draws[v]++;
        foreach (View s in v.SubViews)
        {
            Count(s);
        }
    }

    /// <summary>Shows <paramref name="next"/> as a tick does, draws, and returns the views that drew.</summary>
    private List<View> Tick(HostSnapshot next)
    {
        foreach (View v in _draws.Keys)
        {
            _draws[v] = 0;
        }
        _latest = next;
        _view.Pull();
        _app.LayoutAndDraw();
        return [.. _draws.Where(kv => kv.Value > 0).Select(kv => kv.Key)];
    }

    /// <summary>The screen with its colors as drawn, and as a forced full redraw draws it.</summary>
    private (string Drawn, string Full) DrawnAndFull()
    {
        IDriver driver = _app.Driver!;
        string drawn = driver.ToAnsi();
        _app.LayoutAndDraw(forceRedraw: true);
        return (drawn, driver.ToAnsi());
    }

    private static string Names(IEnumerable<View> views) => string.Join(", ", views.Select(v => $"{v.GetType().Name} '{v.Title}'"));

    [Fact]
    public void A_tick_with_an_unchanged_snapshot_draws_no_view()
    {
        // A new snapshot (another sequence number) with the same rows, time and sources.
        List<View> drawn = Tick(_latest with { Sequence = _latest.Sequence + 1 });

        Assert.True(drawn.Count == 0, "drew: " + Names(drawn));
        Assert.Equal(_latest.Sequence, _view.Shown!.Sequence);
    }

    [Fact]
    public void A_change_in_one_panel_draws_that_panel_only_not_the_window()
    {
        HostSnapshot s = _latest;
        ListenerRow first = s.Listeners[0];
        HostSnapshot next = s with
        {
            Sequence = s.Sequence + 1,
            Listeners = s.Listeners.SetItem(0, first with { AcceptQueue = first.AcceptQueue + 40 }),
        };

        List<View> drawn = Tick(next);

        Assert.Contains(_view.ListenersTable, drawn);
        Assert.DoesNotContain(_view, drawn); // the window is not cleared and redrawn
        View[] others = [_view.HalfOpenPanel, _view.HalfOpenTable, _view.ResetsPanel, _view.ResetsTable,
            _view.FirewallPanel, _view.FirewallTable, _view.Header, _view.Status];
        Assert.True(!drawn.Intersect(others).Any(), "drew: " + Names(drawn));
        Assert.Contains(" 43/", Headless.Screen(_app)); // the new accept queue (3 + 40) is on the screen

        (string partial, string full) = DrawnAndFull();
        Assert.Equal(full, partial);
    }

    [Fact]
    public void A_new_time_draws_the_header_only()
    {
        List<View> drawn = Tick(_latest with { Sequence = _latest.Sequence + 1, TakenAt = _latest.TakenAt.AddSeconds(1) });

        Assert.Equal([_view.Header], drawn);
        (string partial, string full) = DrawnAndFull();
        Assert.Equal(full, partial);
    }

    [Fact]
    public void A_changed_source_reason_draws_the_status_line_only()
    {
        HostSnapshot Degraded(long sequence, string fix) => _latest with
        {
            Sequence = sequence,
            Sources = [.. Fixtures.Full().Sources.Select(x => x.Name == "firewall"
                ? new Model.SourceStatus("firewall", Model.SourceHealth.Degraded, "iptables-save failed", fix)
                : x)],
        };
        // The second status line appears: the panels above it move, and the screen must still be whole.
        Tick(Degraded(3, "install iptables"));
        (string moved, string movedFull) = DrawnAndFull();
        Assert.Equal(movedFull, moved);

        List<View> drawn = Tick(Degraded(4, "run as root"));

        Assert.Equal([_view.Status], drawn);
        Assert.Contains("run as root", Headless.Screen(_app));
        (string partial, string full) = DrawnAndFull();
        Assert.Equal(full, partial);
    }

    [Fact]
    public void Zoom_and_back_leave_no_stale_cells()
    {
        _view.ToggleZoom();
        _app.LayoutAndDraw();
        (string zoomed, string zoomedFull) = DrawnAndFull();
        Assert.Equal(zoomedFull, zoomed);

        _view.ToggleZoom();
        _app.LayoutAndDraw();
        (string back, string backFull) = DrawnAndFull();
        Assert.Equal(backFull, back);
    }

    [Fact]
    public void Closing_a_detail_repaints_the_screen_it_covered()
    {
        string? inDetail = null;
        (string Drawn, string Full)? back = null;
        Script.Run(_app, _view,
            Script.Do(() => _app.InjectKey(Key.D1)),
            Script.Do(() => _app.InjectKey(Key.Enter)),
            Script.Do(() =>
            {
                _app.LayoutAndDraw();
                inDetail = Headless.Screen(_app);
                _app.InjectKey(Key.Esc);
            }),
            Script.Do(() =>
            {
                _app.LayoutAndDraw();
                back = DrawnAndFull();
            }));

        Assert.Contains("╔", inDetail); // the detail's double border was on the screen
        Assert.NotNull(back);
        Assert.DoesNotContain("╔", back.Value.Drawn);
        Assert.Equal(back.Value.Full, back.Value.Drawn);
    }
}
