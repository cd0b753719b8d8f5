using System.Globalization;
using System.Text;
using NetTop.Capture;
using NetTop.Cli;
using NetTop.Model.Snapshot;

namespace NetTop.Modes;

/// <summary>`nettop snapshot --json|--text`: sample for a while so rates exist, write one snapshot, exit.</summary>
public static class SnapshotMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        bool json = cli.Has("--json"), text = cli.Has("--text");
        if (json == text)
        {
            throw new UsageException("snapshot needs exactly one of --json or --text");
        }
        TimeSpan duration = ParseDuration(cli.Get("--duration"));
        string? output = cli.Get("--output");
        if (output is not null)
        {
            CheckOutput(output);
        }

        await using CaptureHub hub = CaptureHub.Create(options.Capture);
        // The sampling window must include the event sources: resets during --duration are in the snapshot.
        try
        {
            await hub.StartedAsync(ct).WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A source still setting up after 10 s: sample without it; its status in the snapshot says so.
        }
        await hub.RefreshAsync(ct);
        // The owner scan runs on its own thread while we wait for the sampling interval.
        Task owners = hub.ScanOwnersAsync(ct);
        await Task.Delay(duration, ct);
        TimeSpan ownerWait = TimeSpan.FromSeconds(10);
        try
        {
            await owners.WaitAsync(ownerWait, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A host with hundreds of thousands of open files: write what is known and say the rest is missing.
            hub.OwnersIncomplete(ownerWait);
        }
        HostSnapshot snapshot = await hub.RefreshAsync(ct);

        byte[] bytes = json ? SnapshotJson.Serialize(snapshot) : Encoding.UTF8.GetBytes(SnapshotText.Render(snapshot));
        return WriteOutput(bytes, json, output);
    }

    /// <summary>-o FILE must name a file in an existing directory (a usage error otherwise).</summary>
    internal static void CheckOutput(string output)
    {
        if (string.IsNullOrWhiteSpace(output))
        {
            throw new UsageException("-o needs a file name");
        }
        if (Directory.Exists(output) || output.EndsWith('/'))
        {
            throw new UsageException($"-o {output}: is a directory; name a file in it");
        }
        string? dir = Path.GetDirectoryName(Path.GetFullPath(output));
        if (dir is null || !Directory.Exists(dir))
        {
            throw new UsageException($"-o {output}: directory {dir} does not exist");
        }
    }

    /// <summary>Writes the snapshot to stdout, or atomically (mode 0600) to <paramref name="output"/>.</summary>
    internal static int WriteOutput(byte[] bytes, bool json, string? output)
    {
        if (output is null)
        {
            try
            {
                using Stream stdout = Console.OpenStandardOutput();
                stdout.Write(bytes);
                if (json)
                {
                    stdout.WriteByte((byte)'\n');
                }
                stdout.Flush();
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"nettop: cannot write the snapshot to stdout: {e.Message}");
                return ExitCodes.Failure;
            }
        }
        else
        {
            try
            {
                AtomicFile.Write(output, bytes);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"nettop: cannot write {output}: {e.Message}");
                return ExitCodes.Failure;
            }
        }
        return ExitCodes.Ok;
    }

    private static TimeSpan ParseDuration(string? raw)
    {
        if (raw is null)
        {
            return TimeSpan.FromSeconds(1);
        }
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) || s < 0 || s > 3600 || double.IsNaN(s))
        {
            throw new UsageException($"--duration: '{raw}' is not allowed; expected seconds from 0 to 3600");
        }
        return TimeSpan.FromSeconds(s);
    }
}
