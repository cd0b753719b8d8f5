using System.Diagnostics;
using System.Globalization;
using NetTop.Capture.Firewall;
using NetTop.Capture.Namespaces;
using NetTop.Cli;
using NetTop.Model.Firewall;

namespace NetTop.Modes;

/// <summary>
/// `nettop bench-firewall --netns X --iterations K` (used by scripts/bench firewall): times one firewall poll
/// exactly as the hub does it (iptables-save -c and ip6tables-save -c forked in the namespace, the other backend
/// and native nft when present, parse, FirewallTracker rates) and prints key=value figures: median_ms/min_ms/p90_ms
/// for poll + tracker, source_median_ms/source_min_ms for the source's poll alone (parse included),
/// tools_median_ms until the tools' output was in, parse_median_ms for parsing iptables-save's text alone.
/// </summary>
public static class BenchFirewallMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        int iterations = int.TryParse(cli.Get("--iterations") ?? "20", NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k is > 0 and <= 10_000
            ? k
            : throw new UsageException("--iterations: expected a count from 1 to 10000");
        NetnsTarget? target = options.Capture.Netns is { } n ? NetnsTarget.Resolve(n) : null;
        using NetnsThread thread = NetnsThread.Start("nettop-bench", target);
        Stopwatch clock = Stopwatch.StartNew();
        using FirewallSource source = new(thread, () => clock.Elapsed);
        FirewallTracker tracker = new();
        string? saved = null;
        source.Tap = (label, text) =>
        {
            if (label == "iptables-save")
            {
                saved = text;
            }
        };

        double[] ms = new double[iterations];
        double[] parseMs = new double[iterations];
        double[] toolsMs = new double[iterations];
        double[] trackerMs = new double[iterations];
        double[] sourceMs = new double[iterations];
        long allocated = 0;
        int gc0 = GC.CollectionCount(0), gc2 = GC.CollectionCount(2);
        int rules = 0;
        for (int i = -2; i < iterations; i++) // two warm-up rounds
        {
            ct.ThrowIfCancellationRequested();
            long a0 = GC.GetTotalAllocatedBytes(precise: false);
            long t0 = Stopwatch.GetTimestamp();
            FirewallSample sample = await source.PollAsync(ct);
            long t1 = Stopwatch.GetTimestamp();
            double polled = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            tracker.Update(sample);
            double track = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
            double elapsed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            long alloc = GC.GetTotalAllocatedBytes(precise: false) - a0;
            if (source.Status.Health == Model.SourceHealth.Unavailable)
            {
                Console.Error.WriteLine($"nettop: firewall source {source.Status.HealthText}: {source.Status.DetailWithFix}");
                return ExitCodes.Failure;
            }
            // The parse alone, over the text that poll read (no fork, no tracker).
            double parse = 0;
            if (saved is not null)
            {
                long p0 = Stopwatch.GetTimestamp();
                IptablesSaveParser.Parse(saved, "ipv4", FirewallBackends.NfTables, new FirewallRuleNumbering(), new List<FirewallRule>(sample.Rules.Length));
                parse = Stopwatch.GetElapsedTime(p0).TotalMilliseconds;
            }
            if (i >= 0)
            {
                ms[i] = elapsed;
                parseMs[i] = parse;
                toolsMs[i] = source.LastPoll.ToolsMs;
                trackerMs[i] = track;
                sourceMs[i] = polled;
                allocated += alloc;
                rules = sample.Rules.Length;
            }
        }
        Array.Sort(ms);
        Array.Sort(parseMs);
        Array.Sort(toolsMs);
        Array.Sort(trackerMs);
        Array.Sort(sourceMs);
        double median = ms[ms.Length / 2], p90 = ms[Math.Min(ms.Length - 1, (int)(ms.Length * 0.9))];
        FormattableString line = $"rules={rules} backend={source.Status.Detail.Split(':')[0]} iterations={iterations} median_ms={median:0.0} min_ms={ms[0]:0.0} p90_ms={p90:0.0} parse_median_ms={parseMs[parseMs.Length / 2]:0.0} source_median_ms={sourceMs[sourceMs.Length / 2]:0.0} source_min_ms={sourceMs[0]:0.0} tools_median_ms={toolsMs[toolsMs.Length / 2]:0.0} tracker_median_ms={trackerMs[trackerMs.Length / 2]:0.0} alloc_bytes_per_rule={(rules == 0 ? 0 : allocated / iterations / rules)} gen0_gcs={GC.CollectionCount(0) - gc0} gen2_gcs={GC.CollectionCount(2) - gc2}";
        Console.Out.WriteLine(line.ToString(CultureInfo.InvariantCulture));
        return ExitCodes.Ok;
    }
}
