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
        // A crash or SIGKILL during a flow trace leaves its rule behind: sweep them, off the start-up path.
        Task sweep = Task.Run(async () =>
        {
            try
            {
                await Capture.Firewall.FlowTracer.CleanupAsync(hub.NetnsThread, stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
            {
            }
        }, CancellationToken.None);
        // If the terminal hangs up while a flow is traced, the UI may never return to remove the trace rules itself.
        using IDisposable guard = ShutdownGuard.Register(async limit =>
        {
            NetTop.Capture.Namespaces.NetnsTarget? target = options.Capture.Netns is { } n ? NetTop.Capture.Namespaces.NetnsTarget.Resolve(n) : null;
            using NetTop.Capture.Namespaces.NetnsThread thread = NetTop.Capture.Namespaces.NetnsThread.Start("nettop-guard", target);
            await Capture.Firewall.FlowTracer.CleanupAsync(thread, limit);
        });
        int rc;
        try
        {
            rc = TuiLauncher.Run(options, hub, stop.Token);
        }
        finally
        {
            await stop.CancelAsync();
            await capture.ConfigureAwait(false);
            await sweep.ConfigureAwait(false);
        }
        return rc;
    }
}
