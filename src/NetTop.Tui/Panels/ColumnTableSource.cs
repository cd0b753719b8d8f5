using System.Collections.Immutable;
using NetTop.Model.Tables;
using Terminal.Gui.Views;

namespace NetTop.Tui.Panels;

/// <summary>
/// An <see cref="ITableSource"/> over a snapshot's rows whose cells are the model's <see cref="Column{T}"/>
/// functions, so the screen shows the same text as the text snapshot. One instance lives as long as its table;
/// each snapshot swaps the row array in (no copy: snapshots are immutable) and rebuilds an index array of the
/// rows that pass the filter, in the chosen sort order (the model's order, worst first, when none is chosen).
/// </summary>
internal sealed class ColumnTableSource<T> : ITableSource
{
    /// <summary>Marks the sorted column's header: descending (biggest first) or ascending.</summary>
    public const char Descending = '▼';
    public const char Ascending = '▲';

    private readonly ImmutableArray<Column<T>> _columns;
    private readonly ImmutableArray<Func<T, SortKey>> _sortKeys;
    private readonly ImmutableArray<bool> _descendingFirst;
    private readonly Func<T, ulong> _key;
    private readonly string[] _headers;
    private readonly string[] _names;
    private ImmutableArray<T> _rows = [];
    private int[] _order = [];
    private int _count;
    private (SortKey, int)[] _keyed = [];

    // Array.Sort is not stable: ties go by the model's order (the row index) so equal rows do not swap between ticks.
    private static readonly IComparer<(SortKey Key, int Index)> s_ascending = Comparer<(SortKey Key, int Index)>.Create(
        static (a, b) => a.Key.CompareTo(b.Key) is var c and not 0 ? c : a.Index.CompareTo(b.Index));
    private static readonly IComparer<(SortKey Key, int Index)> s_descending = Comparer<(SortKey Key, int Index)>.Create(
        static (a, b) => b.Key.CompareTo(a.Key) is var c and not 0 ? c : a.Index.CompareTo(b.Index));

    public ColumnTableSource(ImmutableArray<Column<T>> columns, Func<T, ulong> key,
        ImmutableArray<Func<T, SortKey>> sortKeys = default)
    {
        _columns = columns;
        _key = key;
        _headers = [.. columns.Select(c => c.Header)];
        _names = [.. _headers];
        // A column without its own key sorts by its text.
        _sortKeys = [.. columns.Select((c, i) => !sortKeys.IsDefault && i < sortKeys.Length && sortKeys[i] is { } f
            ? f : (Func<T, SortKey>)(r => SortKey.Of(c.Cell(r))))];
        // Numbers (right-aligned columns) sort biggest first, like top; text A to Z.
        _descendingFirst = [.. columns.Select(c => c.AlignRight)];
    }

    public int Rows => _count;
    public int Columns => _columns.Length;
    public string[] ColumnNames => _names;
    public ImmutableArray<Column<T>> ColumnDefinitions => _columns;

    /// <summary>Rows in the snapshot before the filter.</summary>
    public int TotalRows => _rows.Length;

    /// <summary>The sort column, or -1 for the model's order (worst first).</summary>
    public int SortColumn { get; private set; } = -1;

    /// <summary>True when the order is the reverse of the column's natural one (or of the model's).</summary>
    public bool Reversed { get; private set; }

    public RowFilter<T>? Filter { get; private set; }

    // TableView asks only for visible cells (~150 per draw), so computing the text here is cheaper than
    // formatting every row of every snapshot.
    public object this[int row, int col] => _columns[col].Cell(_rows[_order[row]]);

    public T RowAt(int row) => _rows[_order[row]];

    public ulong KeyAt(int row) => _key(_rows[_order[row]]);

    public void SetRows(ImmutableArray<T> rows)
    {
        _rows = rows.IsDefault ? [] : rows;
        Rebuild();
    }

    public void SetFilter(RowFilter<T>? filter)
    {
        Filter = filter;
        Rebuild();
    }

    /// <summary>Sorts by <paramref name="column"/> (-1: the model's order) in its natural direction, or reversed.</summary>
    public void SetSort(int column, bool reversed)
    {
        SortColumn = Math.Clamp(column, -1, _columns.Length - 1);
        Reversed = reversed;
        for (int c = 0; c < _names.Length; c++)
        {
            _names[c] = c != SortColumn ? _headers[c]
                : _headers[c] + (_descendingFirst[c] != reversed ? Descending : Ascending);
        }
        Rebuild();
    }

    /// <summary>The row holding <paramref name="key"/>, or -1.</summary>
    public int IndexOfKey(ulong key)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_key(_rows[_order[i]]) == key)
            {
                return i;
            }
        }
        return -1;
    }

    private void Rebuild()
    {
        if (_order.Length < _rows.Length)
        {
            _order = new int[_rows.Length];
        }
        _count = 0;
        RowFilter<T>? filter = Filter;
        for (int i = 0; i < _rows.Length; i++)
        {
            if (filter is null || filter.Matches(_rows[i]))
            {
                _order[_count++] = i;
            }
        }
        Span<int> order = _order.AsSpan(0, _count);
        if (SortColumn >= 0)
        {
            if (_keyed.Length < _count)
            {
                _keyed = new (SortKey, int)[_order.Length];
            }
            Func<T, SortKey> keyOf = _sortKeys[SortColumn];
            for (int i = 0; i < _count; i++)
            {
                _keyed[i] = (keyOf(_rows[order[i]]), order[i]);
            }
            Array.Sort(_keyed, 0, _count, _descendingFirst[SortColumn] != Reversed ? s_descending : s_ascending);
            for (int i = 0; i < _count; i++)
            {
                order[i] = _keyed[i].Item2;
            }
        }
        else if (Reversed)
        {
            order.Reverse();
        }
    }
}
