using System.Globalization;
using System.Text;
using NetTop.Capture;
using NetTop.Cli;
using NetTop.Model.Snapshot;

namespace NetTop.Modes;

/// <summary>
/// `nettop batch [-n COUNT] [-d SECONDS] [--json]`, top -b for TCP: one text frame, or one JSON snapshot per line,
/// per refresh tick on stdout. Each frame is written whole and flushed; SIGINT/SIGTERM stop it between frames,
/// so the last line is always complete.
/// </summary>
public static class BatchMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        long? count = null;
        if (cli.Get("--count") is { } raw)
        {
            count = long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0
                ? n
                : throw new UsageException($"-n: '{raw}' is not allowed; expected a count of 1 or more");
        }
        if (cli.Has("--text"))
        {
            throw new UsageException("batch writes text frames by default; --text is for snapshot");
        }
        bool json = cli.Has("--json");

        await using CaptureHub hub = CaptureHub.Create(options.Capture);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task capture = Task.Run(() => hub.RunAsync(stop.Token), CancellationToken.None);
        using Stream stdout = Console.OpenStandardOutput();
        long written = 0, seen = 0;
        try
        {
            while (count is null || written < count)
            {
                HostSnapshot s = await hub.WaitForNextAsync(seen, ct);
                seen = s.Sequence;
                stdout.Write(Frame(s, json));
                stdout.Flush();
                written++;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // SIGINT/SIGTERM between frames: what was written is whole.
        }
        catch (IOException)
        {
            // stdout closed (nettop batch | head): stop quietly, as top -b does.
        }
        finally
        {
            await stop.CancelAsync();
            await capture.ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }

    /// <summary>One batch frame: the snapshot as one JSON line, or its text form and a blank line.</summary>
    internal static byte[] Frame(HostSnapshot s, bool json) => json
        ? [.. SnapshotJson.Serialize(s, indented: false), (byte)'\n']
        : Encoding.UTF8.GetBytes(SnapshotText.Render(s) + "\n");
}
