using System.Diagnostics;
using System.Globalization;
using NetTop.Capture;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Sockets;
using NetTop.Cli;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;

namespace NetTop.Modes;

/// <summary>
/// `nettop bench-sockets --netns X --iterations K [--no-info]` (used by scripts/bench): times a full sockets
/// refresh, dump + parse + model, exactly as the hub does it, and prints key=value figures.
/// </summary>
public static class BenchSocketsMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        int iterations = int.TryParse(cli.Get("--iterations") ?? "20", NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k is > 0 and <= 10_000
            ? k
            : throw new UsageException("--iterations: expected a count from 1 to 10000");
        bool info = !cli.Has("--no-info");
        NetnsTarget? target = options.Capture.Netns is { } n ? NetnsTarget.Resolve(n) : null;
        using NetnsThread thread = NetnsThread.Start("nettop-bench", target);
        Stopwatch clock = Stopwatch.StartNew();
        using SocketsSource source = new(thread, SocketsMode.Netlink, info, () => clock.Elapsed);
        SnapshotBuilder builder = new("bench", "", target?.Display ?? "host");

        double[] ms = new double[iterations];
        double[] pollMs = new double[iterations];
        long allocated = 0;
        int gc0 = GC.CollectionCount(0), gc2 = GC.CollectionCount(2);
        int sockets = 0;
        for (int i = -2; i < iterations; i++) // two warm-up rounds
        {
            ct.ThrowIfCancellationRequested();
            (double elapsed, double poll, long alloc, int count) = await thread.InvokeAsync(() =>
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                SocketsSample sample = source.Poll();
                double p = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                builder.Build(new SnapshotInputs { At = clock.Elapsed, Now = DateTimeOffset.UtcNow, Sockets = sample });
                double e = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                return (e, p, GC.GetAllocatedBytesForCurrentThread() - a0, sample.Sockets.Count);
            }, ct);
            if (source.Status.Health != Model.SourceHealth.Ok)
            {
                Console.Error.WriteLine($"nettop: sockets source {source.Status.HealthText}: {source.Status.DetailWithFix}");
                return ExitCodes.Failure;
            }
            if (i >= 0)
            {
                ms[i] = elapsed;
                pollMs[i] = poll;
                allocated += alloc;
                sockets = count;
            }
        }
        Array.Sort(ms);
        Array.Sort(pollMs);
        double median = ms[ms.Length / 2], p90 = ms[Math.Min(ms.Length - 1, (int)(ms.Length * 0.9))];
        FormattableString line = $"sockets={sockets} tcp_info={(info ? 1 : 0)} iterations={iterations} median_ms={median:0.0} min_ms={ms[0]:0.0} p90_ms={p90:0.0} alloc_bytes_per_socket={(sockets == 0 ? 0 : allocated / iterations / sockets)} dump_parse_median_ms={pollMs[pollMs.Length / 2]:0.0} gen0_gcs={GC.CollectionCount(0) - gc0} gen2_gcs={GC.CollectionCount(2) - gc2}";
        Console.Out.WriteLine(line.ToString(CultureInfo.InvariantCulture));
        return ExitCodes.Ok;
    }
}
