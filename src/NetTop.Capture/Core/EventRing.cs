using Nito.Collections;

namespace NetTop.Capture;

/// <summary>
/// A bounded ring between an event source's thread and the hub: when full, the oldest entry is dropped and
/// counted. Nothing NetTop buffers grows without bound.
/// </summary>
public sealed class EventRing<T>
{
    private readonly Deque<T> _items;
    private readonly int _capacity;
    private readonly Lock _lock = new();
    private long _dropped;
    private long _written;

    public EventRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        _items = new Deque<T>(Math.Min(capacity, 1024));
    }

    public int Capacity => _capacity;

    /// <summary>Entries overwritten because the reader was too slow, since the ring was made.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public void Write(T item)
    {
        lock (_lock)
        {
            if (_items.Count == _capacity)
            {
                _items.RemoveFromFront();
                _dropped++;
            }
            _items.AddToBack(item);
            _written++;
        }
    }

    /// <summary>Moves every entry, oldest first, into <paramref name="into"/>; returns how many.</summary>
    public int Drain(List<T> into)
    {
        lock (_lock)
        {
            int n = _items.Count;
            while (_items.Count > 0)
            {
                into.Add(_items.RemoveFromFront());
            }
            return n;
        }
    }
}
