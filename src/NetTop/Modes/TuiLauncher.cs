using System.Collections.Immutable;
using NetTop.Capture;
using NetTop.Capture.Firewall;
using NetTop.Cli;
using NetTop.Model.Firewall;
using NetTop.Model.Snapshot;
using NetTop.Tui;
using NetTop.Tui.Themes;

namespace NetTop.Modes;

/// <summary>Hands the TUI what it needs from the composition root: options and a cheap pull of the latest snapshot.</summary>
internal static class TuiLauncher
{
    public static int Run(AppOptions options, CaptureHub hub, CancellationToken ct)
    {
        try
        {
            return TuiApp.Run(new TuiOptions
            {
                RefreshInterval = options.RefreshInterval,
                ThemePath = options.ThemePath,
                IdleIterationsPerSecond = options.IdleRate,
                SaveSnapshot = (snapshot, screen) => SnapshotFiles.Save(options.SnapshotDirectory, snapshot, screen),
                TraceFlow = row => StartTraceAsync(hub, row, ct),
                // `+` `-`: the Hub refreshes at the screen's pace (its PeriodicTimer period is settable).
                RefreshIntervalChanged = interval => hub.RefreshInterval = interval,
                ProcessOwners = hub.Owners,
                CommandLine = CommandLine,
                FlowPackets = hub.FlowPackets,
                WritePcap = (local, remote) => PcapFiles.Save(options.SnapshotDirectory, hub, local, remote),
            }, () => hub.Latest.Sequence == 0 ? null : hub.Latest, ct);
        }
        catch (ThemeException e)
        {
            throw new UsageException($"config: Theme: {e.Message}");
        }
    }

    /// <summary>/proc/PID/cmdline with its NULs as spaces (what ps shows), or null when the process is gone or hidden.</summary>
    private static string? CommandLine(int pid)
    {
        try
        {
            string raw = File.ReadAllText($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/cmdline");
            string text = raw.TrimEnd('\0').Replace('\0', ' ');
            return text.Length > 0 ? text : null; // kernel threads have none
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The `t` key: a firewall trace of the row's flow in the watched namespace.</summary>
    private static async Task<IFlowTraceView> StartTraceAsync(CaptureHub hub, HalfOpenRow row, CancellationToken ct)
    {
        try
        {
            FlowTracer tracer = await FlowTracer.StartAsync(hub.NetnsThread, row.Local, row.Remote, ct: ct);
            return new TraceAdapter(tracer);
        }
        catch (FlowTraceException e)
        {
            throw new FlowTraceStartException(e.Message, e.Fix);
        }
    }

    private sealed class TraceAdapter(FlowTracer tracer) : IFlowTraceView
    {
        public string Title => $"{tracer.Local} ⇄ {tracer.Remote} ({tracer.Monitor})";
        public string Status => $"{tracer.Status.HealthText}: {tracer.Status.DetailWithFix}";
        public long Version => tracer.Version;
        public ImmutableArray<TracePacket> Packets => tracer.Packets;
        public ValueTask DisposeAsync() => tracer.DisposeAsync();
    }
}
