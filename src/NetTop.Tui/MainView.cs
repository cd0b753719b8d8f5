using System.Text;
using NetTop.Model.Firewall;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Tables;
using NetTop.Tui.Detail;
using NetTop.Tui.Panels;
using NetTop.Tui.Themes;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace NetTop.Tui;

/// <summary>
/// The main screen: header, counters, four panels (listen queues, half-open, RST feed, firewall) in equal
/// shares, and the status line. It shows whatever snapshot it is handed (<see cref="Show"/>) or pulls
/// (<see cref="Pull"/>); it never collects data. Freezing (`p`/space) keeps the shown snapshot's reference and
/// ignores newer ones until unfrozen. Enter opens a modal detail of the selected row that follows the snapshots
/// by the row's key; Esc closes it.
/// </summary>
public sealed class MainView : Window
{
    internal const string Hints = "q Quit  p Pause  s Save  z Zoom  ? Help";

    /// <summary>The lines of the help screen (F1, `?`).</summary>
    internal static readonly IReadOnlyList<string> HelpLines =
    [
        "Keys on the main screen",
        "  1 2 3 4         focus Listen queues / Half-open / RST feed / Firewall",
        "  Tab  Shift-Tab  next / previous panel",
        "  z               zoom the focused panel to the whole screen (z again restores)",
        "  ↑ ↓ PgUp PgDn   move the selection",
        "  Enter           details of the selected row (follow live; Esc closes)",
        "  k               top reset stacks (Enter shows a whole stack)",
        "  t               trace the selected Half-open flow through the firewall",
        "  p  Space        pause / resume (freeze the screen)",
        "  s               save a snapshot (text and JSON)",
        "  F1  ?           this help",
        "  q  Ctrl-C       quit",
        "",
        "In a detail view",
        "  Esc  q          close (a trace stops and removes its rules)",
        "  ↑ ↓ PgUp PgDn   scroll; Home End jump",
        "",
        "Colors",
        "  red             losing connections now: a full accept queue, rising drops,",
        "                  a dropping rule that counts, a SYN_SENT eaten by a rule",
        "  yellow          worth a look: SYN retransmits, active resets, rules that count",
        "  dim             gone listeners, resets of other network namespaces",
    ];

    private enum UiAction
    {
        Focus1,
        Focus2,
        Focus3,
        Focus4,
        Zoom,
        Stacks,
        Trace,
        Help,
    }

    private const int HeaderLines = 2;

    private readonly TuiOptions _options;
    private readonly Theme _theme;
    private readonly Func<HostSnapshot?> _latest;
    private readonly DataLabel _header;
    private readonly DataLabel _counters;
    private readonly StatusLine _status;
    private readonly TablePanel<ListenerRow> _listeners;
    private readonly TablePanel<HalfOpenRow> _halfOpen;
    private readonly TablePanel<ResetRow> _resets;
    private readonly TablePanel<FirewallRow> _firewall;
    private readonly List<ISnapshotPanel> _panels;
    private readonly List<Runnable> _modals = [];
    private DateTimeOffset _shownAt;
    private string? _note;
    private int? _zoomed;
    private bool _traceStarting;

    public MainView(TuiOptions options, Theme theme, Func<HostSnapshot?> latest)
    {
        _options = options;
        _theme = theme;
        _latest = latest;
        Paused = options.StartPaused;
        BorderStyle = Terminal.Gui.Drawing.LineStyle.None;
        SetScheme(theme.Base);

        _header = new DataLabel { X = 0, Y = 0, Width = Dim.Fill(), Height = 1 };
        _header.SetScheme(theme.Header);
        _counters = new DataLabel { X = 0, Y = 1, Width = Dim.Fill(), Height = 1 };
        _status = new StatusLine(theme);

        _listeners = new TablePanel<ListenerRow>(PanelSpecs.Listeners, theme);
        _halfOpen = new TablePanel<HalfOpenRow>(PanelSpecs.HalfOpen, theme);
        _resets = new TablePanel<ResetRow>(PanelSpecs.Resets, theme);
        _firewall = new TablePanel<FirewallRow>(PanelSpecs.Firewall, theme);
        _panels = [_listeners, _halfOpen, _resets, _firewall];
        for (int i = 0; i < _panels.Count; i++)
        {
            int index = i;
            View p = _panels[i].PanelView;
            p.X = 0;
            p.Y = Pos.Func(_ => Slot(index).Y);
            p.Width = Dim.Fill();
            p.Height = Dim.Func(_ => Slot(index).Height);
        }

        _listeners.RowActivated += ShowListener;
        _halfOpen.RowActivated += ShowHalfOpen;
        _resets.RowActivated += ShowReset;
        _firewall.RowActivated += ShowFirewallRule;

        Add(_header, _counters, _listeners, _halfOpen, _resets, _firewall, _status);

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
        AddCommand(Command.Context, ctx => ctx?.Binding?.Data switch
        {
            UiAction a => Do(a),
            TuiKey k => RunExtraKey(k),
            _ => false,
        });
        Bind(Key.D1, UiAction.Focus1);
        Bind(Key.D2, UiAction.Focus2);
        Bind(Key.D3, UiAction.Focus3);
        Bind(Key.D4, UiAction.Focus4);
        Bind(Key.Z, UiAction.Zoom);
        Bind(Key.K, UiAction.Stacks);
        Bind(Key.T, UiAction.Trace);
        Bind(Key.F1, UiAction.Help);
        Bind(new Key('?'), UiAction.Help);
        // The mode's own keys (replay: pause, step, speed) win over the screen's binding of the same key.
        foreach (TuiKey extra in options.ExtraKeys)
        {
            Key key = new(extra.Key);
            KeyBindings.Remove(key);
            KeyBindings.Add(key, new KeyBinding([Command.Context], data: extra));
        }

        ShowHeader();
        _status.Set([], Hints, "waiting for first snapshot  ");
        _listeners.Table.SetFocus();
    }

    /// <summary>The snapshot on the screen (null until the first one).</summary>
    public HostSnapshot? Shown { get; private set; }

    public bool Paused { get; private set; }

    /// <summary>The index of the zoomed panel (0–3), or null when all four share the screen.</summary>
    internal int? Zoomed => _zoomed;

    internal TableView ListenersTable => _listeners.Table;
    internal TableView HalfOpenTable => _halfOpen.Table;
    internal TableView ResetsTable => _resets.Table;
    internal TableView FirewallTable => _firewall.Table;
    internal TablePanel<ResetRow> ResetsPanel => _resets;
    internal TablePanel<FirewallRow> FirewallPanel => _firewall;
    internal IReadOnlyList<ISnapshotPanel> Panels => _panels;
    internal StatusLine Status => _status;
    internal string? Note => _note;

    /// <summary>The open modals, innermost last (details, stacks, trace, help).</summary>
    internal IReadOnlyList<Runnable> Modals => _modals;

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
            SetNote("snapshots are not available here");
        }
        else if (Shown is not { } s)
        {
            SetNote("no snapshot yet");
        }
        else
        {
            string screen = App?.Driver is Terminal.Gui.Drivers.IDriver d ? d.ToString() ?? "" : "";
            try
            {
                SetNote("saved " + save(s, screen));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                SetNote("snapshot failed: " + e.Message);
            }
        }
    }

    /// <summary>Puts a snapshot on the screen (also while paused: the caller decides) and into open details.</summary>
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
        foreach (Runnable m in _modals.ToArray())
        {
            (m as ILiveView)?.Refresh(snapshot);
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

    /// <summary>
    /// Runs a modal over the screen until it stops (Esc), then disposes it. While it is open, new snapshots are
    /// handed to it (<see cref="ILiveView"/>); the screen under it keeps updating.
    /// </summary>
    internal void RunModal(Runnable modal)
    {
        _modals.Add(modal);
        try
        {
            App?.Run(modal);
        }
        finally
        {
            _modals.Remove(modal);
            modal.Dispose();
        }
    }

    /// <summary>Zooms the focused panel to the whole area between the header and the status line, or restores.</summary>
    internal void ToggleZoom()
    {
        if (_zoomed is not null)
        {
            _zoomed = null;
        }
        else
        {
            int focused = _panels.FindIndex(p => p.PanelView.HasFocus);
            _zoomed = focused < 0 ? 0 : focused;
        }
        ApplyZoom();
        _panels[_zoomed ?? FocusedIndex()].Table.SetFocus();
    }

    internal void FocusPanel(int index)
    {
        if (_zoomed is not null)
        {
            _zoomed = index;
            ApplyZoom();
        }
        _panels[index].Table.SetFocus();
    }

    private void Bind(Key key, UiAction action)
    {
        KeyBindings.Remove(key);
        KeyBindings.Add(key, new KeyBinding([Command.Context], data: action)); // named: an int/enum would bind a Key
    }

    private bool Do(UiAction action)
    {
        switch (action)
        {
            case UiAction.Focus1:
            case UiAction.Focus2:
            case UiAction.Focus3:
            case UiAction.Focus4:
                FocusPanel(action - UiAction.Focus1);
                break;
            case UiAction.Zoom:
                ToggleZoom();
                break;
            case UiAction.Stacks:
                ShowStacks();
                break;
            case UiAction.Trace:
                _ = TraceSelectedAsync();
                break;
            case UiAction.Help:
                RunModal(new DetailView("Help", _theme, _options.ExtraKeys.Count == 0 ? HelpLines
                    : [.. HelpLines, "", "Keys of this mode (they replace the ones above)", .. _options.ExtraKeys.Select(k => $"  {(k.Key == ' ' ? "Space" : k.Key.ToString()),-16}{k.Help}")]));
                break;
        }
        return true;
    }

    /// <summary>Where panel <paramref name="index"/> sits: equal shares of the rows between the header lines and
    /// the status line (the first panels take the odd rows), or all of them for the zoomed panel.</summary>
    private (int Y, int Height) Slot(int index)
    {
        int statusLines = _status.DetailLine is null ? 1 : 2;
        int room = Math.Max(0, Viewport.Height - HeaderLines - statusLines);
        if (_zoomed is { } z)
        {
            return (HeaderLines, index == z ? room : 0);
        }
        int share = room / _panels.Count;
        int extra = room % _panels.Count;
        int y = HeaderLines + index * share + Math.Min(index, extra);
        return (y, share + (index < extra ? 1 : 0));
    }

    private void ApplyZoom()
    {
        for (int i = 0; i < _panels.Count; i++)
        {
            _panels[i].PanelView.Visible = _zoomed is not { } z || z == i;
        }
        SetNeedsLayout();
    }

    private int FocusedIndex() => Math.Max(0, _panels.FindIndex(p => p.PanelView.HasFocus));

    private bool MovePanel(int direction)
    {
        int current = _panels.FindIndex(p => p.PanelView.HasFocus);
        int next = current < 0 ? 0 : (current + direction + _panels.Count) % _panels.Count;
        FocusPanel(next);
        return true;
    }

    private bool RunExtraKey(TuiKey key)
    {
        if (key.Run() is { } note)
        {
            SetNote(note);
        }
        Pull();
        ShowHeader();
        return true;
    }

    private void SetNote(string note)
    {
        _note = note;
        _status.Set(Shown?.Sources ?? [], Hints, _note + "  ");
    }

    private void ShowListener(ListenerRow row)
    {
        ulong key = row.Key;
        if (Shown is not { } s)
        {
            return;
        }
        RunModal(new DetailView($"Listener {row.Local}", _theme, Details.Listener(s, row), snap => Details.Listener(snap, key)));
    }

    private void ShowHalfOpen(HalfOpenRow row)
    {
        ulong key = row.Key;
        RunModal(new DetailView($"{row.StateName} {row.Local} → {row.Remote}", _theme, Details.HalfOpen(row),
            snap => Details.HalfOpen(snap, key)));
    }

    private void ShowReset(ResetRow row)
    {
        ulong key = StableHash.Of(row);
        RunModal(new DetailView("Reset", _theme, Details.Reset(row), snap => Details.Reset(snap, key)));
    }

    private void ShowFirewallRule(FirewallRow row)
    {
        ulong key = StableHash.Of(row);
        RunModal(new DetailView($"Firewall rule {row.Table}/{row.Chain}#{row.Position}", _theme, Details.Firewall(row),
            snap => Details.Firewall(snap, key)));
    }

    private void ShowStacks()
    {
        if (Shown is not { } s)
        {
            SetNote("no snapshot yet");
            return;
        }
        RunModal(new StacksView(_theme, s, RunModal));
    }

    /// <summary>
    /// `t`: starts a trace of the selected half-open flow (async: the UI keeps running), then shows it until Esc
    /// and disposes it, which removes its kernel rules. A trace that cannot start says why on the status line.
    /// </summary>
    private async Task TraceSelectedAsync()
    {
        if (_options.TraceFlow is not { } start)
        {
            SetNote("tracing is not available here");
            return;
        }
        if (!_halfOpen.PanelView.HasFocus)
        {
            SetNote("t traces a Half-open row: select one (key 2) first");
            return;
        }
        if (_halfOpen.SelectedRow is not { } row)
        {
            SetNote("no half-open connection to trace");
            return;
        }
        if (_traceStarting)
        {
            return;
        }
        _traceStarting = true;
        SetNote($"starting trace of {row.Local} ⇄ {row.Remote}…");
        IFlowTraceView trace;
        try
        {
            trace = await start(row);
        }
        catch (FlowTraceStartException e)
        {
            SetNote("trace failed: " + e.Text);
            return;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SetNote("trace failed: " + e.Message);
            return;
        }
        finally
        {
            _traceStarting = false;
        }

        SetNote($"tracing {row.Local} ⇄ {row.Remote}");
        TraceView view = new(trace, _theme);
        object? timer = App?.AddTimeout(_options.TraceRefresh, () =>
        {
            view.Poll();
            return true;
        });
        try
        {
            RunModal(view);
        }
        finally
        {
            if (timer is not null)
            {
                App?.RemoveTimeout(timer);
            }
        }
        try
        {
            await trace.DisposeAsync();
            SetNote("trace stopped, its rules removed");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SetNote("trace cleanup failed: " + e.Message);
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
        else if (_options.ModeText is { } mode)
        {
            sb.Append(mode());
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
}
