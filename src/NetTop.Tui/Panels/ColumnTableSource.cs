using System.Collections.Immutable;
using NetTop.Model.Tables;
using Terminal.Gui.Views;

namespace NetTop.Tui.Panels;

/// <summary>
/// An <see cref="ITableSource"/> over a snapshot's rows whose cells are the model's <see cref="Column{T}"/>
/// functions, so the screen shows the same text as the text snapshot. One instance lives as long as its table;
/// each snapshot swaps the row array in (no copy: snapshots are immutable).
/// </summary>
internal sealed class ColumnTableSource<T> : ITableSource
{
    private readonly ImmutableArray<Column<T>> _columns;
    private readonly Func<T, ulong> _key;
    private readonly string[] _names;
    private ImmutableArray<T> _rows = [];

    public ColumnTableSource(ImmutableArray<Column<T>> columns, Func<T, ulong> key)
    {
        _columns = columns;
        _key = key;
        _names = [.. columns.Select(c => c.Header)];
    }

    public int Rows => _rows.Length;
    public int Columns => _columns.Length;
    public string[] ColumnNames => _names;
    public ImmutableArray<Column<T>> ColumnDefinitions => _columns;

    // TableView asks only for visible cells (~150 per draw), so computing the text here is cheaper than
    // formatting every row of every snapshot.
    public object this[int row, int col] => _columns[col].Cell(_rows[row]);

    public T RowAt(int row) => _rows[row];

    public ulong KeyAt(int row) => _key(_rows[row]);

    public void SetRows(ImmutableArray<T> rows) => _rows = rows.IsDefault ? [] : rows;

    /// <summary>The row holding <paramref name="key"/>, or -1.</summary>
    public int IndexOfKey(ulong key)
    {
        for (int i = 0; i < _rows.Length; i++)
        {
            if (_key(_rows[i]) == key)
            {
                return i;
            }
        }
        return -1;
    }
}
