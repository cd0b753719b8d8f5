using System.Collections.Immutable;
using NetTop.Model.Snapshot;
using NetTop.Model.Tables;
using NetTop.Tui.Themes;
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
    private readonly Scheme _emptyNormal;
    private readonly Scheme _emptyProblem;

    public TablePanel(PanelSpec<T> spec, Theme theme)
    {
        _spec = spec;
        // Titles carry data ("SYN_RECV", totals): no hotkey parsing of underscores.
        HotKeySpecifier = new System.Text.Rune(0xFFFF);
        Title = spec.Title;
        TabStop = TabBehavior.TabGroup;
        SetScheme(theme.Panel);

        _source = new ColumnTableSource<T>(spec.Columns, spec.Key);
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
                MinWidth = col.Header.Length,
                MaxWidth = spec.MaxCellWidth > 0 ? Math.Max(spec.MaxCellWidth, col.Header.Length) : int.MaxValue,
            };
        }

        // One scheme per severity, built once: the row color getter runs for every visible row of every draw.
        // The selected row keeps the table's Focus/Active colors so the cursor stays visible on any row.
        Severity[] all = Enum.GetValues<Severity>();
        _rowSchemes = new Scheme[all.Length];
        foreach (Severity s in all)
        {
            _rowSchemes[(int)s] = theme.Table with { Normal = theme.For(s) };
        }
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

        // Enter (or a double click) on a row: the screen opens its detail.
        Table.Accepted += (_, _) =>
        {
            if (SelectedRow is { } row)
            {
                RowActivated?.Invoke(row);
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

    public FrameView PanelView => this;
    public TableView Table { get; }
    internal ColumnTableSource<T> Source => _source;
    internal string? WarningText => _warning.Visible ? _warning.Text : null;

    public void Show(HostSnapshot snapshot)
    {
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

        _source.SetRows(_spec.Rows(snapshot));
        _empty.Visible = _source.Rows == 0;
        if (_spec.TitleOf is { } titleOf)
        {
            string title = titleOf(snapshot);
            if (title != Title)
            {
                Title = title;
            }
        }
        if (_empty.Visible)
        {
            (string text, bool problem) = _spec.Empty(snapshot);
            if (text != _empty.Text)
            {
                _empty.Text = text;
                _empty.SetScheme(problem ? _emptyProblem : _emptyNormal);
            }
        }

        if (key is { } k && _source.IndexOfKey(k) is var row and >= 0)
        {
            Table.SetSelection(0, row, false);
            Table.RowOffset = Math.Max(0, row - Math.Max(0, screenRow));
        }
        else if (key is not null || (selectedRow < 0 && _source.Rows > 0))
        {
            // The selected row vanished (or rows arrived in an empty table): start again from the worst row
            // (rows are sorted worst first), so Enter works without moving first.
            Table.SetSelection(0, 0, false);
            Table.RowOffset = 0;
        }
        Table.Update();
    }
}
