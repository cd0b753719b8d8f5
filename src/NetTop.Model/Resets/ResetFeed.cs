using System.Collections.Immutable;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Model.Resets;

/// <summary>One row of the RST feed: the first reset of a burst of identical ones and how many there were.</summary>
public sealed record ResetRow(ResetEvent Event, long Count, DateTimeOffset LastWall)
{
    public DateTimeOffset Wall => Event.Wall;
}

/// <summary>One group of the "top stacks" view: resets with the same direction, kind, reason and kernel stack.</summary>
public sealed record ResetStackRow(ResetDirection Direction, ResetKind Kind, string Reason, ImmutableArray<string> Stack, long Count)
{
    public string KindText => Kind switch { ResetKind.Active => "active", ResetKind.Passive => "passive", _ => "?" };
    public string DirectionText => Direction == ResetDirection.Sent ? "sent" : "recv";
}

/// <summary>
/// The RST feed: newest first; identical resets (same direction, kind, reason, state, local, remote and pid)
/// within <see cref="CollapseWindow"/> of the row's first one collapse into that row with a count. Bounded: the
/// oldest rows fall off past <see cref="Capacity"/>, and the top-stacks table keeps at most
/// <see cref="StackCapacity"/> groups (later new stacks count under one "(other stacks)" group).
/// Totals count every reset ever added. Not thread-safe: the hub adds on its tick and takes snapshots.
/// </summary>
public sealed class ResetFeed
{
    public const int DefaultCapacity = 2000;
    public const int DefaultStackCapacity = 512;
    public static readonly ImmutableArray<string> OtherStacks = ["(other stacks)"];

    private readonly record struct CollapseKey(ResetDirection Direction, ResetKind Kind, string Reason, TcpState State,
        NetEndpoint Local, NetEndpoint Remote, int? Pid, ResetOrigin Origin, string? NetnsTag);

    private readonly record struct StackKey(ResetDirection Direction, ResetKind Kind, string Reason, StackText Stack);

    private sealed class Entry(ResetEvent first, CollapseKey key)
    {
        public readonly ResetEvent First = first;
        public readonly CollapseKey Key = key;
        public long Count = 1;
        public DateTimeOffset LastWall = first.Wall;
        public ResetRow? Row;
    }

    private readonly Entry?[] _ring;
    private int _head; // index of the newest entry
    private int _count;
    private readonly Dictionary<CollapseKey, Entry> _open = [];
    private readonly Dictionary<StackKey, long> _stacks = [];
    private ImmutableArray<ResetRow>? _rowsCache;
    private ImmutableArray<ResetStackRow>? _stacksCache;

    public ResetFeed(int capacity = DefaultCapacity, TimeSpan? collapseWindow = null, int stackCapacity = DefaultStackCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stackCapacity);
        _ring = new Entry?[capacity];
        _head = -1;
        CollapseWindow = collapseWindow ?? TimeSpan.FromSeconds(1);
        StackCapacity = stackCapacity;
    }

    public int Capacity => _ring.Length;
    public int StackCapacity { get; }
    public TimeSpan CollapseWindow { get; }
    public int RowCount => _count;
    public long Total => TotalSent + TotalReceived;
    public long TotalSent { get; private set; }
    public long TotalReceived { get; private set; }
    /// <summary>Rows that fell off the end of the bounded feed.</summary>
    public long RowsEvicted { get; private set; }

    public void Add(ResetEvent e)
    {
        if (e.Direction == ResetDirection.Sent) TotalSent++;
        else TotalReceived++;
        AddStack(e);
        _rowsCache = null;
        CollapseKey key = new(e.Direction, e.Kind, e.Reason, e.State, e.Local, e.Remote, e.Pid, e.Origin, e.NetnsTag);
        if (_open.TryGetValue(key, out Entry? open) && (e.Wall - open.First.Wall).Duration() <= CollapseWindow)
        {
            open.Count++;
            if (e.Wall > open.LastWall) open.LastWall = e.Wall;
            open.Row = null;
            return;
        }
        Entry entry = new(e, key);
        _head = (_head + 1) % _ring.Length;
        if (_ring[_head] is { } evicted)
        {
            RowsEvicted++;
            if (_open.TryGetValue(evicted.Key, out Entry? current) && ReferenceEquals(current, evicted))
            {
                _open.Remove(evicted.Key);
            }
        }
        else
        {
            _count++;
        }
        _ring[_head] = entry;
        _open[key] = entry;
    }

    public void AddRange(IEnumerable<ResetEvent> events)
    {
        foreach (ResetEvent e in events) Add(e);
    }

    /// <summary>The rows, newest first (an immutable copy, cached until the next add).</summary>
    public ImmutableArray<ResetRow> Rows()
    {
        if (_rowsCache is { } cached) return cached;
        ImmutableArray<ResetRow>.Builder b = ImmutableArray.CreateBuilder<ResetRow>(_count);
        for (int i = 0; i < _count; i++)
        {
            Entry e = _ring[(_head - i + _ring.Length) % _ring.Length]!;
            e.Row ??= new ResetRow(e.First, e.Count, e.LastWall);
            b.Add(e.Row);
        }
        ImmutableArray<ResetRow> rows = b.MoveToImmutable();
        _rowsCache = rows;
        return rows;
    }

    /// <summary>Groups by direction, kind, reason and stack, most frequent first (cumulative since start).</summary>
    public ImmutableArray<ResetStackRow> TopStacks(int max = int.MaxValue)
    {
        if (_stacksCache is not { } all)
        {
            all = [.. _stacks
                .OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key.Reason, StringComparer.Ordinal)
                .Select(kv => new ResetStackRow(kv.Key.Direction, kv.Key.Kind, kv.Key.Reason, kv.Key.Stack.Frames, kv.Value))];
            _stacksCache = all;
        }
        return max >= all.Length ? all : all[..max];
    }

    private void AddStack(ResetEvent e)
    {
        _stacksCache = null;
        StackKey key = new(e.Direction, e.Kind, e.Reason, new StackText(e.Stack));
        if (_stacks.TryGetValue(key, out long n))
        {
            _stacks[key] = n + 1;
        }
        else if (_stacks.Count < StackCapacity - 1)
        {
            _stacks[key] = 1;
        }
        else
        {
            StackKey other = new(e.Direction, ResetKind.Unknown, ResetReasons.Unknown, new StackText(OtherStacks));
            _stacks[other] = _stacks.GetValueOrDefault(other) + 1;
        }
    }

    /// <summary>A stack compared by its frames (events often share one array from the symbolizer's cache).</summary>
    private readonly struct StackText(ImmutableArray<string> frames) : IEquatable<StackText>
    {
        private readonly int _hash = Hash(frames);

        public ImmutableArray<string> Frames { get; } = frames.IsDefault ? [] : frames;

        public bool Equals(StackText other) =>
            _hash == other._hash && Frames.AsSpan().SequenceEqual(other.Frames.AsSpan());

        public override bool Equals(object? obj) => obj is StackText s && Equals(s);

        public override int GetHashCode() => _hash;

        private static int Hash(ImmutableArray<string> frames)
        {
            if (frames.IsDefault) return 0;
            HashCode h = new();
            foreach (string f in frames) h.Add(f, StringComparer.Ordinal);
            return h.ToHashCode();
        }
    }
}
