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
/// Runs one NetTop capture source the way the hub would (drain every tick) while scripts/bench generates load,
/// and prints key=value lines. Modes:
///   resets  --seconds S [--tick-ms T] [--marks FILE]   the reset tracepoint source; with --marks it prints one
///           line per interval between lines appended to FILE (the load generator's step boundaries).
///   capture --netns NS --seconds S [--tick-ms T]       the packet capture of namespace NS.
/// Both print "ready" once capturing, then results; CPU is this process's user+system time over the window.
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
            "capture" when netns is not null => Capture(netns, seconds, tickMs, classify: !args.Contains("--no-classify")),
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

    private static int Capture(string netns, double seconds, int tickMs, bool classify)
    {
        using NetnsThread thread = NetnsThread.Start("bench-capture", NetnsTarget.Resolve(netns));
        using PacketCaptureSource capture = new(thread);
        capture.StartAsync().GetAwaiter().GetResult();
        if (capture.Status.Health != NetTop.Model.SourceHealth.Ok)
        {
            Console.WriteLine($"error=\"{capture.Status.DetailWithFix}\"");
            return 1;
        }
        PacketEventRing ring = capture.Subscribe(65_536);
        WireResetClassifier wire = new();
        List<PacketEvent> batch = new(ring.Capacity); // sized once, as the hub's list is after its first busy tick
        List<ResetEvent> resets = [];
        Process me = Process.GetCurrentProcess();
        // Warm up before the measured window, as tcpdump gets its start-up excluded too: refused connects in the
        // namespace drive the reader, decode, flow-store, drain and classify paths, and the tick runs 100 times (tiered
        // compilation with PGO re-JITs a method after 30 calls, instrumented, then again after 30 more), then a quiet
        // second lets the background compiles finish. The reader's path is AggressiveOptimization (no tiering).
        for (int i = 0; i < 100; i++)
        {
            if (i % 5 == 0)
            {
                thread.InvokeAsync(() =>
                {
                    using System.Net.Sockets.Socket s = new(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                    try { s.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1)); } catch (System.Net.Sockets.SocketException) { }
                    return 0;
                }).GetAwaiter().GetResult();
            }
            Thread.Sleep(30);
            Tick(capture, ring, batch, classify ? wire : null, resets);
        }
        Thread.Sleep(1000);
        _ = CpuNs();
        Console.WriteLine("ready");
        Console.Out.Flush();
        long cpu0 = CpuNs();
        TimeSpan jit0 = System.Runtime.JitInfo.GetCompilationTime();
        Stopwatch sw = Stopwatch.StartNew();
        long packets = 0;
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            Thread.Sleep(tickMs);
            packets += Tick(capture, ring, batch, classify ? wire : null, resets);
        }
        double cpuMs = (CpuNs() - cpu0) / 1e6;
        double jitMs = (System.Runtime.JitInfo.GetCompilationTime() - jit0).TotalMilliseconds;
        capture.ReadStatistics();
        (int flows, int kept, long reserved) = capture.FlowStoreSize;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mode=capture seconds={sw.Elapsed.TotalSeconds:0.00} packets={packets} kernel_packets={capture.KernelPackets} kernel_drops={capture.KernelDrops} " +
            $"malformed={capture.Malformed} classify={(classify ? 1 : 0)} cpu_ms={cpuMs:0.0} " +
            $"jit_ms={jitMs:0.0} blocks={capture.Blocks} " +
            $"flows={flows} flow_packets={kept} flow_store_mb={reserved / 1048576.0:0.0} gc0={GC.CollectionCount(0)} max_rss_mb={me.PeakWorkingSet64 / 1048576}"));
        return 0;
    }

    /// <summary>What the hub does with packets on its tick: drain, PACKET_STATISTICS, wire classification.</summary>
    private static int Tick(PacketCaptureSource capture, PacketEventRing ring, List<PacketEvent> batch, WireResetClassifier? wire, List<ResetEvent> resets)
    {
        batch.Clear();
        int n = ring.Drain(batch);
        capture.ReadStatistics();
        if (wire is not null)
        {
            foreach (ref readonly PacketEvent p in CollectionsMarshal.AsSpan(batch)) wire.Classify(in p, resets);
        }
        resets.Clear();
        return n;
    }
}
