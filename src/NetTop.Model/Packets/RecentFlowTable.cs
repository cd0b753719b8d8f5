using System.Runtime.CompilerServices;

namespace NetTop.Model.Packets;

/// <summary>
/// The newest fact per flow (<see cref="FlowKey"/>) for the capture's per-packet memories (recent RSTs, recent
/// SYNs): at most <see cref="Capacity"/> flows, and optionally only those updated since a cutoff (<see cref="Prune"/>).
/// Entries sit in a ring in the order they were added, updated in place. A new flow takes the head; when the ring
/// is full the tail goes, unless it was updated since the ring last came round to it: then it stays, as the newest,
/// and the next one is looked at (the "clock" approximation of least-recently-used). A removal leaves a hole the
/// tail skips. All of it is allocated at construction (never touched until used, so an idle NetTop
/// does not pay for it in RSS) and a flood of new 4-tuples allocates nothing: the writes walk the ring in order
/// and a lookup touches a few cache lines of the index and its entry. <typeparamref name="T"/> must hold no references
/// (it is kept in a long-lived array: references there would cost the GC on every write).
/// Not thread-safe.
/// </summary>
public sealed class RecentFlowTable<T> where T : unmanaged
{
    private struct Entry
    {
        public FlowKey Key; // with the entry: a lookup touches one place, not two (page walks are dear in a VM)
        public long At;
        public T Value;
        public bool Live;
        public bool Referenced; // updated since the ring last came round to it
    }

    private readonly Entry[] _ring;
    // The flows' index: open addressing with linear probing over a power-of-two table at most half full, each entry
    // the key's hash << 32 | (ring slot + 1), 0 when empty; removal shifts the probe chain back (no tombstones).
    private readonly long[] _index;
    private readonly int _mask;
    private int _head; // the slot the next entry takes
    private int _used; // slots from the tail to the head, live or holes
    private int _count; // live entries

    public RecentFlowTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _ring = new Entry[capacity];
        _index = new long[Math.Max(16, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity * 2))];
        _mask = _index.Length - 1;
    }

    public int Capacity { get; }

    /// <summary>Flows remembered now.</summary>
    public int Count => _count;

    /// <summary>Flows forgotten because the table was full (not by <see cref="Prune"/> or <see cref="Remove"/>).</summary>
    public long Evicted { get; private set; }

    /// <summary>
    /// The value of <paramref name="key"/>, its time raised to <paramref name="at"/> (when that is newer); a new flow
    /// starts from <c>default</c> (<paramref name="added"/>) at the ring's head. The reference is valid until the next
    /// change to the table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ref T Upsert(in FlowKey key, long at, out bool added)
    {
        int slot = FindSlot(in key, out int where);
        if (slot >= 0)
        {
            // In place (a flood's repeated flows touch only the index and their entry, both warm); the mark gives it
            // a second chance when the ring comes round to it.
            ref Entry e = ref _ring[slot];
            if (at > e.At) e.At = at;
            e.Referenced = true;
            added = false;
            return ref e.Value;
        }
        if (_used == Capacity)
        {
            MakeRoom();
            FindSlot(in key, out where); // the eviction may have moved entries into the probe chain
        }
        int head = _head;
        ref Entry n = ref _ring[head];
        n.At = at;
        n.Value = default;
        n.Live = true;
        n.Referenced = false;
        n.Key = key;
        _index[where] = (long)key.GetHashCode() << 32 | (uint)(head + 1);
        _count++;
        _head = head + 1 == Capacity ? 0 : head + 1;
        _used++;
        added = true;
        return ref n.Value;
    }

    /// <summary>Frees the tail slot of a full ring (its tail is its head): a hole is reused, an entry updated since the
    /// ring last came round is passed over (it becomes the newest where it stands, unmarked), the first other is evicted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MakeRoom()
    {
        for (int turn = 0; turn <= Capacity; turn++) // after one turn every mark is cleared
        {
            int tail = _head;
            ref Entry t = ref _ring[tail];
            if (t.Live && t.Referenced)
            {
                t.Referenced = false;
                _head = tail + 1 == Capacity ? 0 : tail + 1;
                continue;
            }
            if (t.Live) Evicted++;
            Drop(tail);
            return;
        }
    }

    /// <summary>The value of <paramref name="key"/> and its time, or a null reference (<see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>)
    /// when the flow is not remembered. Valid until the next change to the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ref T Find(in FlowKey key, out long at)
    {
        int slot = FindSlot(in key, out _);
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
        int slot = FindSlot(in key, out _);
        if (slot < 0) return false;
        RemoveFromIndex(key.GetHashCode(), slot);
        _ring[slot].Live = false;
        _count--;
        return true;
    }

    /// <summary>Forgets the flows last updated before <paramref name="cutoff"/>, from the tail: it stops at the first one
    /// updated since, so older flows added before it can outlive the cutoff until the ring comes round (callers that
    /// care compare the time <see cref="Find"/> gives).</summary>
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

    private int Tail => _head - _used < 0 ? _head - _used + Capacity : _head - _used;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Drop(int slot)
    {
        ref Entry e = ref _ring[slot];
        if (e.Live)
        {
            RemoveFromIndex(e.Key.GetHashCode(), slot);
            e.Live = false;
            _count--;
        }
        _used--;
    }

    /// <summary>The ring slot of <paramref name="key"/>, or -1 with <paramref name="at"/> the empty entry where it would go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindSlot(in FlowKey key, out int at)
    {
        int hash = key.GetHashCode();
        for (int i = hash & _mask; ; i = (i + 1) & _mask)
        {
            long e = _index[i];
            if (e == 0)
            {
                at = i;
                return -1;
            }
            int id = (int)(uint)e - 1;
            if ((int)(e >> 32) == hash && _ring[id].Key.Equals(key))
            {
                at = i;
                return id;
            }
        }
    }

    /// <summary>
    /// Asks the CPU to start loading the index line <paramref name="key"/>'s lookup will read (a hint: no effect on
    /// the table). A caller with a batch of keys hints them all first, then <see cref="PrefetchEntry"/>s them, then
    /// looks them up: the cache misses of the batch overlap instead of stalling one lookup after another.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(in FlowKey key)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (long* p = &_index[key.GetHashCode() & _mask]) System.Runtime.Intrinsics.X86.Sse.Prefetch0(p);
    }

    /// <summary>The second hint: the entry the key's first index entry points to (its own, unless it collided).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void PrefetchEntry(in FlowKey key)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        long e = _index[key.GetHashCode() & _mask];
        if (e == 0) return;
        fixed (Entry* p = &_ring[(int)(uint)e - 1]) System.Runtime.Intrinsics.X86.Sse.Prefetch0(p);
    }

    /// <summary>Removes <paramref name="id"/> and moves the entries after it back where their probe chains need them
    /// (Knuth's algorithm R: the table stays as if it had never been inserted). Entries found by an earlier
    /// <see cref="Find"/> may move: find again after a removal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RemoveFromIndex(int hash, int id)
    {
        long mine = (long)hash << 32 | (uint)(id + 1);
        int i = hash & _mask;
        while (_index[i] != mine) i = (i + 1) & _mask;
        for (int j = i; ;)
        {
            _index[i] = 0;
            long e;
            while (true)
            {
                j = (j + 1) & _mask;
                e = _index[j];
                if (e == 0) return;
                int home = (int)(e >> 32) & _mask;
                // e may move to the hole at i unless its home lies cyclically in (i, j].
                bool stays = i <= j ? i < home && home <= j : i < home || home <= j;
                if (!stays) break;
            }
            _index[i] = e;
            i = j;
        }
    }
}
