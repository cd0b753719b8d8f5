using NetTop.Capture;
using NetTop.Cli;

namespace NetTop.Modes;

/// <summary>The live TUI: the hub refreshes on its own task; the UI pulls the latest snapshot on its timer.</summary>
public static class TuiMode
{
    public static async Task<int> RunAsync(AppOptions options, CancellationToken ct)
    {
        if (Console.IsOutputRedirected || Console.IsInputRedirected)
        {
            throw new UsageException("the live view needs a terminal; without one use `nettop batch` or `nettop snapshot --json`");
        }
        await using CaptureHub hub = CaptureHub.Create(options.Capture);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task capture = Task.Run(() => hub.RunAsync(stop.Token), CancellationToken.None);
        int rc;
        try
        {
            rc = TuiLauncher.Run(options, hub, stop.Token);
        }
        finally
        {
            await stop.CancelAsync();
            await capture.ConfigureAwait(false);
        }
        return rc;
    }
}
