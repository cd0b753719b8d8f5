using System.Diagnostics;
using System.Globalization;
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

    /// <summary>CPU time of every thread of this process in ns (/proc/self/task/*/schedstat: exact, not 10 ms ticks).</summary>
    internal static long CpuNs()
    {
        long sum = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string first = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0];
                sum += long.Parse(first, CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or FormatException)
            {
                // a thread that exited meanwhile
            }
        }
        return sum;
    }

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
        EventRing<PacketEvent> ring = capture.Subscribe(65_536);
        WireResetClassifier wire = new();
        List<PacketEvent> batch = [];
        List<ResetEvent> resets = [];
        Process me = Process.GetCurrentProcess();
        // Warm up (JIT of the drain path) before the measured window, as tcpdump gets its start-up excluded too.
        // One refused connect in the namespace, so the decode path is JIT-compiled before the window.
        thread.InvokeAsync(() =>
        {
            using System.Net.Sockets.Socket s = new(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try { s.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1)); } catch (System.Net.Sockets.SocketException) { }
            return 0;
        }).GetAwaiter().GetResult();
        // Two seconds: tiered compilation re-JITs hot methods in the background after ~100 calls or 100 ms.
        for (Stopwatch warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < 2;)
        {
            Thread.Sleep(Math.Min(tickMs, 100));
            ring.Drain(batch);
            me.Refresh();
            _ = me.TotalProcessorTime;
        }
        batch.Clear();
        me.Refresh();
        Console.WriteLine("ready");
        Console.Out.Flush();
        long cpu0 = CpuNs();
        Stopwatch sw = Stopwatch.StartNew();
        long packets = 0;
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            Thread.Sleep(tickMs);
            batch.Clear();
            packets += ring.Drain(batch);
            if (classify)
            {
                foreach (PacketEvent p in batch) wire.Classify(p, resets);
            }
            resets.Clear();
        }
        double cpuMs = (CpuNs() - cpu0) / 1e6;
        capture.ReadStatistics();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mode=capture seconds={sw.Elapsed.TotalSeconds:0.00} packets={packets} kernel_packets={capture.KernelPackets} kernel_drops={capture.KernelDrops} " +
            $"malformed={capture.Malformed} classify={(classify ? 1 : 0)} cpu_ms={cpuMs:0.0}"));
        return 0;
    }
}
