using NetTop.Capture.Firewall;
using NetTop.Capture.Namespaces;
using NetTop.Cli;

namespace NetTop.Modes;

/// <summary>
/// `nettop --cleanup [--netns X]`: removes every firewall rule NetTop inserted to trace a flow (comment
/// "nettop-trace …", nft tables nettop_trace_*) that a crash or SIGKILL left behind. The TUI also does this at start.
/// </summary>
public static class CleanupMode
{
    public static async Task<int> RunAsync(AppOptions options, CancellationToken ct)
    {
        NetnsTarget? target = options.Capture.Netns is { } n ? NetnsTarget.Resolve(n) : null;
        using NetnsThread thread = NetnsThread.Start("nettop-cleanup", target);
        CleanupResult r = await FlowTracer.CleanupAsync(thread, ct);
        Console.Out.WriteLine($"nettop: removed {r.Removed} trace rule(s) in {target?.Display ?? "the host namespace"}");
        foreach (string e in r.Errors)
        {
            Console.Error.WriteLine($"nettop: {e}");
        }
        return r.Errors.IsEmpty ? ExitCodes.Ok : ExitCodes.Failure;
    }
}
