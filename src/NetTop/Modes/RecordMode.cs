using System.Globalization;
using NetTop.Capture;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Recording;
using NetTop.Cli;

namespace NetTop.Modes;

/// <summary>
/// `nettop record DIR [--duration SECONDS] [--netns X]`, atop -w for TCP: the live hub runs as for the TUI and
/// every source's raw input goes into DIR, tick by tick (see <see cref="CaptureRecording"/>). Stops at --duration
/// or SIGINT/SIGTERM after the tick in progress, then writes kallsyms and the final meta.json.
/// </summary>
public static class RecordMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        string dir = cli.Argument!;
        TimeSpan? duration = null;
        if (cli.Get("--duration") is { } raw)
        {
            duration = double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && s <= 7 * 86400
                ? TimeSpan.FromSeconds(s)
                : throw new UsageException($"--duration: '{raw}' is not allowed; expected seconds from 0 (exclusive) to 604800");
        }
        // A bad --netns is a usage error before anything is written.
        if (options.Capture.Netns is { } netns)
        {
            NetnsTarget.Resolve(netns);
        }
        CaptureRecording recording;
        try
        {
            recording = CaptureRecording.Create(dir);
        }
        catch (RecordingException e)
        {
            throw new UsageException(e.Message);
        }
        using (recording)
        {
            int ticks;
            await using (CaptureHub hub = CaptureHub.Create(options.Capture, recording))
            {
                // The event sources first (bounded), so the first tick already has tracepoints and packets.
                try
                {
                    await hub.StartedAsync(ct).WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // A source still setting up: its status in the recording says so.
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                }
                Console.Error.WriteLine(duration is { } d
                    ? $"nettop: recording {hub.NetnsName} into {recording.Directory} for {d.TotalSeconds:0.###} s"
                    : $"nettop: recording {hub.NetnsName} into {recording.Directory} until Ctrl-C");
                using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (duration is { } limit)
                {
                    stop.CancelAfter(limit);
                }
                if (!stop.IsCancellationRequested)
                {
                    await hub.RunAsync(stop.Token).ConfigureAwait(false);
                }
                ticks = recording.TicksWritten;
            }
            recording.Complete(DateTimeOffset.UtcNow);
            long bytes = recording.Meta.Files.Sum(f => f.Bytes);
            Console.Error.WriteLine($"nettop: recorded {ticks} ticks ({bytes / 1024.0:0.#} KiB) into {recording.Directory}; replay with `nettop replay {dir}`");
        }
        return ExitCodes.Ok;
    }
}
