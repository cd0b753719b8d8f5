using System.Text;
using NetTop.Model.Snapshot;
using NetTop.Model.Tables;
using NetTop.Tui.Panels;
using NetTop.Tui.Themes;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace NetTop.Tui;

/// <summary>
/// The main screen: header, counters, the listen-queue and half-open panels, and the status line. It shows
/// whatever snapshot it is handed (<see cref="Show"/>) or pulls (<see cref="Pull"/>); it never collects data.
/// Freezing (`p`/space) keeps the shown snapshot's reference and ignores newer ones until unfrozen.
/// </summary>
public sealed class MainView : Window
{
    internal const string Hints = "q Quit  Tab Panel  p Pause  s Snapshot";

    private readonly TuiOptions _options;
    private readonly Func<HostSnapshot?> _latest;
    private readonly DataLabel _header;
    private readonly DataLabel _counters;
    private readonly StatusLine _status;
    private readonly TablePanel<ListenerRow> _listeners;
    private readonly TablePanel<HalfOpenRow> _halfOpen;
    private readonly List<ISnapshotPanel> _panels;
    private DateTimeOffset _shownAt;
    private string? _note;

    public MainView(TuiOptions options, Theme theme, Func<HostSnapshot?> latest)
    {
        _options = options;
        _latest = latest;
        Paused = options.StartPaused;
        BorderStyle = Terminal.Gui.Drawing.LineStyle.None;
        SetScheme(theme.Base);

        _header = new DataLabel { X = 0, Y = 0, Width = Dim.Fill(), Height = 1 };
        _header.SetScheme(theme.Header);
        _counters = new DataLabel { X = 0, Y = 1, Width = Dim.Fill(), Height = 1 };
        _status = new StatusLine(theme);

        _listeners = new TablePanel<ListenerRow>(PanelSpecs.Listeners, theme)
        {
            X = 0,
            Y = 2,
            Width = Dim.Fill(),
            // Half of what is left under the two header lines; the half-open panel takes the rest.
            Height = Dim.Func(_ => Math.Max(4, (Viewport.Height - 2 - _status.Frame.Height) / 2)),
        };
        _halfOpen = new TablePanel<HalfOpenRow>(PanelSpecs.HalfOpen, theme)
        {
            X = 0,
            Y = Pos.Bottom(_listeners),
            Width = Dim.Fill(),
            Height = Dim.Fill(_status),
        };
        _panels = [_listeners, _halfOpen];

        Add(_header, _counters, _listeners, _halfOpen, _status);

        // Keys. View bindings run before the application's, so these win over the defaults (Esc = Quit,
        // Tab = next tab stop) and work the same under TuiApp and in headless tests.
        AddCommand(Command.Quit, () =>
        {
            App?.RequestStop();
            return true;
        });
        KeyBindings.Add(Key.Q, Command.Quit);
        KeyBindings.Add(Key.Q.WithShift, Command.Quit);
        // The terminal is raw, so Ctrl-C arrives as a key, not SIGINT: quit like htop and top do.
        KeyBindings.ReplaceCommands(Key.C.WithCtrl, Command.Quit);
        AddCommand(Command.Save, () =>
        {
            SaveSnapshot();
            return true;
        });
        KeyBindings.Add(Key.S, Command.Save);
        // Esc must not leave a top-like tool from its main screen (a later filter will use it to clear).
        AddCommand(Command.Cancel, () => true);
        KeyBindings.Add(Key.Esc, Command.Cancel);
        AddCommand(Command.NextTabGroup, () => MovePanel(+1));
        AddCommand(Command.PreviousTabGroup, () => MovePanel(-1));
        KeyBindings.ReplaceCommands(Key.Tab, Command.NextTabGroup);
        KeyBindings.ReplaceCommands(Key.Tab.WithShift, Command.PreviousTabGroup);
        AddCommand(Command.Toggle, () =>
        {
            TogglePause();
            return true;
        });
        KeyBindings.Add(Key.P, Command.Toggle);
        KeyBindings.ReplaceCommands(Key.Space, Command.Toggle);

        ShowHeader();
        _status.Set([], Hints, "waiting for first snapshot  ");
        _listeners.Table.SetFocus();
    }

    /// <summary>The snapshot on the screen (null until the first one).</summary>
    public HostSnapshot? Shown { get; private set; }

    public bool Paused { get; private set; }

    internal TableView ListenersTable => _listeners.Table;
    internal TableView HalfOpenTable => _halfOpen.Table;
    internal IReadOnlyList<ISnapshotPanel> Panels => _panels;
    internal StatusLine Status => _status;

    /// <summary>
    /// Reads the latest snapshot and shows it if it is new (another Sequence) and the screen is not frozen.
    /// Returns true once a snapshot is on the screen. Runs on the UI thread; <c>latest</c> must only read a
    /// reference the Hub published.
    /// </summary>
    public bool Pull()
    {
        // Paused keeps the shown snapshot; with none shown yet there is nothing to keep.
        if ((!Paused || Shown is null) && _latest() is { } s && s.Sequence != Shown?.Sequence)
        {
            Show(s);
        }
        else if (Shown is not null)
        {
            ShowHeader(); // no news: the header may have to say STALE
        }
        return Shown is not null;
    }

    /// <summary>Writes the shown snapshot through <see cref="TuiOptions.SaveSnapshot"/> and says where, or why not.</summary>
    internal void SaveSnapshot()
    {
        if (_options.SaveSnapshot is not { } save)
        {
            _note = "snapshots are not available here";
        }
        else if (Shown is not { } s)
        {
            _note = "no snapshot yet";
        }
        else
        {
            string screen = App?.Driver is Terminal.Gui.Drivers.IDriver d ? d.ToString() ?? "" : "";
            try
            {
                _note = "saved " + save(s, screen);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _note = "snapshot failed: " + e.Message;
            }
        }
        _status.Set(Shown?.Sources ?? [], Hints, _note + "  ");
    }

    /// <summary>Puts a snapshot on the screen (also while paused: the caller decides).</summary>
    public void Show(HostSnapshot snapshot)
    {
        Shown = snapshot;
        _shownAt = _options.Clock.GetUtcNow();
        ShowHeader();
        string counters = PanelTables.CountersLine(snapshot);
        _counters.Text = counters.Length > 0 ? counters : "counters: none yet";
        _status.Set(snapshot.Sources, Hints, _note is null ? null : _note + "  ");
        foreach (ISnapshotPanel p in _panels)
        {
            p.Show(snapshot);
        }
    }

    public void TogglePause()
    {
        Paused = !Paused;
        ShowHeader();
        if (!Paused)
        {
            Pull();
        }
    }

    private void ShowHeader()
    {
        StringBuilder sb = new("NetTop");
        if (Shown is { } s)
        {
            sb.Append("  ").Append(s.Host).Append("  netns ").Append(s.Netns).Append("  kernel ").Append(s.Kernel);
        }
        sb.Append("  refresh ").Append(_options.RefreshText).Append("  ");
        TimeSpan quiet = _options.Clock.GetUtcNow() - _shownAt;
        if (Paused)
        {
            sb.Append("PAUSED");
        }
        else if (Shown is not null && quiet > 3 * _options.RefreshInterval && quiet > TimeSpan.FromSeconds(2))
        {
            // The hub publishes every tick; silence means a refresh is stuck (see the status line).
            sb.Append("STALE (no data for ").Append(Format.Duration((long)quiet.TotalMilliseconds)).Append(')');
        }
        else
        {
            sb.Append("LIVE");
        }
        if (Shown is { } shown)
        {
            sb.Append("  ").Append(shown.TakenAt.ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        }
        _header.Text = sb.ToString();
    }

    private bool MovePanel(int direction)
    {
        int current = _panels.FindIndex(p => p.PanelView.HasFocus);
        int next = current < 0 ? 0 : (current + direction + _panels.Count) % _panels.Count;
        _panels[next].Table.SetFocus();
        return true;
    }
}
