using System.Text;
using NetTop.Model.Firewall;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;
using NetTop.Model.Tables;
using NetTop.Tui.Detail;
using NetTop.Tui.Panels;
using NetTop.Tui.Themes;
using Terminal.Gui.App;
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
    /// <summary>The key hints of the status line on an 80-column screen.</summary>
    internal const string Hints = "q Quit  / Filter  p Pause  s Save  ? Help";

    /// <summary>The key hints when the screen has room for them all.</summary>
    internal const string LongHints =
        "q Quit  / Filter  < > Sort  r Rev  p Pause  + - Refresh  s Save  w Pcap  t Trace  z Zoom  k Stacks  T Theme  ? Help";

    /// <summary>The lines of the help screen (F1, `?`).</summary>
    internal static readonly IReadOnlyList<string> HelpLines =
    [
        "Keys on the main screen",
        "  1 2 3 4          focus Listen queues / Half-open / RST feed / Firewall",
        "  Tab  Shift-Tab   next / previous panel",
        "  z                zoom the focused panel to the whole screen (z again restores)",
        "  ↑ ↓ PgUp PgDn    move the selection",
        "  Home End         first / last row",
        "  Enter            details of the selected row (follow live; Esc goes back)",
        "  /                filter the focused panel: port:8080 state:syn-sent proc:nginx or any text;",
        "                   terms are AND-ed; Enter keeps it, Esc cancels, an empty filter clears",
        "  < >              sort by the previous / next column (▼▲ in its header; first stop: worst first)",
        "  r                reverse the order",
        "  p  Space         pause / resume (freeze the screen; sources keep running)",
        "  + -              refresh interval longer / shorter (0.2s to 60s)",
        "  s                save a snapshot (the screen and every table as text, and JSON)",
        "  w                write the selected flow's captured packets to a pcap file",
        "  t                trace the selected Half-open flow through the firewall",
        "  k                top reset stacks (Enter shows a whole stack)",
        "  T                next theme (themes/*.json)",
        "  F1  ?            this help",
        "  q  Ctrl-C        quit (Esc does not)",
        "",
        "Mouse: a click selects a row and focuses its panel, a double click opens it, the wheel scrolls.",
        "",
        "In a detail view",
        "  Esc  q           back to the screen below (a trace stops and removes its rules)",
        "  ↑ ↓ PgUp PgDn    scroll or move; Home End jump",
        "  Enter            open the selected socket (listener detail)",
        "  w                write this flow's captured packets to a pcap file (connection, reset, trace)",
        "  s  T  + -  p     snapshot (of this screen), next theme, refresh interval, pause: as above",
        "",
        "Colors (the same meaning in every theme)",
        "  red              losing connections now: a full accept queue, rising drops,",
        "                   a dropping rule that counts (hot), a SYN_SENT eaten by a rule",
        "  yellow           worth a look: SYN retransmits, active resets, rules that count",
        "  normal           passive resets (the peer's RST, or ours to a closed port)",
        "  dim              gone listeners, resets of other network namespaces",
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
        Filter,
        SortPrevious,
        SortNext,
        Reverse,
        Slower,
        Faster,
        Theme,
        Pcap,
    }

    /// <summary>The refresh intervals `+` and `-` step through.</summary>
    internal static readonly TimeSpan[] RefreshSteps =
        [.. new[] { 0.2, 0.5, 1, 2, 3, 5, 10, 15, 30, 60 }.Select(TimeSpan.FromSeconds)];

    private const int HeaderLines = 2;

    private readonly TuiOptions _options;
    private Theme _theme;
    private string _themePath;
    private readonly Func<HostSnapshot?> _latest;
    private readonly HeaderLine _header;
    private readonly FilterPrompt _prompt;
    private string? _filterBefore;
    private readonly DataLabel _counters;
    private readonly StatusLine _status;
    private readonly TablePanel<ListenerRow> _listeners;
    private readonly TablePanel<HalfOpenRow> _halfOpen;
    private readonly TablePanel<ResetRow> _resets;
    private readonly TablePanel<FirewallRow> _firewall;
    private readonly List<ISnapshotPanel> _panels;
    private readonly List<Runnable> _modals = [];
    private readonly DetailContext _detailContext;
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

        _themePath = Path.GetFullPath(options.ThemePath);
        _detailContext = DetailContext.From(options);
        RefreshInterval = options.RefreshInterval;
        _header = new HeaderLine(theme);
        _counters = new DataLabel { X = 0, Y = 1, Width = Dim.Fill(), Height = 1 };
        _prompt = new FilterPrompt(theme) { Y = 1 };
        _prompt.Changed += text => _prompt.ShowError(FocusedPanel.TrySetFilter(text));
        _prompt.Committed += CommitFilter;
        _prompt.Cancelled += CancelFilter;
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

        foreach (ISnapshotPanel p in _panels)
        {
            // Focus moves (keys, clicks) change the breadcrumb.
            p.PanelView.HasFocusChanged += (_, _) => ShowHeader();
        }

        Add(_header, _counters, _prompt, _listeners, _halfOpen, _resets, _firewall, _status);
        foreach (View v in SubViews)
        {
            // A view shown or hidden changes what covers the screen: the next draw repaints it all.
            v.VisibleChanged += (_, _) => _redrawAll = true;
        }

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
        Bind(new Key('/'), UiAction.Filter);
        Bind(new Key('<'), UiAction.SortPrevious);
        Bind(new Key('>'), UiAction.SortNext);
        Bind(Key.R, UiAction.Reverse);
        Bind(new Key('+'), UiAction.Slower);
        Bind(new Key('='), UiAction.Slower); // + without Shift on most layouts
        Bind(new Key('-'), UiAction.Faster);
        Bind(Key.T.WithShift, UiAction.Theme);
        Bind(Key.W, UiAction.Pcap);
        // The mode's own keys (replay: pause, step, speed) win over the screen's binding of the same key.
        foreach (TuiKey extra in options.ExtraKeys)
        {
            Key key = new(extra.Key);
            KeyBindings.Remove(key);
            KeyBindings.Add(key, new KeyBinding([Command.Context], data: extra));
        }

        ShowHeader();
        _status.WideHints = LongHints;
        _status.Set([], Hints, "waiting for first snapshot  ");
        _listeners.Table.SetFocus();
    }

    /// <summary>
    /// True when the next draw must clear the whole screen and redraw every view (first draw, layout or size
    /// change, a view shown or hidden, a modal closed, a new theme); false when only the views that changed draw.
    /// </summary>
    private bool _redrawAll = true;

    /// <summary>Draws the whole screen again at the next draw (a theme switch, a screen uncovered by a modal).</summary>
    internal void RedrawAll()
    {
        _redrawAll = true;
        SetNeedsDraw();
    }

    /// <summary>
    /// Terminal.Gui 2.5 marks a view's whole viewport for drawing when any of its subviews needs drawing
    /// (View.DoDrawAdornments), and clearing it then marks every subview: one changed clock in the header
    /// cleared the screen and redrew all four panels every tick. The subviews tile this view (header, counters,
    /// panels, status line), so its own clear is skipped unless the picture as a whole is invalid; subviews that
    /// changed still draw themselves. With a modal open the library's behaviour is kept (it redraws what the
    /// modal covers in its own order).
    /// </summary>
    protected override bool OnClearingViewport()
    {
        if (_redrawAll || _modals.Count > 0)
        {
            _redrawAll = false;
            return false;
        }
        return true;
    }

    /// <summary>A layout pass moved or resized subviews (zoom, terminal resize, status line height).</summary>
    protected override void OnSubViewsLaidOut(LayoutEventArgs args)
    {
        _redrawAll = true;
        base.OnSubViewsLaidOut(args);
    }

    private IApplication? _clearedContentsSource;

    /// <summary>A forced redraw (Ctrl-L style refresh, resume after suspend) clears the driver's buffer first.</summary>
    protected override void OnIsRunningChanged(bool newIsRunning)
    {
        base.OnIsRunningChanged(newIsRunning);
        if (_clearedContentsSource?.Driver is { } old)
        {
            old.ClearedContents -= OnClearedContents;
            _clearedContentsSource = null;
        }
        if (newIsRunning && App?.Driver is { } driver)
        {
            driver.ClearedContents += OnClearedContents;
            _clearedContentsSource = App;
        }
    }

    private void OnClearedContents(object? sender, EventArgs e) => _redrawAll = true;

    /// <summary>The snapshot on the screen (null until the first one).</summary>
    public HostSnapshot? Shown { get; private set; }

    public bool Paused { get; private set; }

    /// <summary>The refresh interval now (`+` `-` change it).</summary>
    public TimeSpan RefreshInterval { get; private set; }

    /// <summary>Raised after `+` or `-` changed <see cref="RefreshInterval"/> (the app moves its timer).</summary>
    internal event Action<TimeSpan>? RefreshIntervalChanged;

    /// <summary>The theme in use (`T` cycles).</summary>
    internal Theme Theme => _theme;

    internal HeaderLine Header => _header;
    internal FilterPrompt Prompt => _prompt;
    internal TablePanel<ListenerRow> ListenersPanel => _listeners;
    internal TablePanel<HalfOpenRow> HalfOpenPanel => _halfOpen;

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

    private volatile bool _stopping;
    private readonly List<Task> _cleanups = [];

    /// <summary>
    /// After the main loop has ended: waits (bounded) for the trace removals still running, which need no UI thread.
    /// Returns false when one did not finish in time (the exit hook and the next start sweep what is left).
    /// </summary>
    internal bool WaitForCleanups(TimeSpan limit)
    {
        Task[] pending;
        lock (_cleanups)
        {
            pending = [.. _cleanups];
        }
        try
        {
            return Task.WaitAll(pending, limit);
        }
        catch (AggregateException)
        {
            return true; // finished, with an error the trace view already reported
        }
    }

    /// <summary>
    /// Ends the app from any thread (the SIGTERM handler's): every open modal and then this view get their stop flag,
    /// which their loops check each iteration. Nothing here may wait for the UI thread: a modal runs nested inside a
    /// Terminal.Gui callback that holds the library's timer lock for as long as the modal is open, so app.Invoke from
    /// another thread blocks until the modal closes (a SIGTERM during a flow trace hung that way). Idempotent.
    /// </summary>
    internal void RequestStopAll(IApplication app)
    {
        _stopping = true;
        Runnable[] open;
        lock (_modals)
        {
            open = [.. _modals];
        }
        foreach (Runnable modal in open)
        {
            app.RequestStop(modal);
        }
        app.RequestStop(this);
    }

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
        RefreshTop();
    }

    /// <summary>
    /// Only the top of the screen stack follows the snapshots (k9s habit): a covered screen stops refreshing and
    /// catches up when it is uncovered. Header and status line always follow.
    /// </summary>
    private void RefreshTop()
    {
        if (Shown is not { } snapshot)
        {
            return;
        }
        if (_modals.Count > 0)
        {
            (_modals[^1] as ILiveView)?.Refresh(snapshot);
            return;
        }
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

    /// <summary>
    /// Runs a modal over the screen until it stops (Esc), then disposes it. While it is open, new snapshots are
    /// handed to it (<see cref="ILiveView"/>); the screen under it keeps updating.
    /// </summary>
    internal void RunModal(Runnable modal)
    {
        if (modal is ModalView mv)
        {
            mv.WriteFlowRequested += WritePcap;
            mv.ScreenKeyPressed += ScreenKey;
        }
        lock (_modals)
        {
            _modals.Add(modal);
        }
        ShowHeader();
        try
        {
            // A stop requested before the modal's loop begins would be lost (the loop clears the flag as it starts);
            // the refresh tick repeats the request until everything has stopped.
            if (!_stopping)
            {
                App?.Run(modal);
            }
        }
        finally
        {
            lock (_modals)
            {
                _modals.Remove(modal);
            }
            modal.Dispose();
            RedrawAll(); // the modal's cells are still on the screen
            ShowHeader();
            // The uncovered screen catches up with the snapshot it did not follow while covered.
            RefreshTop();
        }
    }

    /// <summary>
    /// A key of <see cref="ModalView.ScreenKeys"/> pressed in a detail: it does what it does on the main screen
    /// (`s` saves the screen as drawn, which is the detail).
    /// </summary>
    private bool ScreenKey(Key key)
    {
        if (key == Key.S)
        {
            SaveSnapshot();
        }
        else if (key == Key.T.WithShift)
        {
            NextTheme();
        }
        else if (key == new Key('+') || key == new Key('='))
        {
            StepRefresh(1);
        }
        else if (key == new Key('-'))
        {
            StepRefresh(-1);
        }
        else if (key == Key.P)
        {
            TogglePause();
        }
        else
        {
            return false;
        }
        return true;
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
            case UiAction.Filter:
                OpenFilter();
                break;
            case UiAction.SortPrevious:
            case UiAction.SortNext:
                FocusedPanel.MoveSort(action == UiAction.SortNext ? 1 : -1);
                SetNote(SortText(FocusedPanel));
                break;
            case UiAction.Reverse:
                FocusedPanel.ReverseSort();
                SetNote(SortText(FocusedPanel));
                break;
            case UiAction.Slower:
            case UiAction.Faster:
                StepRefresh(action == UiAction.Slower ? 1 : -1);
                break;
            case UiAction.Theme:
                NextTheme();
                break;
            case UiAction.Pcap:
                WriteSelectedPcap();
                break;
        }
        return true;
    }

    /// <summary>The focused panel (the first one when focus is elsewhere, e.g. in the filter prompt).</summary>
    internal ISnapshotPanel FocusedPanel => _panels[_filterPanel ?? FocusedIndex()];

    private int? _filterPanel;

    private void OpenFilter()
    {
        int index = FocusedIndex();
        _filterPanel = index;
        _filterBefore = _panels[index].FilterText;
        _counters.Visible = false;
        _prompt.Open(_panels[index].Name, _filterBefore ?? "");
        ShowHeader();
    }

    private void CommitFilter(string text)
    {
        ISnapshotPanel panel = FocusedPanel;
        if (panel.TrySetFilter(text) is { } error)
        {
            _prompt.ShowError(error); // stay open: the user fixes the typo
            return;
        }
        CloseFilter(panel);
        SetNote(panel.FilterText is { } f ? $"{panel.Name}: filter /{f}" : $"{panel.Name}: filter cleared");
    }

    private void CancelFilter()
    {
        ISnapshotPanel panel = FocusedPanel;
        panel.TrySetFilter(_filterBefore ?? "");
        CloseFilter(panel);
    }

    private void CloseFilter(ISnapshotPanel panel)
    {
        _prompt.Close();
        _counters.Visible = true;
        _filterPanel = null;
        panel.Table.SetFocus();
        ShowHeader();
    }

    private static string SortText(ISnapshotPanel p) =>
        (p.SortColumn < 0 ? $"{p.Name}: worst first" : $"{p.Name}: sorted by {p.Table.Table?.ColumnNames[p.SortColumn].TrimEnd('▼', '▲')}")
        + (p.SortReversed ? " (reversed)" : "");

    /// <summary>`+` (longer) and `-` (shorter): the next step of <see cref="RefreshSteps"/>, bounded at both ends.</summary>
    internal void StepRefresh(int direction)
    {
        TimeSpan current = RefreshInterval;
        TimeSpan next = direction > 0
            ? RefreshSteps.FirstOrDefault(t => t > current, RefreshSteps[^1])
            : RefreshSteps.LastOrDefault(t => t < current, RefreshSteps[0]);
        if (next == current)
        {
            SetNote($"refresh stays {UiFormat.Interval(current)} (limits {UiFormat.Interval(RefreshSteps[0])} to {UiFormat.Interval(RefreshSteps[^1])})");
            return;
        }
        RefreshInterval = next;
        _options.RefreshIntervalChanged?.Invoke(next);
        RefreshIntervalChanged?.Invoke(next);
        ShowHeader();
        SetNote("refresh " + UiFormat.Interval(next));
    }

    /// <summary>The theme files beside the configured one, by name.</summary>
    internal IReadOnlyList<string> ThemeFiles()
    {
        string? dir = Path.GetDirectoryName(_themePath);
        if (dir is null || !Directory.Exists(dir))
        {
            return [_themePath];
        }
        List<string> files = [.. Directory.EnumerateFiles(dir, "*.json").Select(Path.GetFullPath)];
        if (!files.Contains(_themePath))
        {
            files.Add(_themePath);
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>`T`: the next theme file that loads; one that does not is named with its error and skipped.</summary>
    internal void NextTheme()
    {
        IReadOnlyList<string> files = ThemeFiles();
        int at = Math.Max(0, files.ToList().IndexOf(_themePath));
        string? skipped = null;
        for (int i = 1; i <= files.Count; i++)
        {
            string path = files[(at + i) % files.Count];
            if (path == _themePath)
            {
                break;
            }
            try
            {
                Theme theme = ThemeLoader.Load(path);
                ApplyTheme(theme);
                _themePath = path;
                SetNote($"theme {theme.Name}" + (skipped is null ? "" : $" (skipped {skipped})"));
                return;
            }
            catch (ThemeException e)
            {
                skipped = e.Message;
            }
        }
        SetNote(skipped is null ? $"theme {_theme.Name} is the only one" : $"no other theme loads: {skipped}");
    }

    private void ApplyTheme(Theme theme)
    {
        _theme = theme;
        ThemeLoader.Register(theme);
        SetScheme(theme.Base);
        _header.SetScheme(theme.Header);
        _prompt.ApplyTheme(theme);
        _status.ApplyTheme(theme);
        foreach (ISnapshotPanel p in _panels)
        {
            p.ApplyTheme(theme);
        }
        foreach (Runnable m in _modals)
        {
            (m as ModalView)?.ApplyTheme(theme);
        }
        // A theme switch does not invalidate views by itself (cheat sheet §5).
        RedrawAll();
    }

    /// <summary>`w` on the main screen: the selected row's flow (Half-open and RST feed rows have one).</summary>
    private void WriteSelectedPcap()
    {
        if (FocusedPanel.SelectedFlow is not { } flow)
        {
            SetNote($"w writes a flow's packets: select a Half-open or RST feed row ({FocusedPanel.Name} rows have no flow)");
            return;
        }
        WritePcap(flow.Local, flow.Remote);
    }

    /// <summary>Writes one flow's captured packets through <see cref="TuiOptions.WritePcap"/>; says where, or why not.</summary>
    internal void WritePcap(NetEndpoint local, NetEndpoint remote)
    {
        if (_options.WritePcap is not { } write)
        {
            SetNote("pcap export is not available here (the packet capture is off)");
            return;
        }
        try
        {
            SetNote("pcap " + write(local, remote));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SetNote($"pcap of {local} ⇄ {remote} failed: {e.Message}");
        }
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

    /// <summary>Shows <paramref name="note"/> on the status line until the next note replaces it.</summary>
    internal void SetNote(string note)
    {
        _note = note;
        _status.Set(Shown?.Sources ?? [], Hints, _note + "  ");
        if (_modals.Count > 0)
        {
            // The status line under a modal is its only place to speak (pcap path, errors).
            _status.SetNeedsDraw();
        }
    }

    private void ShowListener(ListenerRow row)
    {
        if (Shown is not { } s)
        {
            return;
        }
        RunModal(new ListenerView(_theme, s, row, _detailContext,
            r => ShowConnection(r.State.Name(), new ConnectionKey(r.Key, r.Local, r.Remote), null))
        {
            Crumb = $"Listener {row.Local}",
        });
    }

    private void ShowHalfOpen(HalfOpenRow row) =>
        ShowConnection(row.StateName, new ConnectionKey(row.Key, row.Local, row.Remote), null);

    /// <summary>
    /// The connection detail of one flow, following the snapshots by the socket's key (then by the flow), with
    /// <paramref name="extra"/> lines on top (a reset's own detail); "closed at …" when the flow has gone.
    /// </summary>
    private void ShowConnection(string state, ConnectionKey key, IReadOnlyList<string>? extra)
    {
        if (Shown is not { } s)
        {
            return;
        }
        DetailContext ctx = _detailContext;
        bool isReset = extra is not null;
        // A reset's flow is usually closed already: its detail stands on the reset, not on a socket.
        IReadOnlyList<string> lines = Connection.Lines(s, key, ctx, extra, requireSocket: !isReset)
            ?? [.. extra ?? [], "", $"socket   none for {key.Local} → {key.Remote}"];
        string crumb = $"{key.Local} → {key.Remote}";
        RunModal(new DetailView(isReset ? $"Reset {crumb}" : $"{state} {crumb}", _theme, lines,
            snap => Connection.Lines(snap, key, ctx, extra, requireSocket: !isReset), goneWord: "closed",
            hints: "Esc back  ↑↓ PgUp PgDn scroll  w write pcap")
        {
            Crumb = isReset ? "Reset " + crumb : crumb,
            Flow = (key.Local, key.Remote),
        });
    }

    private void ShowReset(ResetRow row) =>
        ShowConnection("", new ConnectionKey(null, row.Event.Local, row.Event.Remote), Details.Reset(row));

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
        TraceView view = new(trace, _theme) { Flow = (row.Local, row.Remote) }; // `w` writes the traced flow's packets
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
            // Tracked: when the app is stopping, its loop ends before this removal does, and the process must not
            // exit with the trace rules still in the kernel (TuiApp waits for these once the loop has ended).
            Task removal = trace.DisposeAsync().AsTask();
            lock (_cleanups)
            {
                _cleanups.Add(removal);
            }
            await removal;
            SetNote("trace stopped, its rules removed");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SetNote("trace cleanup failed: " + e.Message);
        }
    }

    private void ShowHeader()
    {
        string refresh = RefreshInterval == _options.RefreshInterval ? _options.RefreshText : UiFormat.Interval(RefreshInterval);
        string mode;
        TimeSpan quiet = _options.Clock.GetUtcNow() - _shownAt;
        if (Paused)
        {
            mode = "PAUSED";
        }
        else if (_options.ModeText is { } modeText)
        {
            mode = modeText();
        }
        else if (Shown is not null && quiet > 3 * RefreshInterval && quiet > TimeSpan.FromSeconds(2))
        {
            // The hub publishes every tick; silence means a refresh is stuck (see the status line).
            mode = $"STALE (no data for {Format.Duration((long)quiet.TotalMilliseconds)})";
        }
        else
        {
            mode = "LIVE";
        }
        string time = Shown is { } shown
            ? "  " + shown.TakenAt.ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)
            : "";
        string info, shortInfo;
        if (Shown is { } s)
        {
            info = $"NetTop  {s.Host}  netns {s.Netns}  kernel {s.Kernel}  refresh {refresh}  {mode}{time}";
            shortInfo = $"NetTop {s.Host} {s.Netns} {refresh} {mode}{time}";
        }
        else
        {
            info = $"NetTop  refresh {refresh}  {mode}";
            shortInfo = info;
        }
        _header.Set(info, shortInfo, Breadcrumb());
    }

    /// <summary>"Half-open /port:80 › SYN_SENT 10.0.0.1:5000 → 10.0.0.2:80": the focused panel, then each open screen.</summary>
    internal string Breadcrumb()
    {
        ISnapshotPanel p = FocusedPanel;
        StringBuilder sb = new("│ ");
        sb.Append(p.Name);
        if (p.FilterText is { } f)
        {
            sb.Append(" /").Append(f);
        }
        if (_zoomed is not null)
        {
            sb.Append(" (zoomed)");
        }
        foreach (Runnable m in _modals)
        {
            sb.Append(" › ").Append(m is ModalView mv ? mv.Crumb : m.Title);
        }
        return sb.ToString();
    }
}
