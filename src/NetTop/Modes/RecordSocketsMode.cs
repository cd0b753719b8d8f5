using NetTop.Capture.Namespaces;
using NetTop.Capture.Recording;
using NetTop.Cli;

namespace NetTop.Modes;

/// <summary>`nettop record-sockets DIR [--netns X] [--no-info]`: the raw inputs of the sockets and counters sources.</summary>
public static class RecordSocketsMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        string dir = cli.Get("--output") ?? throw new UsageException("record-sockets needs -o DIR");
        Directory.CreateDirectory(dir);
        NetnsTarget? target = options.Capture.Netns is { } n ? NetnsTarget.Resolve(n) : null;
        using NetnsThread thread = NetnsThread.Start("nettop-record", target);
        int count = await SocketsRecorder.RecordAsync(thread, dir, !cli.Has("--no-info"), (p, b) => AtomicFile.Write(p, b))
            .WaitAsync(ct);
        Console.Error.WriteLine($"nettop: recorded {count} sockets into {dir}");
        return ExitCodes.Ok;
    }
}
