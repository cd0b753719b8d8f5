using System.Collections;

namespace NetTop.Model.Sockets;

/// <summary>
/// Every socket of one reading, in one array. Read rows by reference (<c>ref readonly var s = ref table[i]</c>)
/// on hot paths; the <see cref="IReadOnlyList{T}"/> view copies and is for tests and cold code. Immutable once
/// built: snapshots share it by reference.
/// </summary>
[System.Runtime.CompilerServices.CollectionBuilder(typeof(SocketTable), nameof(From))]
public sealed class SocketTable : IReadOnlyList<TcpSocket>
{
    private readonly TcpSocket[] _rows;

    public static readonly SocketTable Empty = new([], 0);

    internal SocketTable(TcpSocket[] rows, int count)
    {
        _rows = rows;
        Count = count;
    }

    public int Count { get; }

    public ref readonly TcpSocket this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return ref _rows[index];
        }
    }

    TcpSocket IReadOnlyList<TcpSocket>.this[int index] => this[index];

    public ReadOnlySpan<TcpSocket> Span => _rows.AsSpan(0, Count);

    public static SocketTable From(ReadOnlySpan<TcpSocket> rows) => new(rows.ToArray(), rows.Length);

    public static implicit operator SocketTable(TcpSocket[] rows) => From(rows);

    public static implicit operator SocketTable(List<TcpSocket> rows) => From(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));

    public IEnumerator<TcpSocket> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return _rows[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Grows one array of rows that a parser fills in place; <see cref="Build"/> hands it over.</summary>
public sealed class SocketTableBuilder
{
    private TcpSocket[] _rows;
    private int _count;

    public SocketTableBuilder(int capacity = 256) => _rows = new TcpSocket[Math.Max(16, capacity)];

    public int Count => _count;

    /// <summary>A zeroed row at the end, to be filled in place.</summary>
    public ref TcpSocket Add()
    {
        if (_count == _rows.Length)
        {
            Array.Resize(ref _rows, _rows.Length * 2);
        }
        _rows[_count] = default;
        return ref _rows[_count++];
    }

    /// <summary>Drops the row <see cref="Add"/> returned last (it did not parse).</summary>
    public void RemoveLast() => _count--;

    public void Clear() => _count = 0;

    public ref readonly TcpSocket this[int index] => ref _rows[index];

    /// <summary>The table of what was added; the builder starts a new array afterwards.</summary>
    public SocketTable Build()
    {
        SocketTable t = new(_rows, _count);
        _rows = new TcpSocket[Math.Max(16, _count + _count / 8)];
        _count = 0;
        return t;
    }
}
