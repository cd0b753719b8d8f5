using System.Globalization;
using System.Text;
using NetTop.Capture.Recording;
using NetTop.Capture.Replay;
using NetTop.Cli;
using NetTop.Model.Snapshot;

namespace NetTop.Modes;

/// <summary>
/// `nettop replay DIR`: a recording drives the TUI (paced as recorded, with pause, step and speed keys), or
/// headless `--batch` (every tick to stdout, as fast as it decodes) or `--snapshot` (one snapshot). The replay goes
/// through the live sources, parsers and snapshot builder (<see cref="ReplayHub"/>).
/// </summary>
public static class ReplayMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        bool batch = cli.Has("--batch"), snapshot = cli.Has("--snapshot");
        if (batch && snapshot)
        {
            throw new UsageException("replay takes one of --batch or --snapshot");
        }
        bool json = cli.Has("--json"), text = cli.Has("--text");
        if (!batch && !snapshot && (json || text || cli.Get("--count") is not null || cli.Get("--output") is not null))
        {
            throw new UsageException("--json, --text, -n and -o are for replay --batch or --snapshot");
        }
        if (batch && (text || cli.Get("--output") is not null))
        {
            throw new UsageException("replay --batch writes text frames by default (or --json) to stdout; -o and --text are for --snapshot");
        }
        if (snapshot && json == text)
        {
            throw new UsageException("replay --snapshot needs exactly one of --json or --text");
        }
        long? count = null;
        if (cli.Get("--count") is { } rawCount)
        {
            count = long.TryParse(rawCount, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0
                ? n
                : throw new UsageException($"-n: '{rawCount}' is not allowed; expected a count of 1 or more");
        }
        double speed = 1;
        if (cli.Get("--speed") is { } rawSpeed)
        {
            if (batch || snapshot)
            {
                throw new UsageException("--speed is for the replay TUI; --batch and --snapshot run as fast as they decode");
            }
            speed = double.TryParse(rawSpeed, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x >= 0.1 && x <= 100
                ? x
                : throw new UsageException($"--speed: '{rawSpeed}' is not allowed; expected a factor from 0.1 to 100");
        }
        string? output = cli.Get("--output");
        if (output is not null)
        {
            SnapshotMode.CheckOutput(output);
        }

        ReplayHub hub;
        try
        {
            hub = ReplayHub.Open(cli.Argument!, options.Capture.Tombstone);
        }
        catch (RecordingException e)
        {
            throw new UsageException(e.Message);
        }
        await using (hub)
        {
            if (hub.TickCount == 0)
            {
                throw new UsageException($"{cli.Argument}: the recording has no complete tick ({hub.Damage})");
            }
            if (hub.Damage.Any)
            {
                Console.Error.WriteLine($"nettop: {cli.Argument}: damaged recording: {hub.Damage}; replaying the {hub.TickCount} complete ticks");
            }
            if (count is { } n && snapshot && n > hub.TickCount)
            {
                throw new UsageException($"-n: the recording has {hub.TickCount} ticks; tick {n} does not exist");
            }
            if (batch)
            {
                return await BatchAsync(hub, json, count, ct);
            }
            if (snapshot)
            {
                return await SnapshotAsync(hub, json, count ?? hub.TickCount, output, ct);
            }
            return await ReplayTui.RunAsync(hub, options, speed, ct);
        }
    }

    private static async Task<int> BatchAsync(ReplayHub hub, bool json, long? count, CancellationToken ct)
    {
        using Stream stdout = Console.OpenStandardOutput();
        long written = 0;
        try
        {
            while ((count is null || written < count) && await hub.StepAsync(ct) is { } s)
            {
                stdout.Write(BatchMode.Frame(s, json));
                stdout.Flush();
                written++;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // stdout closed (| head): stop quietly.
        }
        return ExitCodes.Ok;
    }

    private static async Task<int> SnapshotAsync(ReplayHub hub, bool json, long tick, string? output, CancellationToken ct)
    {
        HostSnapshot? last = null;
        while (hub.Position < tick && await hub.StepAsync(ct) is { } s)
        {
            last = s;
        }
        byte[] bytes = json ? SnapshotJson.Serialize(last!) : Encoding.UTF8.GetBytes(SnapshotText.Render(last!));
        return SnapshotMode.WriteOutput(bytes, json, output);
    }
}
