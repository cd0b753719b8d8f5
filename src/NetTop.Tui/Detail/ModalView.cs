using NetTop.Model.Snapshot;
using NetTop.Tui.Themes;
using Terminal.Gui.Drawing;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace NetTop.Tui.Detail;

/// <summary>A modal that follows the snapshots while it is open (the main screen hands them on).</summary>
internal interface ILiveView
{
    void Refresh(HostSnapshot snapshot);
}

/// <summary>
/// The frame of every drill-down: centred over the main screen (which stays as it was), a double border, a
/// hint line at the bottom. Esc (the application's Quit) and `q` close it.
/// </summary>
internal abstract class ModalView : Runnable
{
    private readonly DataLabel _footer;

    protected ModalView(string title, Theme theme, string hints)
    {
        Theme = theme;
        HotKeySpecifier = new System.Text.Rune(0xFFFF);
        Title = title;
        X = Pos.Center();
        Y = Pos.Center();
        Width = Dim.Percent(94);
        Height = Dim.Percent(92);
        BorderStyle = LineStyle.Double;
        SetScheme(theme.Panel);
        _footer = new DataLabel { X = 0, Y = Pos.AnchorEnd(1), Width = Dim.Fill(), Height = 1, Text = hints };
        _footer.SetScheme(theme.Status);
        Add(_footer);

        AddCommand(Command.Quit, () =>
        {
            RequestStop();
            return true;
        });
        KeyBindings.ReplaceCommands(Key.Q, Command.Quit);
        KeyBindings.ReplaceCommands(Key.Esc, Command.Quit);
        AddCommand(Command.Save, () =>
        {
            if (Flow is { } f)
            {
                WriteFlowRequested?.Invoke(f.Local, f.Remote);
            }
            return true;
        });
        KeyBindings.ReplaceCommands(Key.W, Command.Save);
        // Keys that work on every screen, as in htop and k9s: the main screen does what they say.
        AddCommand(Command.Context, ctx => ctx?.Binding?.Data is Key key && ScreenKeyPressed?.Invoke(key) == true);
        foreach (Key key in ScreenKeys)
        {
            KeyBindings.Remove(key);
            KeyBindings.Add(key, new KeyBinding([Command.Context], data: key)); // named: a Key would bind the Key overload
        }
        Crumb = title;
    }

    /// <summary>
    /// The main screen's keys that also work in a detail: `s` snapshot (of the screen as drawn, i.e. this detail),
    /// `T` next theme, `+` `-` refresh interval, `p` pause.
    /// </summary>
    internal static readonly Key[] ScreenKeys = [Key.S, Key.T.WithShift, new Key('+'), new Key('='), new Key('-'), Key.P];

    /// <summary>One of <see cref="ScreenKeys"/> was pressed; the handler returns true when it did something.</summary>
    public event Func<Key, bool>? ScreenKeyPressed;

    protected Theme Theme { get; private set; }

    /// <summary>`T` while this screen is open: its frame, hint line and panes take the new theme's colors.</summary>
    public void ApplyTheme(Theme theme)
    {
        Theme = theme;
        SetScheme(theme.Panel);
        _footer.SetScheme(theme.Status);
        OnThemeApplied(theme);
        SetNeedsDraw();
    }

    /// <summary>Subclasses re-color what they made from the theme.</summary>
    protected virtual void OnThemeApplied(Theme theme)
    {
    }

    /// <summary>This screen's part of the header's breadcrumb (short: the title without decoration).</summary>
    public string Crumb { get; init; }

    /// <summary>The flow this screen is about (local, remote), for `w`; null when it has none.</summary>
    public (NetTop.Model.Net.NetEndpoint Local, NetTop.Model.Net.NetEndpoint Remote)? Flow { get; init; }

    /// <summary>`w` on a screen with a <see cref="Flow"/>: the main screen writes the pcap and says where.</summary>
    public event Action<NetTop.Model.Net.NetEndpoint, NetTop.Model.Net.NetEndpoint>? WriteFlowRequested;

    /// <summary>The view above the hint line.</summary>
    protected View Footer => _footer;

    internal string FooterText => _footer.Text;
}

/// <summary>
/// Lines of detail about one row. With a <c>refresh</c> function it re-renders from each new snapshot by the
/// row's key; when the key is gone it keeps the last lines under a "gone" note.
/// </summary>
internal sealed class DetailView : ModalView, ILiveView
{
    private readonly string _title;
    private readonly Func<HostSnapshot, IReadOnlyList<string>?>? _refresh;
    private readonly string _goneWord;
    private IReadOnlyList<string> _last;
    private DateTimeOffset? _goneAt;

    /// <summary>The first line of a detail whose key left the snapshot at <paramref name="at"/> (the snapshot's time).</summary>
    public static string GoneNote(DateTimeOffset at, string word = "gone") =>
        $"{word} at {at.ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)}: no longer in the latest snapshot (last known state below)";

    /// <param name="goneWord">What a vanished key is called: "closed" for a connection, "gone" for the rest.</param>
    public DetailView(string title, Theme theme, IReadOnlyList<string> lines,
        Func<HostSnapshot, IReadOnlyList<string>?>? refresh = null, string goneWord = "gone", string? hints = null)
        : base(title, theme, hints ?? "Esc back  ↑↓ PgUp PgDn scroll")
    {
        _goneWord = goneWord;
        _title = title;
        _refresh = refresh;
        _last = lines;
        Pane = new TextPane(theme) { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(Footer) };
        Pane.SetLines(lines);
        Add(Pane);
        Pane.SetFocus();
    }

    public TextPane Pane { get; }

    public bool IsGone { get; private set; }

    protected override void OnThemeApplied(Theme theme) => Pane.ApplyTheme(theme);

    public void Refresh(HostSnapshot snapshot)
    {
        if (_refresh is null)
        {
            return;
        }
        if (_refresh(snapshot) is { } lines)
        {
            _last = lines;
            IsGone = false;
            _goneAt = null;
            Title = _title;
            Pane.SetLines(lines);
        }
        else
        {
            IsGone = true;
            _goneAt ??= snapshot.TakenAt;
            Title = $"{_title} ({_goneWord})";
            Pane.SetLines([GoneNote(_goneAt.Value, _goneWord), "", .. _last], problemLines: 1);
        }
    }
}
