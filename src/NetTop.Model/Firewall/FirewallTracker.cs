using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace NetTop.Model.Firewall;

/// <summary>One rule as the firewall panel and the snapshot show it: counters, rates and recent rate history.</summary>
public sealed record FirewallRow
{
    public required FirewallRule Rule { get; init; }
    // Rates are stored as double with NaN for "none" (a double? field takes 16 bytes): one row per rule per poll,
    // 56 bytes instead of 72.
    private readonly double _packetsPerSec = double.NaN;
    private readonly double _bytesPerSec = double.NaN;

    /// <summary>Packets per second since the previous poll; null on the first sample and after a counter reset.</summary>
    public double? PacketsPerSec
    {
        get => double.IsNaN(_packetsPerSec) ? null : _packetsPerSec;
        init => _packetsPerSec = value ?? double.NaN;
    }

    public double? BytesPerSec
    {
        get => double.IsNaN(_bytesPerSec) ? null : _bytesPerSec;
        init => _bytesPerSec = value ?? double.NaN;
    }
    public RateState RateState { get; init; }
    /// <summary>
    /// The last packets/s values, oldest first (at most <see cref="FirewallTracker.HistoryLength"/>), for a sparkline.
    /// A rule that has counted nothing over all of its points has the full length of zeros from its first point on:
    /// the sparkline is flat either way, and its row then stays the same object from one poll to the next.
    /// </summary>
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
    // The parser hands back last poll's FirewallRule object for a rule whose text and counters did not change.
    // Looking such a rule up by reference skips building and hashing its key (four strings): the common case at
    // 10,000 mostly idle rules. Rebuilt on each update (a rule object not in the last sample is not in it).
    private Dictionary<FirewallRule, RuleState> _byRule = new(ReferenceEqualityComparer.Instance);
    private Dictionary<FirewallRule, RuleState> _byRuleNext = new(ReferenceEqualityComparer.Instance);
    private long _generation;
    private SortKey[] _keys = [];

    /// <summary>How many rules the tracker holds state for.</summary>
    public int Tracked => _state.Count;

    /// <summary>Rows of <paramref name="sample"/>, hottest first (packets/s desc, then packets desc, then the order the sample lists them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once a poll: tiering would run it unoptimised for the first 30 polls
    public ImmutableArray<FirewallRow> Update(FirewallSample sample)
    {
        _generation++;
        FirewallRow[] rows = new FirewallRow[sample.Rules.Length];
        _byRuleNext.EnsureCapacity(rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            FirewallRule rule = sample.Rules[i];
            bool sameRule = _byRule.TryGetValue(rule, out RuleState? st);
            if (!sameRule)
            {
                FirewallRuleKey key = rule.StableKey;
                if (!_state.TryGetValue(key, out st))
                {
                    _state[key] = st = new RuleState();
                }
            }
            // (A state found by reference is the one _state holds for the rule's key: the rule was in the last
            // sample, so its state was not swept, and only states held by _state are recorded in _byRule.)
            if (st!.Generation == _generation)
            {
                // Two rules with one key in one sample (a parser bug or a malformed dump): keep the first's state.
                st = new RuleState();
                sameRule = false;
            }
            else
            {
                _byRuleNext[rule] = st;
            }
            st.Generation = _generation;
            TimeSpan at = rule.CountersAt ?? sample.At;
            bool fresh = at > st.LastAt;
            st.LastAt = at;
            st.Packets.Update(rule.Packets, at);
            st.Bytes.Update(rule.Bytes, at);
            // Counters not read again (a slower poll) keep their rate and add no history point.
            bool pushed = fresh && st.Packets.State is RateState.Data or RateState.CounterReset;
            if (pushed)
            {
                st.Push((float)(st.Packets.Rate ?? 0));
            }
            // The same rule object as last poll (same counters) gives the same row when nothing it shows moved:
            // counters not read again, or an idle rule whose rate stays 0 and whose full history stays all zeros.
            // At 10,000 idle rules that is no allocation per rule.
            rows[i] = sameRule && st.LastRow is { } last && st.Shows(last, pushed)
                ? last
                : st.LastRow = new FirewallRow
                {
                    Rule = rule,
                    PacketsPerSec = st.Packets.Rate,
                    BytesPerSec = st.Bytes.Rate,
                    RateState = st.Packets.State,
                    History = st.Snapshot(),
                };
        }
        (_byRule, _byRuleNext) = (_byRuleNext, _byRule);
        _byRuleNext.Clear();
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
        /// <summary>The row the last update made for this rule (reused while it cannot change).</summary>
        public FirewallRow? LastRow;
        public RateTracker Packets;
        public RateTracker Bytes;

        /// <summary>
        /// True when <paramref name="last"/> (this rule's previous row, built from the same rule object) shows exactly
        /// what a new row would: same rate state and rates, and a history that did not change (no point added) or is
        /// the shared all-zeros array of the current length.
        /// </summary>
        public bool Shows(FirewallRow last, bool pushed) =>
            last.RateState == Packets.State && last.PacketsPerSec == Packets.Rate && last.BytesPerSec == Bytes.Rate
            && (!pushed || (_nonZero == 0 && last.History == s_zeros[HistoryLength]));

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

        /// <summary>
        /// An immutable copy, oldest first. Idle rules share one full-length array of zeros, so 10k idle rules allocate
        /// nothing, and their rows are reused from the first minute on (a growing all-zeros history made a new row each
        /// poll until it was full: ~5 ms of fresh memory per poll at 10,000 rules).
        /// </summary>
        public ImmutableArray<float> Snapshot()
        {
            if (_nonZero == 0)
            {
                return s_zeros[HistoryLength];
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
