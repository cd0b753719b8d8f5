using System.Collections.Immutable;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;
using NetTop.Model.Tables;
using NetTop.Tui.Themes;
using Terminal.Gui.Input;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace NetTop.Tui.Panels;

/// <summary>The screen side of a panel: non-generic so screens can hold a list of them.</summary>
internal interface ISnapshotPanel
{
    FrameView PanelView { get; }
    TableView Table { get; }
    string Title { get; }
    /// <summary>The panel's name without totals or filter, for the breadcrumb and prompts.</summary>
    string Name { get; }
    /// <summary>The `/` filter as typed, or null.</summary>
    string? FilterText { get; }
    /// <summary>Sets the filter from the prompt's text; returns null, or why the text is not a filter (the old one stays).</summary>
    string? TrySetFilter(string text);
    /// <summary>`&lt;` `&gt;`: moves the sort column by <paramref name="step"/> through "model order" and each column.</summary>
    void MoveSort(int step);
    /// <summary>`r`: reverses the order.</summary>
    void ReverseSort();
    int SortColumn { get; }
    bool SortReversed { get; }
    /// <summary>The flow (local, remote) of the selected row, or null when the row has none.</summary>
    (NetEndpoint Local, NetEndpoint Remote)? SelectedFlow { get; }
    void ApplyTheme(Theme theme);
    void Show(HostSnapshot snapshot);
}

/// <summary>
/// A framed table over one kind of row. It keeps one <see cref="TableView"/> and one source for its life; a new
/// snapshot swaps the rows in and puts the selection back on the same key (k9s/htop habit: screens hold keys).
/// </summary>
internal sealed class TablePanel<T> : FrameView, ISnapshotPanel
    where T : class
{
    private readonly PanelSpec<T> _spec;
    private readonly ColumnTableSource<T> _source;
    private readonly DataLabel _warning;
    private readonly DataLabel _empty;
    private readonly Scheme[] _rowSchemes;
    private Scheme _emptyNormal;
    private Scheme _emptyProblem;
    private bool _emptyIsProblem;
    private string _baseTitle;
    private HostSnapshot? _lastSnapshot;

    public TablePanel(PanelSpec<T> spec, Theme theme)
    {
        _spec = spec;
        // Titles carry data ("SYN_RECV", totals): no hotkey parsing of underscores.
        HotKeySpecifier = new System.Text.Rune(0xFFFF);
        Title = spec.Title;
        _baseTitle = spec.Title;
        TabStop = TabBehavior.TabGroup;
        SetScheme(theme.Panel);

        _source = new ColumnTableSource<T>(spec.Columns, spec.Key, spec.SortKeys);
        Table = new PanelTableView(_source)
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
            Height = Dim.Fill(),
            FullRowSelect = true,
            MultiSelect = false,
            // The default navigator eats letters for type-to-search; `q`, `p` must reach the screen's keys.
            CollectionNavigator = null,
        };
        Table.SetScheme(theme.Table);
        Table.Style.AlwaysShowHeaders = true;
        Table.Style.ShowHorizontalHeaderOverline = false;
        Table.Style.ShowHorizontalHeaderUnderline = false;
        Table.Style.ShowHorizontalBottomLine = false;
        Table.Style.ShowVerticalCellLines = false;
        Table.Style.ShowVerticalHeaderLines = false;
        Table.Style.ExpandLastColumn = false;
        for (int c = 0; c < spec.Columns.Length; c++)
        {
            Column<T> col = spec.Columns[c];
            Table.Style.ColumnStyles[c] = new ColumnStyle
            {
                Alignment = col.AlignRight ? Alignment.End : Alignment.Start,
                // +1: room for the sort indicator, so choosing a sort column does not shift the others.
                MinWidth = col.Header.Length + 1,
                MaxWidth = spec.MaxCellWidth > 0 ? Math.Max(spec.MaxCellWidth, col.Header.Length) : int.MaxValue,
            };
        }

        // One scheme per severity, built once: the row color getter runs for every visible row of every draw.
        // The selected row keeps the table's Focus/Active colors so the cursor stays visible on any row.
        _rowSchemes = new Scheme[Enum.GetValues<Severity>().Length];
        FillRowSchemes(theme);
        Table.Style.RowColorGetter = a =>
            a.RowIndex >= 0 && a.RowIndex < _source.Rows ? _rowSchemes[(int)_spec.Severity(_source.RowAt(a.RowIndex))] : null;

        // Wraps: the reason is the point of the line, and it is longer than an 80-column panel.
        _warning = new DataLabel { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Auto(DimAutoStyle.Text), Visible = false };
        _warning.TextFormatter.WordWrap = true;
        _warning.SetScheme(theme.Panel with { Normal = theme.Warning });
        // Below the header row of the (empty) table; wraps, since a source's reason is longer than a panel.
        _empty = new DataLabel { X = 1, Y = 1, Width = Dim.Fill(), Height = Dim.Auto(DimAutoStyle.Text), Text = spec.EmptyText, Visible = true };
        _empty.TextFormatter.WordWrap = true;
        _emptyNormal = theme.Panel;
        _emptyProblem = theme.Panel with { Normal = theme.Warning };
        _empty.SetScheme(_emptyNormal);

        // Enter (or a double click) on a row: the screen opens its detail.
        Table.Accepted += (_, _) =>
        {
            if (SelectedRow is { } row)
            {
                RowActivated?.Invoke(row);
            }
        };

        // A click on a row of an unfocused panel selects it and focuses the panel (TableView does both on a
        // press). The wheel moves the selection three rows, as in htop, so the rows under the pointer scroll
        // and Enter opens what is highlighted.
        Table.MouseEvent += (_, m) =>
        {
            if (m.IsWheel && _source.Rows > 0)
            {
                int step = m.Flags.HasFlag(MouseFlags.WheeledDown) ? 3 : m.Flags.HasFlag(MouseFlags.WheeledUp) ? -3 : 0;
                int current = Table.Value is { } v && v.SelectedCell.Y >= 0 ? v.SelectedCell.Y : 0;
                Table.SetSelection(0, Math.Clamp(current + step, 0, _source.Rows - 1), false);
                Table.EnsureCursorIsVisible();
                Table.SetNeedsDraw();
                m.Handled = step != 0;
            }
        };

        Add(Table, _warning, _empty);
    }

    /// <summary>Enter on a row.</summary>
    public event Action<T>? RowActivated;

    /// <summary>The selected row, or null when the table is empty.</summary>
    public T? SelectedRow
    {
        get
        {
            TableSelection? sel = Table.Value;
            return sel is { } s && s.SelectedCell.Y >= 0 && s.SelectedCell.Y < _source.Rows ? _source.RowAt(s.SelectedCell.Y) : default;
        }
    }

    internal PanelSpec<T> Spec => _spec;
    internal string EmptyText => _empty.Text;

    public string Name => _spec.Title;

    public string? FilterText => _source.Filter?.Text;

    public int SortColumn => _source.SortColumn;

    public bool SortReversed => _source.Reversed;

    public (NetEndpoint Local, NetEndpoint Remote)? SelectedFlow =>
        SelectedRow is { } r && _spec.Flow is { } flow ? flow(r) : null;

    public FrameView PanelView => this;
    public TableView Table { get; }
    internal ColumnTableSource<T> Source => _source;
    internal string? WarningText => _warning.Visible ? _warning.Text : null;

    public string? TrySetFilter(string text)
    {
        RowFilter<T>? filter = RowFilter<T>.Parse(text, _spec.Columns, _spec.Fields, out string? error);
        if (error is not null)
        {
            return error;
        }
        Reorder(() => _source.SetFilter(filter));
        return null;
    }

    public void MoveSort(int step)
    {
        // -1 (the model's order, worst first) is one of the stops.
        int n = _spec.Columns.Length + 1;
        int next = (_source.SortColumn + 1 + step % n + n) % n - 1;
        Reorder(() => _source.SetSort(next, reversed: false));
    }

    public void ReverseSort() => Reorder(() => _source.SetSort(_source.SortColumn, !_source.Reversed));

    public void ApplyTheme(Theme theme)
    {
        SetScheme(theme.Panel);
        Table.SetScheme(theme.Table);
        FillRowSchemes(theme);
        _warning.SetScheme(theme.Panel with { Normal = theme.Warning });
        _emptyNormal = theme.Panel;
        _emptyProblem = theme.Panel with { Normal = theme.Warning };
        _empty.SetScheme(_emptyIsProblem ? _emptyProblem : _emptyNormal);
        SetNeedsDraw();
        Table.SetNeedsDraw();
    }

    private void FillRowSchemes(Theme theme)
    {
        foreach (Severity s in Enum.GetValues<Severity>())
        {
            _rowSchemes[(int)s] = theme.Table with { Normal = theme.For(s) };
        }
    }

    /// <summary>Runs a change of the row order and keeps the selected row selected (by key) where it still is.</summary>
    private void Reorder(Action change)
    {
        TableSelection? sel = Table.Value;
        int selectedRow = sel is { } s0 && s0.SelectedCell.Y >= 0 && s0.SelectedCell.Y < _source.Rows ? s0.SelectedCell.Y : -1;
        ulong? key = selectedRow >= 0 ? _source.KeyAt(selectedRow) : null;
        change();
        Restore(key, -1, selectedRow);
        UpdateTitle();
        UpdateEmpty(null);
    }

    /// <summary>
    /// What the table showed when it was last invalidated: row count, first row, selected row, then each visible
    /// row's severity and cells. A tick whose rows draw the same text leaves the table (and so its panel) undrawn.
    /// </summary>
    private readonly List<string> _shown = [];
    private readonly List<string> _showing = [];

    /// <summary>True when the table would now draw something else than at its last invalidation.</summary>
    private bool ShownChanged()
    {
        _showing.Clear();
        int first = Table.RowOffset;
        int selected = Table.Value is { } sel ? sel.SelectedCell.Y : -1;
        _showing.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_source.Rows} {first} {selected}"));
        _showing.AddRange(_source.ColumnNames);
        // Viewport.Height counts the header line too: one row more than is visible, which only costs a compare.
        int end = Math.Min(_source.Rows, first + Math.Max(0, Table.Viewport.Height));
        for (int r = Math.Max(0, first); r < end; r++)
        {
            _showing.Add(((int)_spec.Severity(_source.RowAt(r))).ToString(System.Globalization.CultureInfo.InvariantCulture));
            for (int c = 0; c < _source.Columns; c++)
            {
                _showing.Add(_source[r, c]?.ToString() ?? "");
            }
        }
        if (_showing.SequenceEqual(_shown))
        {
            return false;
        }
        _shown.Clear();
        _shown.AddRange(_showing);
        return true;
    }

    /// <param name="onlyIfChanged">A tick: leave the table undrawn when it would draw the same text.</param>
    private void Restore(ulong? key, int screenRow, int selectedRow, bool onlyIfChanged = false)
    {
        if (key is { } k && _source.IndexOfKey(k) is var row and >= 0)
        {
            Table.SetSelection(0, row, false);
            Table.RowOffset = screenRow >= 0 ? Math.Max(0, row - screenRow) : Math.Max(0, Math.Min(Table.RowOffset, row));
            if (screenRow < 0)
            {
                Table.EnsureCursorIsVisible();
            }
        }
        else if (key is not null || (selectedRow < 0 && _source.Rows > 0))
        {
            // The selected row vanished (or rows arrived in an empty table): start again from the first row
            // (the worst one in the model's order), so Enter works without moving first.
            Table.SetSelection(0, 0, false);
            Table.RowOffset = 0;
        }
        if (ShownChanged() || !onlyIfChanged)
        {
            Table.Update();
            ShownChanged(); // Update may have clamped the first row: remember what will be drawn
        }
    }

    private void UpdateTitle()
    {
        string title = _baseTitle;
        if (_source.Filter is { } f)
        {
            title += $" /{f.Text} ({_source.Rows.ToString(System.Globalization.CultureInfo.InvariantCulture)} of {_source.TotalRows.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
        }
        if (_source.SortColumn < 0 && _source.Reversed)
        {
            title += " [reversed]";
        }
        if (title != Title)
        {
            Title = title;
        }
    }

    private void UpdateEmpty(HostSnapshot? snapshot)
    {
        snapshot ??= _lastSnapshot;
        _empty.Visible = _source.Rows == 0;
        if (!_empty.Visible || snapshot is null)
        {
            return;
        }
        (string text, bool problem) = _source.TotalRows > 0
            ? ($"no rows match /{_source.Filter?.Text} ({_source.TotalRows.ToString(System.Globalization.CultureInfo.InvariantCulture)} hidden; / then Enter on an empty line clears)", false)
            : _spec.Empty(snapshot);
        if (text != _empty.Text || problem != _emptyIsProblem)
        {
            _empty.Text = text;
            _emptyIsProblem = problem;
            _empty.SetScheme(problem ? _emptyProblem : _emptyNormal);
        }
    }

    public void Show(HostSnapshot snapshot)
    {
        _lastSnapshot = snapshot;
        string? warning = _spec.Warning(snapshot);
        if (warning != _warning.Text || _warning.Visible != warning is not null)
        {
            _warning.Text = warning ?? "";
            _warning.Visible = warning is not null;
            Table.Y = warning is null ? 0 : Pos.Bottom(_warning);
            _empty.Y = warning is null ? 1 : Pos.Bottom(_warning) + 1;
        }

        TableSelection? sel = Table.Value;
        int selectedRow = sel is { } s0 && s0.SelectedCell.Y >= 0 && s0.SelectedCell.Y < _source.Rows ? s0.SelectedCell.Y : -1;
        ulong? key = selectedRow >= 0 ? _source.KeyAt(selectedRow) : null;
        int screenRow = selectedRow - Table.RowOffset;
        if (selectedRow == 0 && _spec.FollowNewest && _source.SortColumn < 0 && !_source.Reversed)
        {
            key = null; // stay on the newest row (see PanelSpec.FollowNewest)
            selectedRow = -1;
        }

        _source.SetRows(_spec.Rows(snapshot));
        if (_spec.TitleOf is { } titleOf)
        {
            _baseTitle = titleOf(snapshot);
        }
        UpdateTitle();
        UpdateEmpty(snapshot);
        Restore(key, Math.Max(0, screenRow), selectedRow, onlyIfChanged: true);
    }
}