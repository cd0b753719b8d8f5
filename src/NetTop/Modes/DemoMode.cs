using NetTop.Cli;
using NetTop.Demo;

namespace NetTop.Modes;

/// <summary>
/// `--demo` (live view, `batch` or `snapshot`): sets up <see cref="DemoEnvironment"/> (a private namespace with live
/// scenarios) and watches it exactly as `--netns nettop-demo-&lt;pid&gt;` would, so a newcomer sees every panel
/// alive; whatever the mode's end (q, -n reached, SIGINT, SIGTERM, an error) the environment is removed.
/// </summary>
public static class DemoMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        DemoEnvironment env;
        try
        {
            env = await DemoEnvironment.StartAsync(ct);
        }
        catch (DemoException e)
        {
            Console.Error.WriteLine($"nettop: {e.Message}");
            return ExitCodes.Failure;
        }
        using IDisposable guard = ShutdownGuard.Register(_ => env.DisposeAsync().AsTask());
        int rc;
        try
        {
            AppOptions watched = options with { Capture = options.Capture with { Netns = env.Name } };
            rc = cli.Mode switch
            {
                "snapshot" => await SnapshotMode.RunAsync(cli, watched, ct),
                "batch" => await BatchMode.RunAsync(cli, watched, ct),
                _ => await TuiMode.RunAsync(watched, ct),
            };
        }
        finally
        {
            await env.DisposeAsync();
            // After the TUI has given the terminal back, so the lines stay readable.
            foreach (string problem in env.Problems)
            {
                Console.Error.WriteLine($"nettop: demo: {problem}");
            }
        }
        return rc;
    }
}
