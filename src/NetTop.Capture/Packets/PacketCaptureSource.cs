using System.Globalization;
using NetTop.Capture.Interop;
using NetTop.Capture.Namespaces;
using NetTop.Model;
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
}

/// <summary>
/// The shared packet capture of one watched namespace: an AF_PACKET TPACKET_V3 ring created on the namespace's
/// <see cref="NetnsThread"/> (the socket stays in that netns), with a classic BPF filter that passes only TCP
/// segments with SYN, FIN or RST and ICMP/ICMPv6 errors and drops loopback's outgoing duplicate. A dedicated
/// reader thread walks the blocks, decodes with PacketDotNet and writes each <see cref="PacketEvent"/> into every
/// subscriber's bounded ring. The kernel's own drop count (PACKET_STATISTICS) shows in the status.
/// </summary>
public sealed class PacketCaptureSource : ISource, IDisposable
{
    public const string SourceName = "packets";
    // Blocks retire every RetireTimeoutMs when packets flow, which wakes poll; idle, the reader wakes once a
    // second (statistics) and at once on Dispose through an eventfd.
    private const int PollTimeoutMs = 1000;

    private readonly NetnsThread _netns;
    private readonly PacketCaptureOptions _options;
    private readonly Lock _subscribersLock = new();
    private EventRing<PacketEvent>[] _subscribers = [];
    private readonly TpacketBlockParser.FrameHandler _onFrame;
    private PacketRing? _ring;
    private int _wakeFd = -1;
    private Thread? _thread;
    private volatile bool _stop;
    private volatile SourceStatus _status = new(SourceName, SourceHealth.Unavailable, "not started");
    private long _kernelPackets;
    private long _kernelDrops;
    private long _decoded;
    private long _malformed;
    private long _blocks;
    private bool _disposed;

    public PacketCaptureSource(NetnsThread netns, PacketCaptureOptions? options = null)
    {
        _netns = netns;
        _options = options ?? new PacketCaptureOptions();
        _onFrame = OnFrame;
    }

    public string Name => SourceName;

    /// <summary>Called on the reader thread with every frame's captured bytes (recording); keep it cheap.</summary>
    public TpacketBlockParser.FrameHandler? Tap { get; set; }

    public long Decoded => Interlocked.Read(ref _decoded);
    public long Malformed => Interlocked.Read(ref _malformed);
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
    public EventRing<PacketEvent> Subscribe(int capacity)
    {
        EventRing<PacketEvent> ring = new(capacity);
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, ring];
        }
        return ring;
    }

    public void Unsubscribe(EventRing<PacketEvent> ring)
    {
        lock (_subscribersLock)
        {
            _subscribers = _subscribers.Where(r => !ReferenceEquals(r, ring)).ToArray();
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

    private unsafe void ReadLoop()
    {
        PacketRing ring = _ring!;
        pollfd* pfd = stackalloc pollfd[2];
        pfd[0] = new pollfd { fd = ring.Fd, events = (short)(POLLIN | POLLERR) };
        pfd[1] = new pollfd { fd = _wakeFd, events = (short)POLLIN };
        long nextStats = 0;
        while (!_stop)
        {
            bool any = false;
            while (!_stop)
            {
                ReadOnlySpan<byte> block = ring.CurrentBlock();
                if (block.IsEmpty) break;
                (int _, int bad) = TpacketBlockParser.Walk(block, _onFrame);
                if (bad > 0) Interlocked.Add(ref _malformed, bad);
                ring.ReleaseBlock();
                Interlocked.Increment(ref _blocks);
                any = true;
            }
            if (Environment.TickCount64 >= nextStats)
            {
                ReadStatistics();
                nextStats = Environment.TickCount64 + 500;
            }
            if (!any)
            {
                PerfEvents.poll(pfd, _wakeFd >= 0 ? 2UL : 1UL, PollTimeoutMs);
            }
        }
    }

    /// <summary>Accumulates PACKET_STATISTICS (the kernel resets its counters on every read).</summary>
    public void ReadStatistics()
    {
        if (_ring is not { } r) return;
        (uint packets, uint drops, uint _) = r.ReadStatistics();
        Interlocked.Add(ref _kernelPackets, packets);
        Interlocked.Add(ref _kernelDrops, drops);
    }

    /// <summary>
    /// Hands a recorded frame to the decoder and the subscribers as if the ring had delivered it (replay; the source
    /// is not started then). Call from one thread.
    /// </summary>
    internal void Inject(in TpacketFrame f) => OnFrame(in f);

    private void OnFrame(in TpacketFrame f)
    {
        Tap?.Invoke(in f);
        DateTimeOffset time = DateTimeOffset.UnixEpoch.AddTicks(f.Sec * TimeSpan.TicksPerSecond + f.Nsec / 100);
        PacketEvent? e = PacketDecoder.Decode(f.Data, f.Protocol, f.IfIndex, f.PktType, time, (int)Math.Min(f.Length, int.MaxValue));
        if (e is null)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        Interlocked.Increment(ref _decoded);
        foreach (EventRing<PacketEvent> s in _subscribers)
        {
            s.Write(e);
        }
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
        _status = new SourceStatus(SourceName, SourceHealth.Unavailable, "stopped");
    }
}
