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
/// tools_median_ms until the tools' output was in and parsed (the parse runs while they print), parse_median_ms for
/// parsing iptables-save's text alone from scratch, reparse_median_ms for parsing it again with the previous rules to reuse.
/// Those polls run the tools every time (counters over netlink turned off); netlink_median_ms/netlink_min_ms then time
/// the polls NetTop makes while the ruleset does not change (counters over nf_tables netlink, no fork; poll + tracker),
/// netlink_dump_median_ms the dump alone, netlink_polls how many of them took that path.
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
        using FirewallSource source = new(thread, () => clock.Elapsed, new FirewallSourceOptions { CountersOverNetlink = false });
        FirewallTracker tracker = new();
        // iptables-save's text, for timing the parse alone: taken on the first warm-up poll only (the tap copies and
        // decodes the whole output, which a normal poll never does).
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
        double[] reparseMs = new double[iterations];
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
            source.Tap = null;
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
            if (i >= 0)
            {
                ms[i] = elapsed;
                toolsMs[i] = source.LastPoll.ToolsMs;
                trackerMs[i] = track;
                sourceMs[i] = polled;
                allocated += alloc;
                rules = sample.Rules.Length;
            }
        }
        int gcs0 = GC.CollectionCount(0) - gc0, gcs2 = GC.CollectionCount(2) - gc2;

        // Counters polls: a second source with the defaults; its first poll is a full one (not timed).
        double[] netlinkMs = new double[iterations];
        double[] dumpMs = new double[iterations];
        int netlinkPolls = 0;
        using (FirewallSource quick = new(thread, () => clock.Elapsed))
        {
            FirewallTracker quickTracker = new();
            for (int i = -2; i < iterations; i++)
            {
                ct.ThrowIfCancellationRequested();
                long t0 = Stopwatch.GetTimestamp();
                quickTracker.Update(await quick.PollAsync(ct));
                if (i >= 0)
                {
                    netlinkMs[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    dumpMs[i] = quick.LastPoll.ToolsMs;
                    netlinkPolls += quick.LastPoll.CountersOnly ? 1 : 0;
                }
            }
        }
        Array.Sort(netlinkMs);
        Array.Sort(dumpMs);

        // The parse alone, after the polls (its garbage must not land in them), over the text the first poll read
        // (no fork, no tracker): from scratch (every rule new), and again with the previous parse's rules to reuse
        // (a poll where nothing but counters changed).
        List<FirewallRule>? parsed = null;
        for (int i = 0; i < iterations && saved is not null; i++)
        {
            long p0 = Stopwatch.GetTimestamp();
            List<FirewallRule> fresh = new(rules);
            IptablesSaveParser.Parse(saved, "ipv4", FirewallBackends.NfTables, new FirewallRuleNumbering(), fresh);
            parseMs[i] = Stopwatch.GetElapsedTime(p0).TotalMilliseconds;
            p0 = Stopwatch.GetTimestamp();
            List<FirewallRule> again = new(rules);
            IptablesSaveReader reader = new("ipv4", FirewallBackends.NfTables, new FirewallRuleNumbering(), again, previous: parsed ?? fresh);
            reader.Feed(saved.AsSpan());
            reader.Complete();
            reparseMs[i] = Stopwatch.GetElapsedTime(p0).TotalMilliseconds;
            parsed = again;
        }
        Array.Sort(ms);
        Array.Sort(parseMs);
        Array.Sort(reparseMs);
        Array.Sort(toolsMs);
        Array.Sort(trackerMs);
        Array.Sort(sourceMs);
        double median = ms[ms.Length / 2], p90 = ms[Math.Min(ms.Length - 1, (int)(ms.Length * 0.9))];
        FormattableString line = $"rules={rules} backend={source.Status.Detail.Split(':')[0]} iterations={iterations} median_ms={median:0.0} min_ms={ms[0]:0.0} p90_ms={p90:0.0} parse_median_ms={parseMs[parseMs.Length / 2]:0.0} reparse_median_ms={reparseMs[reparseMs.Length / 2]:0.0} source_median_ms={sourceMs[sourceMs.Length / 2]:0.0} source_min_ms={sourceMs[0]:0.0} tools_median_ms={toolsMs[toolsMs.Length / 2]:0.0} tracker_median_ms={trackerMs[trackerMs.Length / 2]:0.0} alloc_bytes_per_rule={(rules == 0 ? 0 : allocated / iterations / rules)} gen0_gcs={gcs0} gen2_gcs={gcs2} netlink_median_ms={netlinkMs[netlinkMs.Length / 2]:0.00} netlink_min_ms={netlinkMs[0]:0.00} netlink_dump_median_ms={dumpMs[dumpMs.Length / 2]:0.00} netlink_polls={netlinkPolls}";
        Console.Out.WriteLine(line.ToString(CultureInfo.InvariantCulture));
        return ExitCodes.Ok;
    }
}
