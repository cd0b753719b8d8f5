using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using NetTop.Capture;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Packets;
using NetTop.Capture.Perf;
using NetTop.Model.Resets;

namespace NetTop.Bench.Capture;

/// <summary>
/// Runs one NetTop capture source the way the hub does (the resets on a drain tick, the packets on the capture's reader
/// thread, as the hub's inline consumer) while scripts/bench generates load,
/// and prints key=value lines. Modes:
///   resets  --seconds S [--tick-ms T] [--marks FILE]   the reset tracepoint source; with --marks it prints one
///           line per interval between lines appended to FILE (the load generator's step boundaries).
///   capture --netns NS --seconds S [--consumer classify|observe|none]   the packet capture of namespace NS, consumed
///           as the hub does: on the reader thread once per retired block, never a periodic drain (classify: as the hub
///           without tracepoints, the default; observe: as with them; none: the capture core alone).
/// Both print "ready" once capturing, then results; CPU is this process's user+system time over the window (scripts/bench
/// reads the capture's CPU from outside, as tcpdump's; the in-process figure and per-thread schedstat lines explain it).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: NetTop.Bench.Capture resets|capture [--netns NS] [--seconds S] [--tick-ms T] [--marks FILE]");
            return 2;
        }
        string? netns = Arg(args, "--netns");
        double seconds = double.Parse(Arg(args, "--seconds") ?? "10", CultureInfo.InvariantCulture);
        int tickMs = int.Parse(Arg(args, "--tick-ms") ?? "100", CultureInfo.InvariantCulture);
        return args[0] switch
        {
            "resets" => Resets(seconds, tickMs, Arg(args, "--marks")),
            "capture" when netns is not null && Arg(args, "--consumer") is null or "classify" or "observe" or "none" =>
                Capture(netns, seconds, Arg(args, "--consumer") ?? "classify"),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("unknown mode or missing --netns");
        return 2;
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Resets(double seconds, int tickMs, string? marks)
    {
        using ResetTraceSource source = new();
        source.Start();
        if (!source.IsRunning)
        {
            Console.WriteLine($"error=\"{source.Status.DetailWithFix}\"");
            return 1;
        }
        ResetFeed feed = new();
        List<ResetEvent> batch = [];
        Console.WriteLine("ready");
        Console.Out.Flush();
        Process me = Process.GetCurrentProcess();
        Stopwatch total = Stopwatch.StartNew();
        int marksSeen = 0;
        (TimeSpan cpu, long events, long lost, long drops, double at) window = (me.TotalProcessorTime, 0, 0, 0, 0);
        long events = 0;
        while (total.Elapsed.TotalSeconds < seconds)
        {
            Thread.Sleep(tickMs);
            batch.Clear();
            events += source.Drain(batch);
            feed.AddRange(batch);
            int m = marks is not null && File.Exists(marks) ? File.ReadAllLines(marks).Length : 0;
            if (m > marksSeen)
            {
                // A step of the load generator ended: report what this window saw.
                string label = File.ReadAllLines(marks!)[m - 1];
                Thread.Sleep(200);
                batch.Clear();
                events += source.Drain(batch);
                feed.AddRange(batch);
                me.Refresh();
                double now = total.Elapsed.TotalSeconds;
                Report(label, now - window.at, events - window.events, source.LostEvents - window.lost, source.RingDropped - window.drops,
                    me.TotalProcessorTime - window.cpu);
                window = (me.TotalProcessorTime, events, source.LostEvents, source.RingDropped, now);
                marksSeen = m;
            }
        }
        me.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mode=resets total_events={events} lost={source.LostEvents} queue_drops={source.RingDropped} malformed={source.Malformed} " +
            $"feed_rows={feed.RowCount} cpu_ms={me.TotalProcessorTime.TotalMilliseconds:0} max_rss_mb={me.PeakWorkingSet64 / 1048576}"));
        return 0;
    }

    private static void Report(string label, double seconds, long events, long lost, long drops, TimeSpan cpu) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step={label} seconds={seconds:0.00} events={events} rate={events / Math.Max(seconds, 0.001):0} lost={lost} queue_drops={drops} cpu_ms={cpu.TotalMilliseconds:0}"));

    /// <summary>This process's CPU time in ns (CLOCK_PROCESS_CPUTIME_ID: every thread, exited ones included, exact,
    /// not stat's 10 ms ticks; summing /proc/self/task/*/schedstat lost the threads that exited in the window).</summary>
    internal static long CpuNs() => clock_gettime(ClockProcessCpuTimeId, out Timespec t) == 0 ? t.Sec * 1_000_000_000 + t.Nsec : 0;

    private const int ClockProcessCpuTimeId = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Sec;
        public long Nsec;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clock, out Timespec ts);

    private static int Capture(string netns, double seconds, string work)
    {
        using NetnsThread thread = NetnsThread.Start("bench-capture", NetnsTarget.Resolve(netns));
        // NETTOP_BENCH_BLOCK_KIB / _BLOCKS / _RETIRE_MS: try other ring shapes (default: the app's); NETTOP_BENCH_FLOW_PACKETS=0:
        // no flow packet log (to measure its share).
        PacketCaptureOptions ringShape = new();
        if (int.TryParse(Environment.GetEnvironmentVariable("NETTOP_BENCH_BLOCK_KIB"), out int kib)) ringShape = ringShape with { BlockSize = kib * 1024 };
        if (int.TryParse(Environment.GetEnvironmentVariable("NETTOP_BENCH_BLOCKS"), out int blocks)) ringShape = ringShape with { BlockCount = blocks };
        if (int.TryParse(Environment.GetEnvironmentVariable("NETTOP_BENCH_RETIRE_MS"), out int retire)) ringShape = ringShape with { RetireTimeoutMs = retire };
        if (Environment.GetEnvironmentVariable("NETTOP_BENCH_FLOW_PACKETS") == "0") ringShape = ringShape with { KeepFlowPackets = false };
        using PacketCaptureSource capture = new(thread, ringShape);
        Consumer consumer = work == "none" ? new(false, false) : new(true, work == "classify");
        capture.Consumer = consumer.OnBatch;
        capture.StartAsync().GetAwaiter().GetResult();
        if (capture.Status.Health != NetTop.Model.SourceHealth.Ok)
        {
            Console.WriteLine($"error=\"{capture.Status.DetailWithFix}\"");
            return 1;
        }
        Process me = Process.GetCurrentProcess();
        // Warm up before the measured window, as tcpdump gets its start-up excluded too: bursts of refused connects and
        // a few whole connections in the namespace (SYN, RST, SYN-ACK, FIN; ~100 packets fill a block) drive the reader,
        // decode, flow-store and classify paths through 100+ blocks, so tiered compilation with PGO (re-JIT after 30
        // calls, instrumented, then after 30 more) is done with whatever they call. The per-block and per-packet loops
        // are AggressiveOptimization (no tiering).
        for (int i = 0; i < 120; i++)
        {
            RefusedConnects(thread, 100);
            Thread.Sleep(20);
        }
        // The window's own code runs once first (a dry window), so no method is compiled for the first time inside
        // the measured one. The runtime's tiered-compilation worker promotes start-up's methods in the background and
        // exits after 4 s without work (TC_BackgroundWorkerTimeoutMs); a long-running NetTop pays that once. Wait
        // until nothing was compiled for longer than that (bounded): the window measures the capture, not start-up's tail.
        // Per-thread accounting: the threads are listed now (File), before the quiet wait, so the window's start reads
        // their schedstat with libc only and nothing it calls is promoted by the tiering worker inside the window.
        _ = ThreadDeltas(Threads(), Threads());
        int[] tids = [.. Threads().Keys];
        long[] ns0 = new long[tids.Length], slices0 = new long[tids.Length];
        ReadSchedstat(tids, ns0, slices0);
        _ = Measure(consumer, TimeSpan.FromMilliseconds(50), announce: false);
        // The warm-up's sockets, tasks and listings are this program's garbage, not the capture's (which allocates
        // nothing per block): collect it and hand its memory back, as a NetTop whose start-up garbage has been
        // collected. On this PVM machine every 4 KiB anonymous page a process holds adds to each wake-up of its
        // threads (docs/benchmarks.md), and tcpdump starts with under 1 MiB.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long quietStart = Stopwatch.GetTimestamp();
        WaitForJitQuiet(TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(40));
        double quietSeconds = Stopwatch.GetElapsedTime(quietStart).TotalSeconds;
        long before = consumer.Packets;
        long methods0 = System.Runtime.JitInfo.GetCompiledMethodCount();
        ReadSchedstat(tids, ns0, slices0);
        (double cpuMs, double jitMs, long wakes, double elapsed) = Measure(consumer, TimeSpan.FromSeconds(seconds), announce: true);
        long methods = System.Runtime.JitInfo.GetCompiledMethodCount() - methods0;
        Dictionary<int, (string Name, long Ns, long Slices)> threads0 = [];
        for (int i = 0; i < tids.Length; i++)
        {
            if (slices0[i] >= 0) threads0[tids[i]] = ("", ns0[i], slices0[i]);
        }
        string perThread = ThreadDeltas(threads0, Threads());
        long packets = consumer.Packets - before;
        capture.ReadStatistics();
        (int kept, long reserved) = capture.FlowStoreSize;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mode=capture seconds={elapsed:0.00} packets={packets} kernel_packets={capture.KernelPackets} kernel_drops={capture.KernelDrops} " +
            $"malformed={capture.Malformed} consumer={work} cpu_ms={cpuMs:0.0} " +
            $"jit_ms={jitMs:0.0} jit_methods={methods} jit_quiet_wait_s={quietSeconds:0} consumer_batches={wakes} blocks={capture.Blocks} " +
            $"flow_packets={kept} flow_store_mb={reserved / 1048576.0:0.0} recent_rsts={consumer.RecentRsts} gc0={GC.CollectionCount(0)} max_rss_mb={me.PeakWorkingSet64 / 1048576}"));
        Console.WriteLine($"threads {perThread}");
        return 0;
    }

    /// <summary>Every thread of this process: tid → (comm, schedstat run time ns, timeslices run), read from
    /// /proc/self/task (outside the measured window: it allocates).</summary>
    private static Dictionary<int, (string Name, long Ns, long Slices)> Threads()
    {
        Dictionary<int, (string, long, long)> d = [];
        foreach (string dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                string[] f = File.ReadAllText(Path.Combine(dir, "schedstat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                d[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (File.ReadAllText(Path.Combine(dir, "comm")).Trim(),
                    long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
            {
                // The thread exited between the listing and the read.
            }
        }
        return d;
    }

    /// <summary>schedstat (run ns, timeslices) of each of <paramref name="tids"/> (-1 when gone), with libc only.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ReadSchedstat(int[] tids, long[] ns, long[] slices)
    {
        byte* path = stackalloc byte[64];
        byte* buf = stackalloc byte[128];
        long* fields = stackalloc long[3];
        ReadOnlySpan<byte> prefix = "/proc/self/task/"u8, suffix = "/schedstat\0"u8;
        for (int t = 0; t < tids.Length; t++)
        {
            int at = 0;
            foreach (byte b in prefix) path[at++] = b;
            int digits = 0;
            for (int v = tids[t]; v > 0; v /= 10) digits++;
            for (int v = tids[t], k = at + digits - 1; v > 0; v /= 10, k--) path[k] = (byte)('0' + v % 10);
            at += digits;
            foreach (byte b in suffix) path[at++] = b;
            ns[t] = slices[t] = -1;
            int fd = Tmds.Linux.LibC.open(path, Tmds.Linux.LibC.O_RDONLY | Tmds.Linux.LibC.O_CLOEXEC);
            if (fd < 0) continue;
            long n = Tmds.Linux.LibC.read(fd, buf, 128);
            Tmds.Linux.LibC.close(fd);
            // "run_ns wait_ns slices\n"
            fields[0] = fields[1] = fields[2] = 0;
            int f = 0;
            for (int i = 0; i < n && f < 3; i++)
            {
                if (buf[i] is >= (byte)'0' and <= (byte)'9') fields[f] = fields[f] * 10 + buf[i] - '0';
                else f++;
            }
            ns[t] = fields[0];
            slices[t] = fields[2];
        }
    }

    /// <summary>"name/tid=ms:slices" for each thread that ran in the window ("+" not listed at its start: all of its run
    /// time; "-" exited in it: its run time before the exit is not known, the process clock has all of it).</summary>
    private static string ThreadDeltas(Dictionary<int, (string Name, long Ns, long Slices)> a, Dictionary<int, (string Name, long Ns, long Slices)> b)
    {
        List<string> parts = [];
        foreach ((int tid, (string name, long ns, long slices)) in b)
        {
            (string _, long ns0, long slices0) = a.TryGetValue(tid, out var v) ? v : (name, 0L, 0L);
            if (slices == slices0) continue;
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{(a.ContainsKey(tid) ? "" : "+")}{name.Replace(' ', '_')}/{tid}={(ns - ns0) / 1e6:0.00}:{slices - slices0}"));
        }
        foreach ((int tid, (string name, long _, long _)) in a)
        {
            if (!b.ContainsKey(tid)) parts.Add($"-{name.Replace(' ', '_')}/{tid}");
        }
        return string.Join(' ', parts);
    }

    /// <summary>
    /// The measured window: this process's CPU (every thread), JIT time and consumer wake-ups over <paramref name="length"/>.
    /// Nothing in this process runs on a timer meanwhile: the consumer wakes when the reader publishes, the reader when
    /// the kernel retires a block; this thread sleeps until the window ends.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static (double CpuMs, double JitMs, long Wakes, double Seconds) Measure(Consumer consumer, TimeSpan length, bool announce)
    {
        Console.WriteLine(announce ? "ready" : "warm");
        Console.Out.Flush();
        long t0 = Stopwatch.GetTimestamp();
        long cpu0 = CpuNs();
        TimeSpan jit0 = System.Runtime.JitInfo.GetCompilationTime();
        long wakes0 = consumer.Wakes;
        Thread.Sleep(length);
        long cpu1 = CpuNs();
        TimeSpan jit1 = System.Runtime.JitInfo.GetCompilationTime();
        long wakes1 = consumer.Wakes;
        return ((cpu1 - cpu0) / 1e6, (jit1 - jit0).TotalMilliseconds, wakes1 - wakes0, Stopwatch.GetElapsedTime(t0).TotalSeconds);
    }

    /// <summary>Waits until neither the compiled-method count nor the process's thread count changed for
    /// <paramref name="quiet"/> (at most <paramref name="limit"/>): the tiered-compilation worker then has nothing left
    /// and has exited (it exits 4 s after its last work, waking the finalizer thread to clean up after it). Only
    /// JitInfo, Sleep and libc are called here, so the wait itself gives the tiering nothing to count or compile.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void WaitForJitQuiet(TimeSpan quiet, TimeSpan limit)
    {
        long start = Stopwatch.GetTimestamp();
        (long, int) state = (System.Runtime.JitInfo.GetCompiledMethodCount(), ThreadCount());
        while (Stopwatch.GetElapsedTime(start) < limit)
        {
            Thread.Sleep(quiet);
            (long, int) now = (System.Runtime.JitInfo.GetCompiledMethodCount(), ThreadCount());
            if (now == state) return;
            state = now;
        }
    }

    /// <summary>num_threads from /proc/self/stat (field 20), read with libc only; -1 when unreadable.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static unsafe int ThreadCount()
    {
        byte* buf = stackalloc byte[1024];
        byte* path = stackalloc byte[] { (byte)'/', (byte)'p', (byte)'r', (byte)'o', (byte)'c', (byte)'/', (byte)'s', (byte)'e', (byte)'l', (byte)'f', (byte)'/', (byte)'s', (byte)'t', (byte)'a', (byte)'t', 0 };
        int fd = Tmds.Linux.LibC.open(path, Tmds.Linux.LibC.O_RDONLY | Tmds.Linux.LibC.O_CLOEXEC);
        if (fd < 0) return -1;
        long n = Tmds.Linux.LibC.read(fd, buf, 1024);
        Tmds.Linux.LibC.close(fd);
        int i = (int)n - 1;
        while (i > 0 && buf[i] != (byte)')') i--; // comm may hold spaces: count fields after its closing parenthesis
        for (int field = 2; i < n && field < 20; i++)
        {
            if (buf[i] == (byte)' ') field++;
        }
        int count = 0;
        for (; i < n && buf[i] is >= (byte)'0' and <= (byte)'9'; i++) count = count * 10 + buf[i] - '0';
        return count;
    }

    /// <summary><paramref name="count"/> refused connects (SYN, RST+ACK) and a few whole connections (SYN, SYN-ACK, FIN,
    /// FIN), so every kind of packet a load brings has been through the path before the window.</summary>
    private static void RefusedConnects(NetnsThread thread, int count) =>
        thread.InvokeAsync(() =>
        {
            using System.Net.Sockets.Socket listener = new(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            listener.Listen(8);
            for (int i = 0; i < count; i++)
            {
                using System.Net.Sockets.Socket s = new(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                if (i % 20 == 0)
                {
                    s.Connect(listener.LocalEndPoint!);
                    using System.Net.Sockets.Socket accepted = listener.Accept();
                    s.Shutdown(System.Net.Sockets.SocketShutdown.Both);
                    accepted.Shutdown(System.Net.Sockets.SocketShutdown.Both);
                    continue;
                }
                try { s.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1)); } catch (System.Net.Sockets.SocketException) { }
            }
            return 0;
        }).GetAwaiter().GetResult();

    /// <summary>
    /// What the hub's packet consumer does (CaptureHub.ConsumeBatch → ConsumeLocked: the same ResetPacketConsumer): on
    /// the capture's reader thread, once per retired block, under the lock it shares with the tick: every RST is judged
    /// once and the wire classifier turns each into resets, held for the next tick up to the hub's bound (the hub
    /// without tracepoints). This process has no tick: the held resets are dropped after
    /// each block instead of at the next refresh (what the tick does with them is the reset feed's cost). No thread of
    /// its own: with nothing passing the filter it does not run. --consumer observe: the hub while the reset tracepoints
    /// run: each RST judged and remembered for the reset attributor and the received-reset resolver, none classified; none: only counts (the capture core alone).
    /// </summary>
    private sealed class Consumer(bool observe, bool classify)
    {
        private readonly Lock _gate = new(); // the hub's _packetGate
        // What the hub makes: the consumer, the attributor and the resolver sharing its RST memory (the hub's tick
        // queries them; nothing here does).
        private readonly ResetPacketConsumer _resets = new();
        private long _packets;
        private long _wakes;

        public long Packets => Interlocked.Read(ref _packets);
        public long Wakes => Interlocked.Read(ref _wakes);
        public int RecentRsts { get { lock (_gate) return _resets.Rsts.Count; } }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void OnBatch(ReadOnlySpan<PacketEvent> packets)
        {
            lock (_gate)
            {
                _wakes++;
                _packets += packets.Length;
                if (!observe) return;
                // CaptureHub.ConsumeLocked: with the tracepoints (observe) the RSTs are remembered for them; without
                // (classify) they are classified from the wire instead.
                _resets.Consume(packets, classify, remember: !classify);
                if (_resets.WireResets.Count > 0) _resets.WireResets.Clear(); // Clear() writes the list even when empty
            }
        }
    }
}
