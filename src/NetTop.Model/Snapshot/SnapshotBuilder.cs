using System.Collections.Immutable;
using NetTop.Model.Counters;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Model.Snapshot;

/// <summary>What one refresh tick hands the builder: the latest sample of every source.</summary>
public sealed record SnapshotInputs
{
    /// <summary>Monotonic time of the tick.</summary>
    public required TimeSpan At { get; init; }
    public required DateTimeOffset Now { get; init; }
    public SocketsSample? Sockets { get; init; }
    public CountersSample? Counters { get; init; }
    /// <summary>Resets decided (attributed) this tick, oldest first.</summary>
    public IReadOnlyList<Resets.ResetEvent> Resets { get; init; } = [];
    /// <summary>The firewall source's reading of this tick; null when it did not run (keeps the last rows).</summary>
    public Firewall.FirewallSample? Firewall { get; init; }
    public IProcessOwners Owners { get; init; } = NoProcessOwners.Instance;
    public ImmutableArray<SourceStatus> Sources { get; init; } = [];
    /// <summary>net.ipv4.tcp_syn_linear_timeouts of the watched namespace (default 4 since 6.5).</summary>
    public int SynLinearTimeouts { get; init; } = 4;
}

/// <summary>
/// Turns the latest samples into a <see cref="HostSnapshot"/>. No I/O; it keeps what spans ticks: rates,
/// peaks, first-seen times and tombstones, in keyed tables swept every build (htop's prepare → iterate → cleanup).
/// </summary>
public sealed class SnapshotBuilder
{
    private readonly string _host;
    private readonly string _kernel;
    private readonly string _netns;
    private readonly TimeSpan _tombstone;
    private readonly Dictionary<ulong, ListenerState> _listeners = [];
    private readonly Dictionary<ulong, HalfOpenState> _halfOpen = [];
    private readonly Dictionary<string, RateTracker> _counterRates = [];
    private readonly Dictionary<ushort, List<int>> _listenersByPort = [];
    private readonly List<ulong> _sweep = [];
    private readonly List<int> _live = [];
    private readonly Firewall.FirewallTracker _firewall = new();
    private readonly Resets.ResetFeed _resetFeed = new();
    // Bounded by the label space: 2 directions × 3 kinds × the kernel's ~25 sk_rst_reason values.
    private readonly SortedDictionary<(string, string, string), long> _resetCounts = [];
    private System.Collections.Immutable.ImmutableArray<Firewall.FirewallRow> _firewallRows = [];
    private long _sequence;
    private long _generation;

    public SnapshotBuilder(string host, string kernel, string netns, TimeSpan? tombstone = null)
    {
        _host = host;
        _kernel = kernel;
        _netns = netns;
        _tombstone = tombstone ?? TimeSpan.FromSeconds(5);
    }

    public HostSnapshot Build(SnapshotInputs inputs)
    {
        _generation++;
        if (inputs.Firewall is { } fw)
        {
            _firewallRows = _firewall.Update(fw);
        }
        foreach (Resets.ResetEvent e in inputs.Resets)
        {
            _resetFeed.Add(e);
            if (e.NetnsTag is null)
            {
                (string, string, string) k = (e.DirectionText, e.KindText, e.Reason);
                _resetCounts[k] = _resetCounts.GetValueOrDefault(k) + 1;
            }
        }
        SocketTable sockets = inputs.Sockets?.Sockets ?? SocketTable.Empty;
        ImmutableArray<ListenerRow> listeners = BuildListeners(inputs, sockets, out ImmutableArray<HalfOpenRow> halfOpen);
        return new HostSnapshot
        {
            Sequence = ++_sequence,
            TakenAt = inputs.Now,
            Host = _host,
            Kernel = _kernel,
            Netns = _netns,
            Sources = inputs.Sources,
            Counters = BuildCounters(inputs.Counters),
            Listeners = listeners,
            HalfOpen = halfOpen,
            Sockets = sockets,
            Firewall = _firewallRows,
            Resets = _resetFeed.Rows(),
            ResetStacks = _resetFeed.TopStacks(100),
            ResetTotals = new(_resetFeed.TotalSent, _resetFeed.TotalReceived),
            ResetCounts = [.. _resetCounts.Select(kv => new ResetCount(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Value))],
            BacklogUnknownReason = inputs.Sockets is { Origin: SocketsOrigin.ProcNet } s
                ? $"max backlog unknown: {s.FallbackReason ?? "sock_diag unavailable"}; /proc/net/tcp has no max backlog"
                : null,
        };
    }

    private ImmutableArray<CounterRow> BuildCounters(CountersSample? sample)
    {
        if (sample is null)
        {
            return [];
        }
        ImmutableArray<CounterRow>.Builder rows = ImmutableArray.CreateBuilder<CounterRow>(WatchedCounters.Names.Count);
        foreach (string name in WatchedCounters.Names)
        {
            if (!sample.Values.TryGetValue(name, out ulong value))
            {
                continue;
            }
            _counterRates.TryGetValue(name, out RateTracker rate);
            rate.Update(value, sample.At);
            _counterRates[name] = rate;
            rows.Add(new CounterRow(name, value, rate.Rate));
        }
        return rows.DrainToImmutable();
    }

    private ImmutableArray<ListenerRow> BuildListeners(SnapshotInputs inputs, SocketTable sockets,
        out ImmutableArray<HalfOpenRow> halfOpen)
    {
        // Pass 1: listeners, indexed by port for the SYN_RECV match.
        List<int> live = _live;
        live.Clear();
        foreach (List<int> l in _listenersByPort.Values)
        {
            l.Clear();
        }
        for (int i = 0; i < sockets.Count; i++)
        {
            ref readonly TcpSocket s = ref sockets[i];
            if (s.State != TcpState.Listen)
            {
                continue;
            }
            if (!_listenersByPort.TryGetValue(s.Local.Port, out List<int>? idx))
            {
                _listenersByPort[s.Local.Port] = idx = [];
            }
            idx.Add(live.Count);
            live.Add(i);
        }

        // Pass 2: half-open connections; SYN_RECV counted under the listener that owns its local endpoint.
        int[] synRecv = new int[live.Count];
        ImmutableArray<HalfOpenRow>.Builder half = ImmutableArray.CreateBuilder<HalfOpenRow>();
        TimeSpan at = inputs.At;
        for (int i = 0; i < sockets.Count; i++)
        {
            ref readonly TcpSocket s = ref sockets[i];
            if (s.State is not (TcpState.SynSent or TcpState.SynRecv or TcpState.NewSynRecv))
            {
                continue;
            }
            ulong key = s.Key;
            if (!_halfOpen.TryGetValue(key, out HalfOpenState? st))
            {
                _halfOpen[key] = st = new HalfOpenState { FirstSeen = at };
            }
            st.Generation = _generation;
            long watchedMs = (long)(at - st.FirstSeen).TotalMilliseconds;
            if (s.State == TcpState.SynSent)
            {
                ProcessOwner? owner = null;
                bool known = s.Inode != 0 && inputs.Owners.TryGet(s.Inode, out owner);
                long est = HalfOpenAge.SynSentMs(s.Retrans, s.ExpiresMs, inputs.SynLinearTimeouts,
                    s.HasTcpInfo && s.Info.RtoUs > 0 ? s.Info.RtoUs / 1000 : null);
                half.Add(new HalfOpenRow
                {
                    Key = key,
                    State = Snapshot.HalfOpenState.SynSent,
                    Local = s.Local,
                    Remote = s.Remote,
                    Process = known ? owner!.Comm : null,
                    Pid = known ? owner!.Pid : null,
                    AgeMs = Math.Max(est, watchedMs),
                    Retransmits = s.Retrans,
                    Backoff = s.HasTcpInfo ? s.Info.Backoff : null,
                    ExpiresMs = s.ExpiresMs,
                });
            }
            else
            {
                int li = FindListener(sockets, live, s.Local);
                ulong listenerInode = li >= 0 ? sockets[live[li]].Inode : 0;
                ProcessOwner? owner = null;
                bool known = listenerInode != 0 && inputs.Owners.TryGet(listenerInode, out owner);
                if (li >= 0)
                {
                    synRecv[li]++;
                }
                half.Add(new HalfOpenRow
                {
                    Key = key,
                    State = Snapshot.HalfOpenState.SynRecv,
                    Local = s.Local,
                    Remote = s.Remote,
                    Process = known ? owner!.Comm : null,
                    Pid = known ? owner!.Pid : null,
                    AgeMs = Math.Max(HalfOpenAge.SynRecvMs(s.Retrans, s.ExpiresMs), watchedMs),
                    Retransmits = s.Retrans,
                    ExpiresMs = s.ExpiresMs,
                    ListenerKey = li >= 0 ? sockets[live[li]].Key : null,
                });
            }
        }
        if (!_firewallRows.IsDefaultOrEmpty && half.Count > 0)
        {
            Firewall.SuspectFinder finder = new(_firewallRows);
            for (int i = 0; i < half.Count; i++)
            {
                HalfOpenRow h = half[i];
                HalfOpenState st = _halfOpen[h.Key];
                // The rules' counters when NetTop first saw the flow: what rose since is what it ran into.
                st.FirewallAtFirstSeen ??= _firewallRows;
                ImmutableArray<Firewall.Suspect> suspects = finder.Find(
                    new Firewall.HalfOpenFlow(h.Local, h.Remote, h.State), st.FirewallAtFirstSeen.Value);
                if (!suspects.IsEmpty)
                {
                    half[i] = h with { Suspects = suspects };
                }
            }
        }
        Sweep(_halfOpen, st => st.Generation != _generation);
        half.Sort(static (a, b) => b.Retransmits != a.Retransmits
            ? b.Retransmits.CompareTo(a.Retransmits)
            : b.AgeMs.CompareTo(a.AgeMs));
        halfOpen = half.DrainToImmutable();

        // Pass 3: listener rows with peaks, drop rates and tombstones.
        List<ListenerRow> rows = new(live.Count + 4);
        for (int i = 0; i < live.Count; i++)
        {
            ref readonly TcpSocket s = ref sockets[live[i]];
            ulong key = s.Key;
            if (!_listeners.TryGetValue(key, out ListenerState? st))
            {
                _listeners[key] = st = new ListenerState();
            }
            st.Generation = _generation;
            st.GoneAtMono = null; // back (or never gone): a later disappearance starts a fresh tombstone
            st.Peak = Math.Max(st.Peak, s.RQueue);
            double? dropsPerSec = null;
            if (s.HasSkMem)
            {
                st.Drops.Update(s.SkMem.Drops, inputs.Sockets!.At);
                dropsPerSec = st.Drops.Rate;
            }
            ProcessOwner? owner = null;
            bool known = s.Inode != 0 && inputs.Owners.TryGet(s.Inode, out owner);
            st.Last = new ListenerRow
            {
                Key = key,
                Family = s.Family,
                Local = s.Local,
                Process = known ? owner!.Comm : null,
                Pid = known ? owner!.Pid : null,
                Uid = s.Uid,
                Inode = s.Inode,
                AcceptQueue = s.RQueue,
                Backlog = s.BacklogKnown ? s.WQueue : null,
                PeakAcceptQueue = st.Peak,
                SynRecv = synRecv[i],
                Drops = s.HasSkMem ? s.SkMem.Drops : null,
                DropsPerSec = dropsPerSec,
            };
            rows.Add(st.Last);
        }
        foreach ((ulong key, ListenerState st) in _listeners)
        {
            if (st.Generation == _generation || st.Last is null)
            {
                continue;
            }
            st.GoneAtMono ??= at;
            if (at - st.GoneAtMono.Value > _tombstone)
            {
                _sweep.Add(key);
                continue;
            }
            if (st.Last.GoneAt is null)
            {
                st.Last = st.Last with { GoneAt = inputs.Now, AcceptQueue = 0, SynRecv = 0, DropsPerSec = null };
            }
            rows.Add(st.Last);
        }
        foreach (ulong k in _sweep)
        {
            _listeners.Remove(k);
        }
        _sweep.Clear();
        rows.Sort(ComparePressure);
        return [.. rows];
    }

    /// <summary>Worst first: full queues, then dropping, then fuller, then more half-open; gone ones last.</summary>
    public static int ComparePressure(ListenerRow a, ListenerRow b)
    {
        int c = a.IsGone.CompareTo(b.IsGone);
        if (c != 0) return c;
        c = b.IsFull.CompareTo(a.IsFull);
        if (c != 0) return c;
        c = (b.DropsPerSec ?? 0).CompareTo(a.DropsPerSec ?? 0);
        if (c != 0) return c;
        c = (b.Fill ?? 0).CompareTo(a.Fill ?? 0);
        if (c != 0) return c;
        c = b.AcceptQueue.CompareTo(a.AcceptQueue);
        if (c != 0) return c;
        c = b.SynRecv.CompareTo(a.SynRecv);
        if (c != 0) return c;
        c = (b.Drops ?? 0).CompareTo(a.Drops ?? 0);
        if (c != 0) return c;
        c = a.Local.Port.CompareTo(b.Local.Port);
        return c != 0 ? c : a.Key.CompareTo(b.Key);
    }

    /// <summary>The listener a request socket belongs to: same port, same address, else a wildcard of a
    /// family that accepts it (a dual-stack [::] listener takes IPv4 too).</summary>
    private int FindListener(SocketTable sockets, List<int> live, NetEndpoint local)
    {
        if (!_listenersByPort.TryGetValue(local.Port, out List<int>? idx) || idx.Count == 0)
        {
            return -1;
        }
        NetEndpoint unmapped = local.Unmapped;
        int wildcard = -1;
        foreach (int i in idx)
        {
            NetEndpoint l = sockets[live[i]].Local;
            if (l.Unmapped.Family == unmapped.Family && l.Unmapped.Address == unmapped.Address)
            {
                return i;
            }
            if (l.IsUnspecified && (l.Family == unmapped.Family || l.Family == IpFamily.V6) &&
                (wildcard < 0 || sockets[live[wildcard]].Family != unmapped.Family))
            {
                wildcard = i;
            }
        }
        return wildcard;
    }

    private void Sweep<T>(Dictionary<ulong, T> table, Func<T, bool> gone)
    {
        foreach ((ulong k, T v) in table)
        {
            if (gone(v))
            {
                _sweep.Add(k);
            }
        }
        foreach (ulong k in _sweep)
        {
            table.Remove(k);
        }
        _sweep.Clear();
    }

    private sealed class ListenerState
    {
        public long Generation;
        public uint Peak;
        public RateTracker Drops;
        public ListenerRow? Last;
        public TimeSpan? GoneAtMono;
    }

    private sealed class HalfOpenState
    {
        public long Generation;
        public TimeSpan FirstSeen;
        public ImmutableArray<Firewall.FirewallRow>? FirewallAtFirstSeen;
    }
}
