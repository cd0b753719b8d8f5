using System.Runtime.CompilerServices;
using NetTop.Model.Resets;

namespace NetTop.Capture.Packets;

/// <summary>
/// A bounded ring of <see cref="PacketEvent"/> structs between the capture's reader thread and one
/// subscriber: the reader writes a whole block's packets under one lock, the subscriber drains under one lock.
/// When full the oldest packets are dropped and counted (nothing NetTop buffers grows without bound). The
/// generic <see cref="EventRing{T}"/> takes its lock per item; at a reset flood that was one lock per packet.
/// A consumer does not poll it: its thread blocks in <see cref="Wait"/> until the reader publishes (once per retired
/// block at most), so a capture with nothing to deliver wakes no thread at all; a periodic drain cost a wake-up per
/// tick (~0.5-1 ms each on a paravirtualized VM, 20x tcpdump's whole CPU under a filtered data flood). The wait is
/// a plain blocking one on a dedicated thread, not an awaited task: a thread-pool continuation per block also woke a
/// pool worker and the pool's gate thread (measured: 3x the wake-ups).
/// </summary>
public sealed class PacketEventRing
{
    private readonly PacketEvent[] _items;
    private readonly Lock _lock = new();
    private int _head; // index of the oldest
    private int _count;
    private long _dropped;
    private long _written;
    // Set by every Write, reset by the consumer before it drains: level-triggered. No spinning before blocking:
    // a wait here is for the next block, milliseconds away at least.
    private readonly ManualResetEventSlim _published = new(false, spinCount: 0);

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
        _published.Set(); // wakes a waiting consumer; a no-op while it is already set
    }

    /// <summary>
    /// Blocks until the ring holds packets (returns at once when it does now), then re-arms: a consumer loops
    /// <c>Wait</c>, <see cref="Drain"/>, and misses nothing (a write between its drain and its next wait makes that
    /// wait return at once). False when <paramref name="ct"/> was cancelled.
    /// </summary>
    public bool Wait(CancellationToken ct)
    {
        try
        {
            _published.Wait(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        _published.Reset();
        return true;
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
