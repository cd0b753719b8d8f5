using System.Collections.Immutable;
using System.Runtime.InteropServices;
using NetTop.Capture.Counters;
using NetTop.Capture.Firewall;
using NetTop.Capture.Packets;
using NetTop.Capture.Perf;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Owners;
using NetTop.Capture.Recording;
using NetTop.Capture.Replay;
using NetTop.Capture.Sockets;
using NetTop.Model;
using NetTop.Model.Counters;
using NetTop.Model.Firewall;
using NetTop.Model.Net;
using NetTop.Model.Packets;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;
using Nito.AsyncEx;

namespace NetTop.Capture;

/// <summary>
/// The shared capture core: owns every source of one watched namespace, polls them on the refresh tick and
/// publishes one immutable <see cref="HostSnapshot"/> per tick by reference. Readers (TUI, snapshot writer,
/// later exporters) pull <see cref="Latest"/> or await <see cref="WaitForNextAsync"/>; nothing is collected on
/// their threads. A tick that finds the previous refresh still running is skipped, never queued.
/// Packets are not taken on the tick: the capture's reader thread, woken by the kernel when a block is retired, feeds
/// the block to the reset attribution and wire classification itself (its inline consumer), so an idle capture costs
/// no wake-up and a busy one one wake-up per block; the tick only collects the resets classified since the last one
/// (and the packets that arrived before the first tick).
/// </summary>
public sealed class CaptureHub : IAsyncDisposable
{
    private readonly CaptureOptions _options;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly NetnsThread _netnsThread;
    private readonly SocketsSource _sockets;
    private readonly CountersSource _counters;
    private readonly ProcessOwnerCache? _owners;
    private readonly IProcessOwners _ownerView;
    private readonly CaptureIo _io;
    private readonly CaptureRecording? _recording;
    private readonly ReplaySession? _replay;
    private long _resetsTaken;
    private long _packetsTaken;
    private long _packetsAtCollect; // _packetsTaken + the ring's drops when this tick collected its resets
    private ResetFeedMode _resetMode;
    private readonly FirewallSource? _firewall;
    private readonly ResetTraceSource? _resets;
    private readonly PacketCaptureSource? _packets;
    private readonly List<ResetEvent> _resetEvents = [];
    private readonly List<ResetEvent> _resetDecided = [];
    private readonly List<ResetEvent> _resetResolved = [];
    private readonly List<PacketEvent> _packetEvents = [];
    // Live: packets that arrived before the first tick made the attributor (the tick takes them); replay: every
    // packet the recording feeds, taken on the tick.
    private PacketEventRing? _packetRing;
    // The packet consumer runs on the capture's reader thread (PacketCaptureSource.Consumer), once per retired block:
    // _resetPackets judges each RST once, records it for the attributor and the resolver (which share its memory) and,
    // without tracepoints, classifies it. A capture with nothing to deliver wakes nothing; the tick only takes what was
    // classified. _packetGate guards everything the consumer and the tick share: the attributor, the resolver,
    // _resetPackets, _packetsTaken, _packetRing.
    private readonly Lock _packetGate = new();
    /// <summary>Wire resets held between ticks at most: what one full subscriber ring of loopback RSTs gives (two each).</summary>
    private const int MaxWireResets = 2 * 65_536;
    private readonly ResetPacketConsumer _resetPackets = new(MaxWireResets);
    private readonly ReceivedResetResolver _received;
    private Task? _packetsStarted;
    private Task _resetsStarted = Task.CompletedTask;
    private ResetNetnsAttributor? _attributor;
    private readonly SnapshotBuilder _builder;
    private readonly AsyncLock _refreshLock = new();
    private readonly AsyncManualResetEvent _published = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile HostSnapshot _latest;
    private PeriodicTimer? _timer;
    private TimeSpan _interval;
    private readonly List<ulong> _unknownOwners = [];
    private long _sequence;
    private int _refreshing;
    private volatile SourceStatus? _refreshError;

    /// <param name="recording">Record every source's raw input into it (`nettop record`).</param>
    /// <param name="replay">Serve every source from a recording instead of the kernel (`nettop replay`): the same
    /// sources, parsers and builder run; only the bytes, the clock and the event feeds come from the recording.</param>
    private CaptureHub(CaptureOptions options, TimeProvider time, NetnsThread thread, CaptureRecording? recording = null, ReplaySession? replay = null)
    {
        _options = options;
        _time = time;
        _received = new ReceivedResetResolver(_resetPackets.Rsts);
        _start = time.GetTimestamp();
        _interval = options.RefreshInterval;
        _netnsThread = thread;
        _recording = recording;
        _replay = replay;
        _io = replay?.Io ?? recording?.Io ?? CaptureIo.Kernel;
        Func<TimeSpan> clock = () => _time.GetElapsedTime(_start);
        _sockets = new SocketsSource(thread, options.Sockets, options.TcpInfo, replay?.ClockOf(SourceClock.Sockets) ?? clock, _io);
        _counters = new CountersSource(thread, replay?.ClockOf(SourceClock.Counters) ?? clock, _io);
        _owners = options.ProcessOwners && replay is null ? new ProcessOwnerCache() : null;
        _ownerView = replay?.Owners ?? (IProcessOwners?)_owners ?? NoProcessOwners.Instance;
        if (recording is not null)
        {
            _ownerView = new RecordedOwners(_ownerView, recording);
        }
        if (options.Firewall && replay is null)
        {
            // With file capabilities instead of root, the tools this thread forks get CAP_NET_ADMIN as ambient.
            ToolCapabilitiesNote = thread.InvokeAsync(ToolCapabilities.InheritNetAdmin).GetAwaiter().GetResult();
        }
        _firewall = options.Firewall ? new FirewallSource(thread, replay?.ClockOf(SourceClock.Firewall) ?? clock, null, _io, replay?.Tools) : null;
        if (options.Resets && replay is null)
        {
            // Global tracepoints: one source whatever the namespace; events are attributed per tick.
            _resets = new ResetTraceSource();
            if (recording is not null)
            {
                ResetTraceSource r = _resets;
                r.Tap = record => recording.OnPerfRecord(record, r.CurrentWallOffsetNs);
                r.TaskTap = recording.OnTask;
            }
            // tracefs, formats and kallsyms take a few hundred ms: not on the way to the first snapshot.
            _resetsStarted = Task.Run(() =>
            {
                _resets.Start();
                recording?.CopyTracepointFormats();
            });
        }
        _packets = options.Packets ? new PacketCaptureSource(thread) : null;
        if (_packets is not null)
        {
            if (replay is null)
            {
                _packetRing = new PacketEventRing(65_536);
                if (recording is not null)
                {
                    _packets.Tap = recording.OnFrame;
                }
                _packets.Consumer = ConsumeBatch;
                // Started now, not awaited: the ring fills from when it is up; StartedAsync waits for it.
                _packetsStarted = _packets.StartAsync(_stop.Token);
            }
            else
            {
                _packetRing = _packets.Subscribe(65_536);
            }
        }
        HostName = replay?.Meta.Host ?? Environment.MachineName;
        Kernel = replay?.Meta.Kernel ?? ReadKernel();
        NetnsName = replay?.Meta.Netns ?? thread.Target?.Display ?? "host";
        _builder = new SnapshotBuilder(HostName, Kernel, NetnsName, options.Tombstone);
        _latest = HostSnapshot.Empty(HostName, Kernel, NetnsName) with { Sources = CollectStatuses() };
        recording?.Begin(new RecordingMeta
        {
            NettopVersion = typeof(CaptureHub).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            Host = HostName,
            Kernel = Kernel,
            Netns = NetnsName,
            Started = _time.GetUtcNow(),
            TickInterval = options.RefreshInterval,
            Sockets = options.Sockets.ToString().ToLowerInvariant(),
            TcpInfo = options.TcpInfo,
            Firewall = options.Firewall,
            Resets = options.Resets,
            Packets = options.Packets,
            ProcessOwners = options.ProcessOwners,
            FirewallTools = _firewall?.FoundTools is { } t
                ? new RecordedTools(t.Save4, t.Save6, t.LegacySave4, t.LegacySave6, t.NftSave4, t.NftSave6, t.Nft, t.DefaultIsLegacy)
                : null,
            PerfSampleType = ResetTraceSource.SampleType,
        });
    }

    /// <summary>Resolves and enters the namespace; throws <see cref="NetnsException"/> when it cannot.</summary>
    public static CaptureHub Create(CaptureOptions options, TimeProvider? time = null)
    {
        NetnsTarget? target = options.Netns is null ? null : NetnsTarget.Resolve(options.Netns);
        NetnsThread thread = NetnsThread.Start(target is null ? "nettop-netns-host" : $"nettop-netns-{target.Display}", target);
        return new CaptureHub(options, time ?? TimeProvider.System, thread);
    }

    /// <summary>
    /// A live hub that also writes every source's raw input into <paramref name="recording"/> (`nettop record`);
    /// finish it with <see cref="CaptureRecording.Complete"/> after the hub is disposed.
    /// </summary>
    public static CaptureHub Create(CaptureOptions options, CaptureRecording recording)
    {
        NetnsTarget? target = options.Netns is null ? null : NetnsTarget.Resolve(options.Netns);
        NetnsThread thread = NetnsThread.Start(target is null ? "nettop-netns-host" : $"nettop-netns-{target.Display}", target);
        return new CaptureHub(options, TimeProvider.System, thread, recording);
    }

    /// <summary>A hub whose sources read <paramref name="session"/>'s recording; refreshed by <see cref="ReplayHub"/>, tick by tick.</summary>
    internal static CaptureHub CreateReplay(CaptureOptions options, ReplaySession session)
    {
        // No setns: nothing is read from the kernel, but the sources run their work on a namespace thread as live.
        NetnsThread thread = NetnsThread.Start("nettop-replay", null);
        return new CaptureHub(options, session.Time, thread, replay: session);
    }

    /// <summary>What was done so the firewall tools get CAP_NET_ADMIN without root (diagnostics), or null.</summary>
    public string? ToolCapabilitiesNote { get; }

    public string HostName { get; }
    public string Kernel { get; }
    public string NetnsName { get; }
    public SocketsSource Sockets => _sockets;
    public CountersSource Counters => _counters;
    public NetnsThread NetnsThread => _netnsThread;

    /// <summary>socket inode → owner for every socket (the owner cache's last scan), for drill-down screens.</summary>
    public IProcessOwners Owners => (IProcessOwners?)_owners ?? NoProcessOwners.Instance;

    /// <summary>The last published snapshot (an empty one before the first tick).</summary>
    public HostSnapshot Latest => _latest;

    public event Action<HostSnapshot>? Published;

    public TimeSpan RefreshInterval
    {
        get => _interval;
        set
        {
            _interval = value;
            if (_timer is not null)
            {
                _timer.Period = value;
            }
        }
    }

    /// <summary>Refreshes on every tick until cancelled or disposed.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        _timer = new PeriodicTimer(_interval, _time);
        try
        {
            do
            {
                if (Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
                {
                    continue; // the previous refresh is still running: skip this tick
                }
                try
                {
                    await RefreshCoreAsync(linked.Token).ConfigureAwait(false);
                    _refreshError = null;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One failed refresh never ends the loop: the status line says what failed and the next tick retries.
                    _refreshError = new SourceStatus("hub", SourceHealth.Degraded, $"last refresh failed: {e.GetType().Name}: {e.Message}");
                    // A new sequence, so that screens which redraw on a new snapshot show the failure.
                    _latest = _latest with { Sources = CollectStatuses(), Sequence = Interlocked.Increment(ref _sequence) };
                    _published.Set();
                }
                finally
                {
                    Volatile.Write(ref _refreshing, 0);
                }
            }
            while (await _timer.WaitForNextTickAsync(linked.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
        }
        finally
        {
            _timer.Dispose();
            _timer = null;
        }
    }

    /// <summary>One refresh now (snapshot mode, tests); waits for a running one to finish first.</summary>
    public Task<HostSnapshot> RefreshAsync(CancellationToken ct = default) => RefreshCoreAsync(ct);

    /// <summary>Waits until a snapshot newer than <paramref name="afterSequence"/> is published.</summary>
    public async Task<HostSnapshot> WaitForNextAsync(long afterSequence, CancellationToken ct = default)
    {
        while (_latest.Sequence <= afterSequence)
        {
            await _published.WaitAsync(ct).ConfigureAwait(false);
            _published.Reset();
        }
        return _latest;
    }

    /// <summary>
    /// Waits until the event sources (reset tracepoints, packet capture) are set up or have failed (their status
    /// says why). They start in the background so the first snapshot is not delayed; events before this are missed.
    /// </summary>
    public async Task StartedAsync(CancellationToken ct = default)
    {
        try
        {
            await Task.WhenAll(_resetsStarted, _packetsStarted ?? Task.CompletedTask).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A source that failed to start reports it in its status; nothing to wait for.
        }
    }

    /// <summary>
    /// The control packets (SYN, SYN-ACK, FIN, RST, ICMP errors) the capture kept for one flow, both directions,
    /// oldest first: the connection detail's timeline. Empty when the capture is off or saw none of the flow.
    /// </summary>
    public IReadOnlyList<PacketEvent> FlowPackets(NetEndpoint local, NetEndpoint remote) =>
        _packets?.FlowPackets(local, remote) ?? [];

    /// <summary>
    /// The flow's kept packets as a pcap file's bytes (LINKTYPE_LINUX_SLL, nanosecond timestamps) and how many
    /// packets it holds; the caller writes it atomically (0 packets: nothing worth writing).
    /// </summary>
    public (byte[] Pcap, int Packets) FlowPcap(NetEndpoint local, NetEndpoint remote)
    {
        IReadOnlyList<CapturedPacket> packets = _packets?.FlowCaptured(local, remote) ?? [];
        return (PcapWriter.Write(packets), packets.Count);
    }

    /// <summary>Waits for the process-owner scan to cover the current sockets (snapshot mode).</summary>
    public Task ScanOwnersAsync(CancellationToken ct = default) => _owners?.ScanAsync(ct) ?? Task.CompletedTask;

    /// <summary>The caller stopped waiting for an owner scan: say so in the owners status.</summary>
    public void OwnersIncomplete(TimeSpan waited) => _owners?.MarkIncomplete(waited);

    private async Task<HostSnapshot> RefreshCoreAsync(CancellationToken ct)
    {
        using (await _refreshLock.LockAsync(ct).ConfigureAwait(false))
        {
            _recording?.BeginTick();
            // The firewall tools run as child processes while the namespace thread dumps sockets.
            Task<FirewallSample>? firewall = _firewall?.PollAsync(ct);
            // Both on the namespace thread in one hop: each hop wakes that thread and a pool worker for the
            // continuation (~0.3 ms of CPU a wake-up on this class of VM, docs/benchmarks.md "tui").
            (SocketsSample sockets, CountersSample counters) =
                await _netnsThread.InvokeAsync(() => (_sockets.Poll(), _counters.Poll()), ct).ConfigureAwait(false);
            FirewallSample? firewallSample = firewall is null ? null : await firewall.ConfigureAwait(false);
            _refreshError = null; // this refresh got its data: the status it publishes must not carry the old error
            List<ResetEvent> resets = await CollectResetsAsync(sockets, ct).ConfigureAwait(false);
            if (_owners is not null)
            {
                CollectUnknownOwners(sockets, _unknownOwners);
                if (_unknownOwners.Count > 0)
                {
                    _owners.RequestRescan(_unknownOwners);
                }
            }
            TimeSpan at = _time.GetElapsedTime(_start);
            DateTimeOffset now = _time.GetUtcNow();
            ImmutableArray<SourceStatus> statuses = CollectStatuses();
            HostSnapshot snapshot = _builder.Build(new SnapshotInputs
            {
                At = at,
                Now = now,
                Sockets = sockets,
                Counters = counters,
                Owners = _ownerView,
                Sources = statuses,
                SynLinearTimeouts = counters.SynLinearTimeouts ?? 4,
                Firewall = firewallSample,
                Resets = resets,
            });
            // Cumulative counts of what the event rings handed over (drops included) by this tick's reset collection, so
            // a replay hands over the same: packets the consumer takes after it belong to the next tick.
            _recording?.EndTick(new TickInput(_recording.Tick, at, now, sockets.At, counters.At, firewallSample?.At, _resetMode,
                _resetsTaken + (_resets?.RingDropped ?? 0), _packetsAtCollect, statuses));
            snapshot = snapshot with { Sequence = Interlocked.Increment(ref _sequence) };
            _latest = snapshot;
            _published.Set();
            Published?.Invoke(snapshot);
            return snapshot;
        }
    }

    /// <summary>
    /// This tick's resets, attributed to the watched namespace: tracepoint events (global) are kept when their
    /// cookie is in this namespace's sockets, their task is in it, or this namespace's capture saw the RST; with
    /// --netns the others are left out, without it they are tagged "other netns". Without tracepoints, RSTs
    /// from the capture are classified from the wire.
    /// </summary>
    private async Task<List<ResetEvent>> CollectResetsAsync(SocketsSample sockets, CancellationToken ct)
    {
        _resetDecided.Clear();
        _resetResolved.Clear();
        if (_attributor is null)
        {
            ulong? inode = await _netnsThread.InvokeAsync(_io.NetnsInode, ct).ConfigureAwait(false);
            lock (_packetGate)
            {
                _attributor = new ResetNetnsAttributor(inode, rsts: _resetPackets.Rsts);
            }
            _recording?.SetNetnsInode(inode);
        }
        lock (_packetGate)
        {
            return CollectResetsLocked(sockets);
        }
    }

    private List<ResetEvent> CollectResetsLocked(SocketsSample sockets)
    {
        ResetNetnsAttributor attributor = _attributor!;
        attributor.ObserveSockets(sockets.Sockets, _time.GetUtcNow());
        // A replay takes the branch the live hub took at this tick.
        _resetMode = _replay?.ResetMode
            ?? (_resets is { IsRunning: true } ? ResetFeedMode.Tracepoints
                : _resets is null || _resetsStarted.IsCompleted ? ResetFeedMode.Wire : ResetFeedMode.Starting);
        if (_replay is not null && _packets is not null && _packetRing is not null)
        {
            _replay.FeedPackets(_packets, _packetRing);
        }
        // What the consumer has not taken yet (live), or all of this tick's packets (replay, or no consumer yet).
        ConsumePacketsLocked(classify: _replay is not null ? _resetMode == ResetFeedMode.Wire : ClassifyFromWire,
            remember: _replay is not null ? _resetMode != ResetFeedMode.Wire : RememberRsts);
        _packetsAtCollect = _packetsTaken + (_packetRing?.Dropped ?? 0);
        _packets?.ReadStatistics();
        _resetEvents.Clear();
        if (_resetMode == ResetFeedMode.Tracepoints)
        {
            _resetsTaken += _replay?.DrainResets(_resetEvents) ?? _resets!.Drain(_resetEvents);
            ReceivedResetResolver.StampStates(_resetEvents, attributor);
        }
        else if (_resetMode == ResetFeedMode.Wire)
        {
            // No tracepoints (not asked for, or they failed: the resets status says why): the resets the consumer
            // classified from the wire since the last tick.
            _resetEvents.AddRange(_resetPackets.WireResets);
        }
        // else the tracepoints are still starting: neither, so no reset is counted twice.
        _resetPackets.WireResets.Clear();
        DateTimeOffset now = _time.GetUtcNow();
        attributor.AttributeSettled(_resetEvents, now, _resetDecided);
        attributor.Prune(now);
        // Received tracepoint resets get their kind from their captured segment and their state from the sockets.
        _received.Resolve(_resetDecided, now, attributor, awaitPackets: _packets?.IsRunning == true, _resetResolved);
        if (_options.Netns is not null)
        {
            _resetResolved.RemoveAll(e => e.NetnsTag is not null);
        }
        return _resetResolved;
    }

    /// <summary>Live: classify RSTs from the wire unless the tracepoints run (while they start too: a tick that finds
    /// them still starting discards what was classified, as it would have skipped classifying).</summary>
    private bool ClassifyFromWire => _resets is not { IsRunning: true };

    /// <summary>Live: the RSTs are remembered for the attributor and the resolver while the tracepoints run or start; without
    /// them only tracepoint events use that memory, so the consumer skips it.</summary>
    private bool RememberRsts => _resets is { IsRunning: true } || (_resets is not null && !_resetsStarted.IsCompleted);

    /// <summary>
    /// Takes everything in the subscriber ring: the attributor and the resolver remember its SYNs and RSTs, and with
    /// <paramref name="classify"/> each RST becomes wire resets for the next tick (at most <see cref="MaxWireResets"/>;
    /// the rest are counted in the packets status). Under _packetGate.
    /// </summary>
    private void ConsumePacketsLocked(bool classify, bool remember)
    {
        if (_packetRing is null || _packetRing.Count == 0) return;
        _packetEvents.Clear();
        _packetRing.Drain(_packetEvents);
        ConsumeLocked(CollectionsMarshal.AsSpan(_packetEvents), classify, remember);
    }

    /// <summary>Feeds <paramref name="packets"/> to the attributor, the resolver and (with <paramref name="classify"/>) the
    /// wire classifier. Under _packetGate, with the attributor made.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void ConsumeLocked(ReadOnlySpan<PacketEvent> packets, bool classify, bool remember)
    {
        if (packets.IsEmpty) return;
        _packetsTaken += packets.Length;
        _resetPackets.Consume(packets, classify, remember);
    }

    /// <summary>Packets that wait for the first tick (taken before the attributor existed; tests).</summary>
    internal int PendingPackets
    {
        get
        {
            lock (_packetGate)
            {
                return _packetRing?.Count ?? 0;
            }
        }
    }

    /// <summary>Wire resets the packet consumer classified since the last tick (tests: it runs without a tick).</summary>
    internal int PendingWireResets
    {
        get
        {
            lock (_packetGate)
            {
                return _resetPackets.WireResets.Count;
            }
        }
    }

    /// <summary>
    /// The packet consumer, on the capture's reader thread once per retired block (live only). Before the first tick
    /// made the attributor the packets wait in the ring and that tick takes them; after it, whatever still waits there
    /// goes first, then the block.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void ConsumeBatch(ReadOnlySpan<PacketEvent> packets)
    {
        lock (_packetGate)
        {
            if (_attributor is null)
            {
                _packetRing!.Write(packets);
                return;
            }
            bool classify = ClassifyFromWire, remember = RememberRsts;
            ConsumePacketsLocked(classify, remember);
            ConsumeLocked(packets, classify, remember);
        }
    }

    /// <summary>Listeners and connecting sockets whose owner the cache does not know (the panels show those owners).</summary>
    private void CollectUnknownOwners(SocketsSample sample, List<ulong> into)
    {
        into.Clear();
        SocketTable list = sample.Sockets;
        for (int i = 0; i < list.Count && into.Count < 4096; i++)
        {
            ref readonly TcpSocket s = ref list[i];
            if (s.Inode != 0 && s.State is TcpState.Listen or TcpState.SynSent && !_owners!.TryGet(s.Inode, out _))
            {
                into.Add(s.Inode);
            }
        }
    }

    private ImmutableArray<SourceStatus> CollectStatuses()
    {
        if (_replay is not null)
        {
            // What the sources said when it was recorded, and how the replay is going.
            return _replay.Statuses();
        }
        ImmutableArray<SourceStatus>.Builder b = ImmutableArray.CreateBuilder<SourceStatus>(7);
        b.Add(_sockets.Status);
        b.Add(_counters.Status);
        b.Add(_owners?.Status ?? new SourceStatus(ProcessOwnerCache.SourceName, SourceHealth.Unavailable,
            "process owners disabled", "set Capture:ProcessOwners to true"));
        if (_firewall is not null)
        {
            b.Add(_firewall.Status);
        }
        if (_resets is not null)
        {
            b.Add(_resets.Status);
        }
        if (_packets is not null)
        {
            b.Add(_packets.Status);
        }
        if (_resetPackets.WireResetsDropped is > 0 and long dropped)
        {
            b.Add(new SourceStatus("wire resets", SourceHealth.Degraded,
                $"{dropped} RSTs not classified: more than {MaxWireResets} wire resets between two refreshes", "refresh more often (lower the interval)"));
        }
        if (_refreshError is { } error)
        {
            b.Add(error);
        }
        return b.DrainToImmutable();
    }

    private static string ReadKernel()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Environment.OSVersion.VersionString;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        using (await _refreshLock.LockAsync().ConfigureAwait(false))
        {
            // Event sources first: their reader threads and fds go before the namespace thread they were made on.
            await _resetsStarted.ConfigureAwait(false);
            if (_packetsStarted is not null)
            {
                try
                {
                    await _packetsStarted.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                {
                }
            }
            _resets?.Dispose();
            _packets?.Dispose();
            _firewall?.Dispose();
            _netnsThread.Dispose();
            _sockets.Dispose();
            _owners?.Dispose();
        }
        _stop.Dispose();
    }

    /// <summary>The snapshot builder's owner lookups, recorded as it makes them (a replay answers the same).</summary>
    private sealed class RecordedOwners(IProcessOwners inner, CaptureRecording recording) : IProcessOwners
    {
        public bool TryGet(ulong inode, out ProcessOwner? owner)
        {
            bool known = inner.TryGet(inode, out owner);
            recording.OnOwner(inode, known ? owner : null);
            return known;
        }
    }
}
