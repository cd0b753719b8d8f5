using System.Collections.Immutable;

namespace NetTop.Model.Firewall;

/// <summary>One rule as the firewall panel and the snapshot show it: counters, rates and recent rate history.</summary>
public sealed record FirewallRow
{
    public required FirewallRule Rule { get; init; }
    /// <summary>Packets per second since the previous poll; null on the first sample and after a counter reset.</summary>
    public double? PacketsPerSec { get; init; }
    public double? BytesPerSec { get; init; }
    public RateState RateState { get; init; }
    /// <summary>The last packets/s values, oldest first (at most <see cref="FirewallTracker.HistoryLength"/>), for a sparkline.</summary>
    public ImmutableArray<float> History { get; init; } = [];

    public string Id => Rule.Id;
    public string Key => Rule.Key;
    public string Family => Rule.Family;
    public string Table => Rule.Table;
    public string Chain => Rule.Chain;
    public int Position => Rule.Position;
    public string Target => Rule.Target;
    public ulong Packets => Rule.Packets;
    public ulong Bytes => Rule.Bytes;

    /// <summary>A rule that counted packets since the previous poll.</summary>
    public bool IsHot => PacketsPerSec is > 0;
}

/// <summary>
/// Turns successive <see cref="FirewallSample"/>s into <see cref="FirewallRow"/>s with packets/s and bytes/s.
/// Rate state is keyed by <see cref="FirewallRule.Key"/> (chain + hash of the rule text + occurrence), not by
/// position, so inserting or deleting a rule above another does not disturb that rule's rate. A counter that
/// goes down (rule replaced, counters zeroed with -Z) restarts the rate (<see cref="RateState.CounterReset"/>),
/// never a negative or huge value. Rules that disappear are dropped from the state on the same update.
/// No I/O; not thread-safe (one caller: the hub's refresh).
/// </summary>
public sealed class FirewallTracker
{
    public const int HistoryLength = 60;

    private static readonly ImmutableArray<float>[] s_zeros = CreateZeros();
    private readonly Dictionary<FirewallRuleKey, RuleState> _state = [];
    private readonly List<FirewallRuleKey> _sweep = [];
    private long _generation;
    private SortKey[] _keys = [];

    /// <summary>How many rules the tracker holds state for.</summary>
    public int Tracked => _state.Count;

    /// <summary>Rows of <paramref name="sample"/>, hottest first (packets/s desc, then packets desc, then the order the sample lists them).</summary>
    public ImmutableArray<FirewallRow> Update(FirewallSample sample)
    {
        _generation++;
        FirewallRow[] rows = new FirewallRow[sample.Rules.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            FirewallRule rule = sample.Rules[i];
            FirewallRuleKey key = rule.StableKey;
            if (!_state.TryGetValue(key, out RuleState? st))
            {
                _state[key] = st = new RuleState();
            }
            else if (st.Generation == _generation)
            {
                // Two rules with one key in one sample (a parser bug or a malformed dump): keep the first's state.
                st = new RuleState();
            }
            st.Generation = _generation;
            TimeSpan at = rule.CountersAt ?? sample.At;
            bool fresh = at > st.LastAt;
            st.LastAt = at;
            st.Packets.Update(rule.Packets, at);
            st.Bytes.Update(rule.Bytes, at);
            double? pps = st.Packets.Rate;
            // Counters not read again (a slower poll) keep their rate and add no history point.
            if (fresh && st.Packets.State is RateState.Data or RateState.CounterReset)
            {
                st.Push((float)(pps ?? 0));
            }
            rows[i] = new FirewallRow
            {
                Rule = rule,
                PacketsPerSec = pps,
                BytesPerSec = st.Bytes.Rate,
                RateState = st.Packets.State,
                History = st.Snapshot(),
            };
        }
        foreach ((FirewallRuleKey key, RuleState st) in _state)
        {
            if (st.Generation != _generation)
            {
                _sweep.Add(key);
            }
        }
        foreach (FirewallRuleKey key in _sweep)
        {
            _state.Remove(key);
        }
        _sweep.Clear();
        // Hottest first; ties keep the order the rules were read in (chain order). Sorting precomputed keys
        // instead of comparing rows keeps 10,000 idle rules cheap.
        // The keys' array is kept between updates (240 KB at 10,000 rules: a large-object allocation per poll otherwise).
        if (_keys.Length < rows.Length)
        {
            _keys = new SortKey[rows.Length];
        }
        for (int i = 0; i < rows.Length; i++)
        {
            _keys[i] = new SortKey(rows[i].PacketsPerSec ?? -1, rows[i].Packets, i);
        }
        Array.Sort(_keys, rows, 0, rows.Length);
        return System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(rows);
    }

    /// <summary>Panel order for re-sorting: packets/s desc, then packets desc, then table/chain/position.</summary>
    public static int CompareByRate(FirewallRow a, FirewallRow b)
    {
        int c = (b.PacketsPerSec ?? -1).CompareTo(a.PacketsPerSec ?? -1);
        if (c != 0) return c;
        c = b.Packets.CompareTo(a.Packets);
        if (c != 0) return c;
        return CompareByPosition(a, b);
    }

    /// <summary>Chain order: family, table, chain, position (how iptables-save lists them).</summary>
    public static int CompareByPosition(FirewallRow a, FirewallRow b)
    {
        int c = string.CompareOrdinal(a.Rule.Backend, b.Rule.Backend);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Family, b.Family);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Table, b.Table);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Chain, b.Chain);
        return c != 0 ? c : a.Position.CompareTo(b.Position);
    }

    private readonly record struct SortKey(double Rate, ulong Packets, int Index) : IComparable<SortKey>
    {
        public int CompareTo(SortKey other)
        {
            int c = other.Rate.CompareTo(Rate);
            if (c != 0) return c;
            c = other.Packets.CompareTo(Packets);
            return c != 0 ? c : Index.CompareTo(other.Index);
        }
    }

    private static ImmutableArray<float>[] CreateZeros()
    {
        ImmutableArray<float>[] z = new ImmutableArray<float>[HistoryLength + 1];
        for (int n = 0; n <= HistoryLength; n++)
        {
            z[n] = System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(new float[n]);
        }
        return z;
    }

    private sealed class RuleState
    {
        private readonly float[] _ring = new float[HistoryLength];
        private int _head;
        private int _count;
        private int _nonZero;
        public long Generation;
        public TimeSpan LastAt = TimeSpan.MinValue;
        public RateTracker Packets;
        public RateTracker Bytes;

        public void Push(float v)
        {
            if (_count == HistoryLength && _ring[_head] != 0)
            {
                _nonZero--;
            }
            _ring[_head] = v;
            if (v != 0)
            {
                _nonZero++;
            }
            _head = (_head + 1) % HistoryLength;
            _count = Math.Min(_count + 1, HistoryLength);
        }

        /// <summary>An immutable copy, oldest first; idle rules share one array of zeros (10k idle rules allocate nothing).</summary>
        public ImmutableArray<float> Snapshot()
        {
            if (_nonZero == 0)
            {
                return s_zeros[_count];
            }
            float[] copy = new float[_count];
            int start = (_head - _count + HistoryLength) % HistoryLength;
            for (int i = 0; i < _count; i++)
            {
                copy[i] = _ring[(start + i) % HistoryLength];
            }
            return System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(copy);
        }
    }
}
