using System.Runtime.CompilerServices;

namespace NetTop.Model.Packets;

/// <summary>
/// The newest fact per flow (<see cref="FlowKey"/>) for the capture's per-packet memories (recent RSTs, recent
/// SYNs): at most <see cref="Capacity"/> flows, the least recently updated forgotten first, and optionally those
/// updated before a cutoff (<see cref="Prune"/>). Entries sit in a ring in update order: an update of an older entry
/// moves it to the head (its old place becomes a hole the tail skips), a new flow takes the head and, when the ring
/// is full, evicts the tail. All of it is allocated at construction (never touched until used, so an idle NetTop
/// does not pay for it in RSS) and a flood of new 4-tuples allocates nothing: the writes walk the ring in order
/// and the lookups go through a <see cref="FlowKeyIndex"/>. <typeparamref name="T"/> must hold no references
/// (it is kept in a long-lived array: references there would cost the GC on every write).
/// Not thread-safe.
/// </summary>
public sealed class RecentFlowTable<T> where T : unmanaged
{
    private struct Entry
    {
        public long At;
        public T Value;
        public bool Live;
    }

    private readonly Entry[] _ring;
    private readonly FlowKey[] _keys; // by ring slot, read by the index
    private readonly FlowKeyIndex _index;
    private int _head; // the slot the next entry takes
    private int _used; // slots from the tail to the head, live or holes
    private int _count; // live entries

    public RecentFlowTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _ring = new Entry[capacity];
        _keys = new FlowKey[capacity];
        _index = new FlowKeyIndex(capacity, _keys);
    }

    public int Capacity { get; }

    /// <summary>Flows remembered now.</summary>
    public int Count => _count;

    /// <summary>The table's memory bound in bytes (allocated once).</summary>
    public long BytesReserved => (long)Capacity * (Unsafe.SizeOf<Entry>() + Unsafe.SizeOf<FlowKey>()) + _index.Bytes;

    /// <summary>Flows forgotten because the table was full (not by <see cref="Prune"/> or <see cref="Remove"/>).</summary>
    public long Evicted { get; private set; }

    /// <summary>
    /// The value of <paramref name="key"/>, made the newest with time <paramref name="at"/> (the newer of it and the
    /// entry's own); a new flow starts from <c>default</c> (<paramref name="added"/>). The reference is valid until the
    /// next change to the table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ref T Upsert(in FlowKey key, long at, out bool added)
    {
        int slot = _index.Find(in key, out int where);
        int newest = _head == 0 ? Capacity - 1 : _head - 1;
        if (slot >= 0 && slot == newest && _used > 0)
        {
            // Already the newest (a flow's RST right after its SYN, a burst on one flow): update in place.
            ref Entry e = ref _ring[slot];
            if (at > e.At) e.At = at;
            added = false;
            return ref e.Value;
        }
        if (_used == Capacity)
        {
            if (slot == _head)
            {
                // The oldest (a full ring's tail is its head): it becomes the newest where it stands.
                ref Entry t = ref _ring[slot];
                if (at > t.At) t.At = at;
                _head = slot + 1 == Capacity ? 0 : slot + 1;
                added = false;
                return ref t.Value;
            }
            EvictTail();
            slot = _index.Find(in key, out where); // the eviction may have removed the key or moved its entry
        }
        int head = _head;
        ref Entry n = ref _ring[head];
        if (slot >= 0)
        {
            // Move it to the head: its old slot becomes a hole.
            ref Entry old = ref _ring[slot];
            n.At = Math.Max(at, old.At);
            n.Value = old.Value;
            old.Live = false;
            _index.Set(where, key.GetHashCode(), head);
            added = false;
        }
        else
        {
            n.At = at;
            n.Value = default;
            _index.Set(where, key.GetHashCode(), head);
            _count++;
            added = true;
        }
        n.Live = true;
        _keys[head] = key;
        _head = head + 1 == Capacity ? 0 : head + 1;
        _used++;
        return ref n.Value;
    }

    /// <summary>The value of <paramref name="key"/> and its time, or a null reference (<see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>)
    /// when the flow is not remembered. Valid until the next change to the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ref T Find(in FlowKey key, out long at)
    {
        int slot = _index.Find(in key, out _);
        if (slot < 0)
        {
            at = 0;
            return ref Unsafe.NullRef<T>();
        }
        ref Entry e = ref _ring[slot];
        at = e.At;
        return ref e.Value;
    }

    /// <summary>Forgets <paramref name="key"/>; false when it was not remembered.</summary>
    public bool Remove(in FlowKey key)
    {
        int slot = _index.Find(in key, out _);
        if (slot < 0) return false;
        _index.Remove(key.GetHashCode(), slot);
        _ring[slot].Live = false;
        _count--;
        return true;
    }

    /// <summary>Forgets the flows last updated before <paramref name="cutoff"/> (oldest first; stops at the first newer one).</summary>
    public void Prune(long cutoff)
    {
        while (_used > 0)
        {
            int tail = Tail;
            ref Entry e = ref _ring[tail];
            if (e.Live && e.At >= cutoff) return;
            Drop(tail);
        }
    }

    /// <summary>Forgets everything.</summary>
    public void Clear()
    {
        while (_used > 0) Drop(Tail);
    }

    private int Tail => _head - _used < 0 ? _head - _used + Capacity : _head - _used;

    private void EvictTail()
    {
        int tail = Tail;
        if (_ring[tail].Live) Evicted++;
        Drop(tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Drop(int slot)
    {
        ref Entry e = ref _ring[slot];
        if (e.Live)
        {
            _index.Remove(_keys[slot].GetHashCode(), slot);
            e.Live = false;
            _count--;
        }
        _used--;
    }
}
