using System.Runtime.CompilerServices;
using NetTop.Model.Resets;

namespace NetTop.Capture.Packets;

/// <summary>
/// A bounded ring of <see cref="PacketEvent"/> structs between the capture's reader thread and one
/// subscriber: the reader writes a whole block's packets under one lock, the subscriber drains under one lock.
/// When full the oldest packets are dropped and counted (nothing NetTop buffers grows without bound). The
/// generic <see cref="EventRing{T}"/> takes its lock per item; at a reset flood that was one lock per packet.
/// </summary>
public sealed class PacketEventRing
{
    private readonly PacketEvent[] _items;
    private readonly Lock _lock = new();
    private int _head; // index of the oldest
    private int _count;
    private long _dropped;
    private long _written;

    public PacketEventRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _items = new PacketEvent[capacity];
        // Commit the pages now: a flood's first pass through a fresh array would fault them in one by one.
        Array.Clear(_items);
    }

    public int Capacity => _items.Length;

    /// <summary>Packets overwritten because the subscriber was too slow, since the ring was made.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public void Write(in PacketEvent item) => Write(new ReadOnlySpan<PacketEvent>(in item));

    /// <summary>Appends <paramref name="items"/> in order; the oldest entries make room when the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Write(ReadOnlySpan<PacketEvent> items)
    {
        if (items.IsEmpty) return;
        lock (_lock)
        {
            int cap = _items.Length;
            if (items.Length > cap)
            {
                _dropped += items.Length - cap;
                items = items[^cap..];
            }
            int overflow = _count + items.Length - cap;
            if (overflow > 0)
            {
                _head = (_head + overflow) % cap;
                _count -= overflow;
                _dropped += overflow;
            }
            int tail = (_head + _count) % cap;
            int first = Math.Min(items.Length, cap - tail);
            items[..first].CopyTo(_items.AsSpan(tail));
            items[first..].CopyTo(_items);
            _count += items.Length;
            _written += items.Length;
        }
    }

    /// <summary>Moves every entry, oldest first, into <paramref name="into"/>; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Drain(List<PacketEvent> into)
    {
        lock (_lock)
        {
            int n = _count;
            int first = Math.Min(n, _items.Length - _head);
            into.AddRange(_items.AsSpan(_head, first));
            into.AddRange(_items.AsSpan(0, n - first));
            _head = (_head + n) % _items.Length;
            _count = 0;
            return n;
        }
    }
}
