using NetTop.Model.Snapshot;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>
/// The hooks a mode adds to the main screen (replay: p/Space pause, n step, +/- speed): its keys replace the
/// screen's own, their notes reach the status line, the header shows the mode's word, help lists the keys.
/// </summary>
public sealed class ExtraKeysTests
{
    [Fact]
    public void Mode_keys_replace_the_screens_binding_show_their_note_and_the_header_shows_the_mode()
    {
        HostSnapshot s = Fixtures.Scenario();
        List<string> pressed = [];
        string mode = "REPLAY 1/5 ×1";
        TuiOptions options = Headless.Options() with
        {
            ExtraKeys =
            [
                new TuiKey('p', "pause the replay", () => { pressed.Add("p"); mode = "REPLAY 1/5 ×1 PAUSED"; return "replay paused"; }),
                new TuiKey('+', "faster", () => { pressed.Add("+"); return null; }),
            ],
            ModeText = () => mode,
        };
        using IApplication app = Headless.Create(120, 30);
        using MainView view = new(options, Headless.DefaultTheme, () => s);
        app.Begin(view);
        view.Pull();
        app.LayoutAndDraw();
        Assert.Contains("REPLAY 1/5 ×1", Headless.Lines(app)[0]);
        Assert.DoesNotContain("LIVE", Headless.Lines(app)[0]);

        app.InjectKey(Key.P);
        app.LayoutAndDraw();
        Assert.Equal(["p"], pressed);
        Assert.False(view.Paused); // the mode's p, not the screen's freeze
        Assert.Contains("REPLAY 1/5 ×1 PAUSED", Headless.Lines(app)[0]);
        Assert.Contains("replay paused", Headless.Screen(app));

        app.InjectKey(new Key('+'));
        Assert.Equal(["p", "+"], pressed);
    }

    [Fact]
    public void Help_lists_the_mode_keys()
    {
        TuiOptions options = Headless.Options() with { ExtraKeys = [new TuiKey('n', "next recorded tick", () => null)] };
        IApplication app = Headless.Create(100, 40);
        using MainView view = new(options, Headless.DefaultTheme, () => Fixtures.Scenario());
        string? help = null;
        using (app)
        {
            Script.Run(app, view,
                Script.Do(() => view.Pull()),
                Script.Do(() => app.InjectKey(Key.F1)),
                () => view.Modals.Count == 1,
                Script.Do(() => app.InjectKey(Key.End)), // the mode's keys close the (long) help
                () =>
                {
                    app.LayoutAndDraw();
                    help = Headless.Screen(app);
                    return true;
                },
                Script.Do(() => app.InjectKey(Key.Esc)),
                () => view.Modals.Count == 0);
        }
        Assert.Contains("Keys of this mode", help);
        Assert.Contains("next recorded tick", help);
    }

    [Fact]
    public void Without_mode_keys_p_still_freezes_the_screen()
    {
        HostSnapshot s = Fixtures.Scenario();
        using IApplication app = Headless.Create(120, 30);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => s);
        app.Begin(view);
        view.Pull();
        app.InjectKey(Key.P);
        app.LayoutAndDraw();
        Assert.True(view.Paused);
        Assert.Contains("PAUSED", Headless.Lines(app)[0]);
    }
}
