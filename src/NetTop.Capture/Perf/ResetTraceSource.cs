using System.Diagnostics;
using System.Globalization;
using NetTop.Capture.Interop;
using NetTop.Model;
using NetTop.Model.Resets;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Perf;

/// <summary>How the reset tracepoint source sizes its buffers.</summary>
public sealed record ResetTraceOptions
{
    /// <summary>Perf ring data bytes per CPU (a power of two pages); null = 8 MiB split over the CPUs, 64 KiB..2 MiB each.</summary>
    public int? RingBytesPerCpu { get; init; }
    /// <summary>Decoded events waiting for the hub; the oldest are dropped (and counted) past this.</summary>
    public int EventCapacity { get; init; } = 32_768;
    /// <summary>Record and symbolize kernel callchains.</summary>
    public bool Stacks { get; init; } = true;
    /// <summary>Where tracefs is looked up (tests).</summary>
    public string ProcMounts { get; init; } = "/proc/mounts";
}

/// <summary>
/// Every TCP reset on the host from the tcp:tcp_send_reset and tcp:tcp_receive_reset tracepoints: one perf
/// ring per CPU (both tracepoints share it), sampling RAW | CALLCHAIN | TID | TIME | CPU | IP with kernel
/// callchains only and CLOCK_MONOTONIC timestamps. A dedicated thread polls the rings, decodes the records and
/// writes <see cref="ResetEvent"/>s into a bounded <see cref="EventRing{T}"/> that the hub drains each tick.
/// Tracepoints are global: the hub attributes events to its namespace (<see cref="ResetNetnsAttributor"/>).
/// Without root/CAP_PERFMON, tracefs or the tracepoints it reports Unavailable with the fix; it never throws.
/// </summary>
public sealed class ResetTraceSource : ISource, IDisposable
{
    public const string SourceName = "resets";
    public const ulong SampleType = PerfEvents.PERF_SAMPLE_IP | PerfEvents.PERF_SAMPLE_TID | PerfEvents.PERF_SAMPLE_TIME |
        PerfEvents.PERF_SAMPLE_CPU | PerfEvents.PERF_SAMPLE_CALLCHAIN | PerfEvents.PERF_SAMPLE_RAW;
    // The rings wake the reader at a quarter full; a lone reset waits for this timeout (well under a refresh tick).
    // Dispose wakes it at once through an eventfd. After QuietAfterMs without a record the timeout stretches to
    // QuietPollTimeoutMs: each wake-up costs ~0.3 ms of CPU on this class of VM, 5 a second were ~40 ms per 30 s of
    // an idle NetTop (docs/benchmarks.md "tui"); the first reset after a quiet spell then reaches the feed within
    // about one 1 s refresh more, and the ones after it at the short timeout again.
    internal const int PollTimeoutMs = 200;
    internal const int QuietPollTimeoutMs = 1000;
    internal const long QuietAfterMs = 10_000;
    private const int TaskCacheCapacity = 4096;

    private readonly ResetTraceOptions _options;
    private readonly EventRing<ResetEvent> _events;
    private readonly List<PerfCpuRing> _rings = [];
    private readonly Dictionary<int, (TaskInfo Info, long Until)> _tasks = [];
    private readonly byte[] _scratch = new byte[65_536];
    private readonly PerfRecordHandler _onRecord;
    private ResetRecordDecoder? _decoder;
    private Thread? _thread;
    private int _wakeFd = -1;
    private volatile bool _stop;
    private volatile SourceStatus _status = new(SourceName, SourceHealth.Unavailable, "not started");
    private string _setup = "";
    private string? _degraded;
    private long _wallOffsetNs;
    private long _samples;
    private long _events_;
    private long _lostEvents;
    private long _lostRecords;
    private long _malformed;
    private long _foreign;
    private bool _disposed;

    public ResetTraceSource(ResetTraceOptions? options = null)
    {
        _options = options ?? new ResetTraceOptions();
        _events = new EventRing<ResetEvent>(_options.EventCapacity);
        _onRecord = OnRecord;
    }

    public string Name => SourceName;

    /// <summary>Decoded resets, oldest first; the hub drains them each tick (<see cref="Drain"/>).</summary>
    public EventRing<ResetEvent> Events => _events;

    /// <summary>Called on the reader thread with each raw ring record (recording fixtures); keep it cheap.</summary>
    public PerfRecordHandler? Tap { get; set; }

    /// <summary>Called on the reader thread with each task lookup of a process-context event (recording).</summary>
    public Action<int, int, TaskInfo>? TaskTap { get; set; }

    /// <summary>Unix-epoch ns minus CLOCK_MONOTONIC ns as the reader uses it now; read it in <see cref="Tap"/> (recording).</summary>
    public long CurrentWallOffsetNs => Interlocked.Read(ref _wallOffsetNs);

    public bool IsRunning => _thread is not null;
    public long Samples => Interlocked.Read(ref _samples);
    /// <summary>Events the kernel dropped because a ring was full (PERF_RECORD_LOST).</summary>
    public long LostEvents => Interlocked.Read(ref _lostEvents);
    public long Malformed => Interlocked.Read(ref _malformed);
    /// <summary>Decoded events dropped from <see cref="Events"/> because the hub did not drain in time.</summary>
    public long RingDropped => _events.Dropped;

    public SourceStatus Status
    {
        get
        {
            SourceStatus s = _status;
            if (_thread is null || s.Health == SourceHealth.Unavailable) return s;
            string detail = string.Create(CultureInfo.InvariantCulture,
                $"{_setup}; {Interlocked.Read(ref _events_)} resets, lost {LostEvents}, malformed {Malformed}, queue drops {RingDropped}");
            return _degraded is null
                ? SourceStatus.Ok(SourceName, detail)
                : new SourceStatus(SourceName, SourceHealth.Degraded, $"{detail}; {_degraded}", s.Fix);
        }
    }

    /// <summary>Moves the decoded resets (oldest first) into <paramref name="into"/>.</summary>
    public int Drain(List<ResetEvent> into) => _events.Drain(into);

    /// <summary>Opens the tracepoints and starts the reader thread. Failures set <see cref="Status"/>; never throws.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_thread is not null) return;
        try
        {
            if (Open() is { } unavailable)
            {
                CloseRings();
                _status = unavailable;
                return;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PerfOpenException)
        {
            CloseRings();
            _status = new SourceStatus(SourceName, SourceHealth.Unavailable, e.Message, FixFor(e));
            return;
        }
        foreach (PerfCpuRing r in _rings) r.Enable();
        _wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        _thread = new Thread(ReadLoop) { Name = "nettop-resets", IsBackground = true };
        _status = new SourceStatus(SourceName, _degraded is null ? SourceHealth.Ok : SourceHealth.Degraded, _setup,
            _degraded is null ? null : "run as root (CAP_SYSLOG for kernel symbols)");
        _thread.Start();
    }

    private static bool Searchable(string dir)
    {
        try
        {
            using IEnumerator<string> e = Directory.EnumerateFileSystemEntries(dir).GetEnumerator();
            e.MoveNext();
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    private SourceStatus? Open()
    {
        string? dir = Tracefs.Locate(out string? note, out string? problem, _options.ProcMounts);
        if (dir is null)
        {
            return new SourceStatus(SourceName, SourceHealth.Unavailable, problem ?? "tracefs not found",
                "run as root, or mount it: mount -t tracefs tracefs /sys/kernel/tracing");
        }
        string sendPath = Path.Combine(dir, "events", "tcp", ResetTracepointLayout.SendName, "format");
        string receivePath = Path.Combine(dir, "events", "tcp", ResetTracepointLayout.ReceiveName, "format");
        if (!File.Exists(sendPath) && !Searchable(dir))
        {
            // File.Exists is false for a file in a directory we may not search (tracefs is 0700): say that, not "old kernel".
            return new SourceStatus(SourceName, SourceHealth.Unavailable,
                $"tracefs at {dir} is not readable as uid {geteuid()}",
                "run as root (or grant CAP_PERFMON and read access to tracefs); resets are classified from the wire meanwhile");
        }
        if (!File.Exists(sendPath))
        {
            return new SourceStatus(SourceName, SourceHealth.Unavailable,
                $"no tracepoint tcp:tcp_send_reset ({sendPath} missing)", "a kernel ≥ 4.15 with CONFIG_TRACEPOINTS; resets are classified from the wire meanwhile");
        }
        TracepointFormat? send = TracepointFormatParser.Parse(File.ReadAllText(sendPath));
        TracepointFormat? receive = File.Exists(receivePath) ? TracepointFormatParser.Parse(File.ReadAllText(receivePath)) : null;
        if (send is null)
        {
            return new SourceStatus(SourceName, SourceHealth.Unavailable, $"{sendPath} has no ID line", "a kernel with tcp tracepoints");
        }
        ResetTracepointLayout? layout = ResetTracepointLayout.Create(send, receive, out string? layoutProblem);
        if (layout is null)
        {
            return new SourceStatus(SourceName, SourceHealth.Unavailable, layoutProblem ?? "unexpected tracepoint layout", "a newer kernel");
        }
        List<string> notes = [];
        if (layoutProblem is not null) notes.Add(layoutProblem);
        if (receive is null) notes.Add("no tcp:tcp_receive_reset tracepoint: received resets come from the wire only");
        if (layout.Reasons is null) notes.Add("kernel < 6.10: no reset reasons");

        StackSymbolizer? stacks = null;
        if (_options.Stacks)
        {
            KallsymsSymbolizer kallsyms = KallsymsSymbolizer.Load(out string? symProblem);
            if (symProblem is not null) notes.Add(symProblem);
            stacks = new StackSymbolizer(kallsyms);
        }
        _decoder = new ResetRecordDecoder(layout, stacks);

        IReadOnlyList<int> cpus = OnlineCpus();
        int ringBytes = RingBytes(cpus.Count);
        List<uint> ids = [layout.SendId];
        if (layout.ReceiveId is { } rid) ids.Add(rid);
        foreach (int cpu in cpus)
        {
            _rings.Add(PerfCpuRing.Open(cpu, ids, SampleType, ringBytes / Environment.SystemPageSize));
        }
        _setup = string.Create(CultureInfo.InvariantCulture,
            $"perf tcp:tcp_send_reset{(layout.ReceiveId is null ? "" : "+tcp_receive_reset")} on {cpus.Count} CPUs, {ringBytes / 1024} KiB ring each")
            + (note is null ? "" : $" ({note})");
        _degraded = notes.Count == 0 ? null : string.Join("; ", notes);
        return null;
    }

    private int RingBytes(int cpus)
    {
        int page = Environment.SystemPageSize;
        int want = _options.RingBytesPerCpu ?? Math.Clamp((8 << 20) / Math.Max(1, cpus), 64 << 10, 2 << 20);
        int pages = 1;
        while (pages * 2 * page <= want) pages *= 2; // the data area must be 2^n pages
        return pages * page;
    }

    private static IReadOnlyList<int> OnlineCpus()
    {
        try
        {
            IReadOnlyList<int> cpus = Tracefs.ParseCpuList(File.ReadAllText("/sys/devices/system/cpu/online"));
            if (cpus.Count > 0) return cpus;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return Enumerable.Range(0, Environment.ProcessorCount).ToArray();
    }

    private static string FixFor(Exception e) => e is PerfOpenException { Errno: var n } && (n == EACCES || n == EPERM)
        ? $"run as root or grant CAP_PERFMON (kernel.perf_event_paranoid={Paranoid()}); resets are classified from the wire meanwhile"
        : e is UnauthorizedAccessException
            ? "run as root (tracefs is readable by root only)"
            : "see the detail; resets are classified from the wire meanwhile";

    private static string Paranoid()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/perf_event_paranoid").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    private unsafe void ReadLoop()
    {
        pollfd* fds = stackalloc pollfd[_rings.Count + 1];
        for (int i = 0; i < _rings.Count; i++)
        {
            fds[i].fd = _rings[i].LeaderFd;
            fds[i].events = (short)POLLIN;
        }
        fds[_rings.Count].fd = _wakeFd;
        fds[_rings.Count].events = (short)POLLIN;
        long lastRecord = Environment.TickCount64;
        while (!_stop)
        {
            int timeout = PollTimeout(Environment.TickCount64 - lastRecord);
            PerfEvents.poll(fds, (ulong)_rings.Count + (_wakeFd >= 0 ? 1UL : 0UL), timeout);
            if (_stop) break;
            Interlocked.Exchange(ref _wallOffsetNs, WallOffsetNs());
            int records = 0;
            foreach (PerfCpuRing ring in _rings)
            {
                records += ring.Drain(_scratch, _onRecord);
            }
            if (records > 0)
            {
                lastRecord = Environment.TickCount64;
            }
        }
    }

    /// <summary>The reader's poll timeout, <paramref name="sinceRecordMs"/> after the last record it drained.</summary>
    internal static int PollTimeout(long sinceRecordMs) => sinceRecordMs >= QuietAfterMs ? QuietPollTimeoutMs : PollTimeoutMs;

    private void OnRecord(ReadOnlySpan<byte> record)
    {
        Tap?.Invoke(record);
        switch (PerfRecordParser.Parse(record, SampleType, out PerfSample s, out ulong lost))
        {
            case PerfRecordKind.Sample:
                Interlocked.Increment(ref _samples);
                ResetEvent? e = _decoder!.Decode(ref s, Interlocked.Read(ref _wallOffsetNs), TaskOf);
                if (e is null)
                {
                    Interlocked.Increment(ref _foreign);
                    Interlocked.Increment(ref _malformed);
                    return;
                }
                Interlocked.Increment(ref _events_);
                _events.Write(e);
                break;
            case PerfRecordKind.Lost:
                Interlocked.Increment(ref _lostRecords);
                Interlocked.Add(ref _lostEvents, (long)Math.Min(lost, int.MaxValue));
                break;
            case PerfRecordKind.Malformed:
                Interlocked.Increment(ref _malformed);
                break;
        }
    }

    /// <summary>Unix-epoch ns minus CLOCK_MONOTONIC ns (Stopwatch is CLOCK_MONOTONIC on Linux).</summary>
    public static long WallOffsetNs()
    {
        long mono = (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
        long wall = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        return wall - mono;
    }

    /// <summary>Monotonic ns now, in the clock of the samples.</summary>
    public static long MonotonicNowNs() => (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    // Process-context events only (close-time resets): read while the task still exists, cached briefly.
    private TaskInfo TaskOf(int pid, int tid)
    {
        long now = Environment.TickCount64;
        if (_tasks.TryGetValue(tid, out var cached) && cached.Until > now)
        {
            TaskTap?.Invoke(pid, tid, cached.Info);
            return cached.Info;
        }
        if (_tasks.Count >= TaskCacheCapacity) _tasks.Clear();
        TaskInfo info = new(ReadComm(pid, tid), ReadNetnsInode($"/proc/{pid}/task/{tid}/ns/net"));
        _tasks[tid] = (info, now + 2000);
        TaskTap?.Invoke(pid, tid, info);
        return info;
    }

    private static string? ReadComm(int pid, int tid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/task/{tid}/comm").TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The inode in an nsfs link like "net:[4026532454]", or null.</summary>
    public static ulong? ReadNetnsInode(string path)
    {
        try
        {
            return ParseNsLink(new FileInfo(path).LinkTarget);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>"net:[4026532454]" → 4026532454 (pure).</summary>
    public static ulong? ParseNsLink(string? link)
    {
        if (link is null) return null;
        int open = link.IndexOf('[', StringComparison.Ordinal);
        int close = link.IndexOf(']', StringComparison.Ordinal);
        return open >= 0 && close > open + 1 && ulong.TryParse(link.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)
            ? v : null;
    }

    private void CloseRings()
    {
        foreach (PerfCpuRing r in _rings)
        {
            r.Disable();
            r.Dispose();
        }
        _rings.Clear();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop = true;
        Packets.PacketCaptureSource.Wake(_wakeFd);
        if (_thread is { } t && t != Thread.CurrentThread)
        {
            t.Join(TimeSpan.FromSeconds(2));
        }
        CloseRings();
        if (_wakeFd >= 0) close(_wakeFd);
        _wakeFd = -1;
        _status = new SourceStatus(SourceName, SourceHealth.Unavailable, "stopped");
    }
}
