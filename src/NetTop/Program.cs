using System.Runtime.InteropServices;
using NetTop.Capture.Namespaces;
using NetTop.Cli;
using NetTop.Modes;

namespace NetTop;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        CommandLine cli;
        AppOptions options;
        try
        {
            cli = CommandLine.Parse(args);
            if (cli.Has("--help"))
            {
                Console.Out.WriteLine(CommandLine.Usage);
                return ExitCodes.Ok;
            }
            if (cli.Has("--version"))
            {
                Console.Out.WriteLine($"nettop {typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}");
                return ExitCodes.Ok;
            }
            options = AppOptions.Load(cli);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"nettop: {e.Message}");
            Console.Error.WriteLine("Try 'nettop --help'.");
            return ExitCodes.Usage;
        }

        using CancellationTokenSource stop = new();
        // SIGINT/SIGTERM end the run cleanly (the TUI restores the terminal, files are not left half-written), and so
        // does SIGHUP: a closed terminal or ssh session must not leave trace rules or a demo namespace behind.
        // Should the normal way out stall (see ShutdownGuard), the guard runs the registered cleanups and exits.
        void Stop(PosixSignalContext c, TimeSpan grace)
        {
            c.Cancel = true;
            ShutdownGuard.Arm(grace, ExitCodes.Ok);
            stop.Cancel();
        }
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, TimeSpan.FromSeconds(20)));
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, TimeSpan.FromSeconds(20)));
        using PosixSignalRegistration sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => Stop(c, TimeSpan.FromSeconds(3)));
        try
        {
            if (cli.Has("--demo"))
            {
                return await DemoMode.RunAsync(cli, options, stop.Token);
            }
            return cli.Mode switch
            {
                "snapshot" => await SnapshotMode.RunAsync(cli, options, stop.Token),
                "batch" => await BatchMode.RunAsync(cli, options, stop.Token),
                "serve" => await ServeMode.RunAsync(cli, options, stop.Token),
                "bench-sockets" => await BenchSocketsMode.RunAsync(cli, options, stop.Token),
                "record" => await RecordMode.RunAsync(cli, options, stop.Token),
                "replay" => await ReplayMode.RunAsync(cli, options, stop.Token),
                "record-sockets" => await RecordSocketsMode.RunAsync(cli, options, stop.Token),
                "bench-firewall" => await BenchFirewallMode.RunAsync(cli, options, stop.Token),
                _ when cli.Has("--cleanup") => await CleanupMode.RunAsync(options, stop.Token),
                _ => await TuiMode.RunAsync(options, stop.Token),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"nettop: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (NetnsException e)
        {
            Console.Error.WriteLine($"nettop: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception e)
        {
            // Never a bare crash: one line that says what failed (and where, for a bug report).
            Console.Error.WriteLine($"nettop: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine($"nettop: at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            return ExitCodes.Failure;
        }
    }
}
