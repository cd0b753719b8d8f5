using System.Runtime.CompilerServices;
using System.Globalization;
using NetTop.Capture.Interop;
using NetTop.Capture.Namespaces;
using NetTop.Model;
using NetTop.Model.Net;
using NetTop.Model.Packets;
using NetTop.Model.Resets;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Packets;

/// <summary>Ring sizes of the packet capture.</summary>
public sealed record PacketCaptureOptions
{
    /// <summary>TPACKET_V3 block size (a power-of-two multiple of the page size).</summary>
    public int BlockSize { get; init; } = 64 * 1024;
    /// <summary>Blocks in the ring: 32 x 64 KiB holds ~14k filtered packets (~0.3 s of a 50k/s RST flood).</summary>
    public int BlockCount { get; init; } = 32;
    /// <summary>A partly filled block is handed over after this long, so quiet periods still show packets.</summary>
    public int RetireTimeoutMs { get; init; } = 100;
    public uint SnapLen { get; init; } = PacketFilters.DefaultSnapLen;
    /// <summary>Keep each flow's control packets with their bytes (<see cref="FlowPacketStore"/>: timeline, pcap).</summary>
    public bool KeepFlowPackets { get; init; } = true;
}

/// <summary>
/// The shared packet capture of one watched namespace: an AF_PACKET TPACKET_V3 ring created on the namespace's
/// <see cref="NetnsThread"/> (the socket stays in that netns), with a classic BPF filter that passes only TCP
/// segments with SYN, FIN or RST and ICMP/ICMPv6 errors and drops loopback's outgoing duplicate. A dedicated
/// reader thread sleeps in poll() until the kernel retires a block (full, or after <see cref="PacketCaptureOptions.RetireTimeoutMs"/>
/// with at least one packet): idle, it costs nothing. Per block it decodes every frame into reused
/// <see cref="PacketEvent"/> structs, keeps the control packets with their bytes in the <see cref="FlowPacketStore"/>
/// (timeline, pcap), writes the block's packets to each subscriber's bounded ring under one lock and hands them to the
/// inline <see cref="Consumer"/>, if any. The kernel's
/// own drop count (PACKET_STATISTICS, read after each block) shows in the status. Subscribers wait on their ring's
/// signal (<see cref="PacketEventRing.WaitAsync"/>), so nothing in the process wakes while no packet passes the filter. The reader's path is compiled
/// optimized at once (AggressiveOptimization): called once per block, tiered compilation would otherwise keep
/// re-JITting it (tier 0, instrumented, tier 1) through the first minute of a quiet capture.
/// </summary>
public sealed class PacketCaptureSource : ISource, IDisposable
{
    public const string SourceName = "packets";

    private readonly NetnsThread _netns;
    private readonly PacketCaptureOptions _options;
    private readonly Lock _subscribersLock = new();
    private PacketEventRing[] _subscribers = [];
    // What a quiet block's wake-up writes besides the reader's stack and the ring: the flow lock, the reader's state
    // (counters, the quiet batch) and the flow store with its pending buffer. They are allocated one after the other
    // in the constructor, so they lie on two or three adjacent pages (a compacting GC keeps their order), not spread
    // over the heap: on the VM this was measured on, every distinct page a wake-up writes costs ~4-5 us more
    // (docs/benchmarks.md, "Capture CPU: fewer pages written per wake-up").
    private readonly Lock _flowsLock;
    private readonly ReaderState _state;
    private readonly FlowPacketStore? _flows;
    private PacketEvent[] _batch = [];
    private PacketRing? _ring;
    private int _wakeFd = -1;
    private Thread? _thread;
    private volatile bool _stop;
    private volatile SourceStatus _status = new(SourceName, SourceHealth.Unavailable, "not started");
    private long _kernelPackets;
    private long _kernelDrops;
    private bool _disposed;

    /// <summary>What the reader writes on every block: its counters and, for a block of at most
    /// <see cref="FlowPacketStore.HoldPackets"/> packets (every quiet wake-up), the decoded batch, inline.</summary>
    private sealed class ReaderState
    {
        public long Decoded;
        public long Malformed;
        public long Blocks;
        public QuietBatch Quiet;
    }

    [InlineArray(FlowPacketStore.HoldPackets)]
    private struct QuietBatch
    {
        private PacketEvent _first;
    }

    public PacketCaptureSource(NetnsThread netns, PacketCaptureOptions? options = null)
    {
        _netns = netns;
        _options = options ?? new PacketCaptureOptions();
        _flowsLock = new Lock();
        _state = new ReaderState();
        _flows = _options.KeepFlowPackets
            ? new FlowPacketStore(PacketDecoder.TryDecode, snapLength: (int)Math.Max(_options.SnapLen, FlowPacketStore.MinSnapLength),
                allocate: HugePageMemory.Allocate)
            : null;
    }

    public string Name => SourceName;

    /// <summary>Called on the reader thread with every frame's captured bytes (recording); keep it cheap.</summary>
    public TpacketBlockParser.FrameHandler? Tap { get; set; }

    /// <summary>Handles one block's decoded packets on the reader thread; the span is reused after it returns.</summary>
    public delegate void BatchHandler(ReadOnlySpan<PacketEvent> packets);

    /// <summary>
    /// The capture's inline consumer: called on the reader thread with every block's packets, after the subscriber
    /// rings got them. A consumer that only needs each packet once, promptly (the hub's attribution and wire
    /// classification), does its work here instead of on a thread of its own woken through a ring: under a flood of
    /// traffic the filter mostly rejects, each retired block then wakes one thread, not two (a wake-up is charged
    /// ~0.3-1 ms on a paravirtualized VM under load, more than the block's work). Set before <see cref="StartAsync"/>;
    /// it must be quick and must not throw (an exception would end the reader).
    /// </summary>
    public BatchHandler? Consumer { get; set; }

    /// <summary>The ring is up and the reader runs (Start succeeded, not disposed).</summary>
    public bool IsRunning => _ring is not null && !_stop;

    public long Decoded => Interlocked.Read(ref _state.Decoded);
    public long Malformed => Interlocked.Read(ref _state.Malformed);
    /// <summary>Blocks the reader has handed back to the kernel.</summary>
    public long Blocks => Interlocked.Read(ref _state.Blocks);
    /// <summary>Packets the filter passed (drops included), accumulated over PACKET_STATISTICS reads.</summary>
    public long KernelPackets => Interlocked.Read(ref _kernelPackets);
    /// <summary>Packets the kernel dropped because the ring was full.</summary>
    public long KernelDrops => Interlocked.Read(ref _kernelDrops);

    public SourceStatus Status
    {
        get
        {
            SourceStatus s = _status;
            if (_ring is null) return s;
            return SourceStatus.Ok(SourceName, string.Create(CultureInfo.InvariantCulture,
                $"AF_PACKET TPACKET_V3 {_options.BlockCount}x{_options.BlockSize / 1024} KiB in netns {_netns.Target?.Display ?? "host"}, " +
                $"filter SYN/FIN/RST + ICMP errors; {Decoded} packets, kernel drops {KernelDrops} of {KernelPackets}, malformed {Malformed}"));
        }
    }

    /// <summary>A bounded ring that receives every decoded packet from now on (oldest dropped when full).</summary>
    public PacketEventRing Subscribe(int capacity)
    {
        PacketEventRing ring = new(capacity);
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, ring];
        }
        return ring;
    }

    public void Unsubscribe(PacketEventRing ring)
    {
        lock (_subscribersLock)
        {
            _subscribers = _subscribers.Where(r => !ReferenceEquals(r, ring)).ToArray();
        }
    }

    /// <summary>The control packets kept for the flow (either orientation), oldest first; empty when none or
    /// when the store is off.</summary>
    public IReadOnlyList<PacketEvent> FlowPackets(NetEndpoint local, NetEndpoint remote)
    {
        if (_flows is null) return [];
        lock (_flowsLock)
        {
            return _flows.Packets(local, remote);
        }
    }

    /// <summary>The flow's kept packets with copies of their bytes, oldest first (for a pcap).</summary>
    public IReadOnlyList<CapturedPacket> FlowCaptured(NetEndpoint local, NetEndpoint remote)
    {
        if (_flows is null) return [];
        lock (_flowsLock)
        {
            return _flows.Captured(local, remote);
        }
    }

    /// <summary>Packets the store holds now and the bytes it reserved once (its memory bound).</summary>
    public (int Packets, long BytesReserved) FlowStoreSize
    {
        get
        {
            if (_flows is null) return (0, 0);
            lock (_flowsLock)
            {
                return (_flows.PacketCount, _flows.BytesReserved);
            }
        }
    }

    /// <summary>Creates the socket on the namespace's thread and starts reading. Failures set the status; never throws.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ring is not null) return;
        try
        {
            sock_filter[] program = PacketFilters.ResetsAndErrors(_options.SnapLen);
            _ring = await _netns.InvokeAsync(() => PacketRing.Open(program, _options.BlockSize, _options.BlockCount, _options.RetireTimeoutMs), ct)
                .ConfigureAwait(false);
        }
        catch (PacketRingException e)
        {
            _status = new SourceStatus(SourceName, SourceHealth.Unavailable, e.Message,
                e.Errno is 1 or 13 ? "run as root or grant CAP_NET_RAW; RST/SYN packets are not captured meanwhile" : "see the detail");
            return;
        }
        _wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        _thread = new Thread(ReadLoop) { Name = "nettop-packets", IsBackground = true };
        _thread.Start();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void ReadLoop()
    {
        PacketRing ring = _ring!;
        pollfd* pfd = stackalloc pollfd[2];
        pfd[0] = new pollfd { fd = ring.Fd, events = (short)(POLLIN | POLLERR) };
        pfd[1] = new pollfd { fd = _wakeFd, events = (short)POLLIN };
        // The blocks and the index of the one the kernel hands over next live in this frame, not in the ring object:
        // a wake-up touches one object page fewer.
        PacketRing.Blocks blocks = ring.View;
        int current = 0;
        while (!_stop)
        {
            ReadOnlySpan<byte> block = blocks.UserBlock(current);
            if (block.IsEmpty)
            {
                // No timeout: the kernel's block retirement (or Dispose's eventfd) is the only reason to wake.
                // Without an eventfd (it could not be made) Dispose cannot wake us: look at _stop once a second.
                PerfEvents.poll(pfd, 2UL, _wakeFd >= 0 ? -1 : 1000);
                continue;
            }
            ProcessBlock(block);
            current = blocks.ReleaseBlock(current);
            Interlocked.Increment(ref _state.Blocks);
            // PACKET_STATISTICS is not read here: the hub reads it on its tick (the status line's drop count), so a
            // wake-up costs one syscall (poll), as tcpdump's does.
        }
    }

    /// <summary>One block: decode every frame into the batch, keep control packets, publish once per subscriber.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessBlock(ReadOnlySpan<byte> block)
    {
        TpacketBlockParser.FrameReader frames = TpacketBlockParser.Frames(block);
        TpacketBlockParser.FrameHandler? tap = Tap;
        int n = 0, bad = 0;
        // A quiet block's few packets wait in the flow store's pending buffer; a busy block's go straight to the log.
        // The quiet block's batch is the reader state's inline one, on the pages the lock and the counters share.
        bool hold = frames.Count <= FlowPacketStore.HoldPackets;
        Span<PacketEvent> batch = hold ? _state.Quiet : BusyBatch(frames.Count);
        lock (_flowsLock)
        {
            while (frames.Next(out TpacketFrame f))
            {
                if (n == batch.Length) batch = Grow(batch);
                if (DecodeInto(in f, tap, ref batch[n], hold)) n++;
                else bad++;
            }
        }
        Publish(batch[..n], bad + frames.Malformed);
    }

    /// <summary>The batch of a block whose header says it holds <paramref name="frames"/> frames (more than a quiet
    /// block): sized for them up to 1,024 (a 64 KiB block holds a few hundred), grown as decoded if it holds more.</summary>
    private Span<PacketEvent> BusyBatch(uint frames)
    {
        if ((uint)_batch.Length < Math.Min(frames, 1024)) _batch = new PacketEvent[Math.Max(512, (int)Math.Min(frames, 1024))];
        return _batch;
    }

    /// <summary>A full batch, copied into a busy batch twice its size (the walk yields no more frames than the
    /// header's count, so only a busy block's batch can fill, and only past 1,024 frames).</summary>
    private PacketEvent[] Grow(Span<PacketEvent> full)
    {
        PacketEvent[] bigger = new PacketEvent[full.Length * 2];
        full.CopyTo(bigger);
        _batch = bigger;
        return bigger;
    }

    /// <summary>Tests: one block handled as the reader handles it (the source is not started).</summary>
    internal void HandleBlock(ReadOnlySpan<byte> block)
    {
        ProcessBlock(block);
        Interlocked.Increment(ref _state.Blocks);
    }

    /// <summary>Decodes one frame into <paramref name="e"/> and keeps it in the flow store; false when malformed. Under _flowsLock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool DecodeInto(in TpacketFrame f, TpacketBlockParser.FrameHandler? tap, ref PacketEvent e, bool hold)
    {
        tap?.Invoke(in f);
        DateTimeOffset time = new(DateTimeOffset.UnixEpoch.Ticks + f.Sec * TimeSpan.TicksPerSecond + f.Nsec / 100, TimeSpan.Zero);
        if (!PacketDecoder.TryDecode(f.Data, f.Protocol, f.IfIndex, f.PktType, time, (int)Math.Min(f.Length, int.MaxValue), out e))
        {
            return false;
        }
        _flows?.Add(in e, f.Data, LinkHeader.From(f.Protocol, f.PktType, f.HaType, f.LinkAddress), hold);
        return true;
    }

    /// <summary>Counts the block's decoded events, writes them to every subscriber under one lock each and hands them
    /// to the inline consumer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Publish(ReadOnlySpan<PacketEvent> batch, int bad)
    {
        if (bad > 0) Interlocked.Add(ref _state.Malformed, bad);
        if (batch.IsEmpty) return;
        Interlocked.Add(ref _state.Decoded, batch.Length);
        foreach (PacketEventRing s in _subscribers)
        {
            s.Write(batch);
        }
        Consumer?.Invoke(batch);
    }

    /// <summary>Accumulates PACKET_STATISTICS (the kernel resets its counters on every read, so concurrent callers
    /// never count a packet twice). The hub calls it on its tick (its status shows the count); the reader does not.</summary>
    public void ReadStatistics()
    {
        if (_ring is not { } r) return;
        (uint packets, uint drops, uint _) = r.ReadStatistics();
        Interlocked.Add(ref _kernelPackets, packets);
        Interlocked.Add(ref _kernelDrops, drops);
    }

    /// <summary>
    /// Hands a recorded frame to the decoder, the flow store and the subscribers as if the ring had delivered it
    /// (replay; the source is not started then, so the reader never runs beside it). Call from one thread.
    /// </summary>
    internal void Inject(in TpacketFrame f)
    {
        bool ok;
        Span<PacketEvent> batch = _state.Quiet;
        lock (_flowsLock)
        {
            ok = DecodeInto(in f, Tap, ref batch[0], hold: true);
        }
        Publish(batch[..(ok ? 1 : 0)], ok ? 0 : 1);
    }

    internal static unsafe void Wake(int eventFd)
    {
        if (eventFd < 0) return;
        ulong one = 1;
        write(eventFd, &one, sizeof(ulong));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop = true;
        Wake(_wakeFd);
        if (_thread is { } t && t != Thread.CurrentThread) t.Join(TimeSpan.FromSeconds(2));
        _ring?.Dispose();
        _ring = null;
        if (_wakeFd >= 0) close(_wakeFd);
        _wakeFd = -1;
        if (_flows is not null)
        {
            lock (_flowsLock)
            {
                _flows.Dispose();
            }
        }
        _status = new SourceStatus(SourceName, SourceHealth.Unavailable, "stopped");
    }
}
