using System.Runtime.CompilerServices;

namespace NetTop.Model.Packets;

/// <summary>
/// A fixed-size hash index from <see cref="FlowKey"/> to a small integer id (a slot in its owner's arrays), for the
/// per-packet memories of the capture (<see cref="RecentFlowTable{T}"/>): open
/// addressing with linear probing over a power-of-two table at most half full, each entry the key's hash &lt;&lt; 32 |
/// (id + 1), 0 when empty; removal shifts the probe chain back (no tombstones). A lookup, an insertion and a removal
/// touch a few cache lines of one <c>long[]</c> and the compared key, where a <see cref="Dictionary{TKey,TValue}"/>'s
/// touch ~4x that. The keys live with the owner (<paramref name="keys"/>, indexed by id): the index holds none.
/// Not thread-safe; allocates only in its constructor.
/// </summary>
internal sealed class FlowKeyIndex
{
    private readonly long[] _index;
    private readonly int _mask;
    private readonly FlowKey[] _keys;

    /// <param name="maxIds">Ids are 0 .. maxIds - 1.</param>
    /// <param name="keys">The owner's keys by id; read by <see cref="Find"/>.</param>
    public FlowKeyIndex(int maxIds, FlowKey[] keys)
    {
        _index = new long[Math.Max(16, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)maxIds * 2))];
        _mask = _index.Length - 1;
        _keys = keys;
    }

    public long Bytes => (long)_index.Length * sizeof(long);

    /// <summary>The id of <paramref name="key"/>, or -1 with <paramref name="at"/> the empty entry where it would go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in FlowKey key, out int at)
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
            if ((int)(e >> 32) == hash && _keys[id].Equals(key))
            {
                at = i;
                return id;
            }
        }
    }

    /// <summary>Puts <paramref name="id"/> (whose key has <paramref name="hash"/>) at entry <paramref name="at"/>: the
    /// empty entry a missed <see cref="Find"/> gave, or the key's own entry to move it to another id.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int at, int hash, int id) => _index[at] = (long)hash << 32 | (uint)(id + 1);

    /// <summary>Removes <paramref name="id"/> and moves the entries after it back where their probe chains need them
    /// (Knuth's algorithm R: the table stays as if it had never been inserted). Entries found by an earlier
    /// <see cref="Find"/> may move: find again after a removal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Remove(int hash, int id)
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
