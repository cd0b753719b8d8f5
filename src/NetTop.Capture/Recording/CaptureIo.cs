using System.ComponentModel;
using NetTop.Capture.Firewall;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Perf;
using NetTop.Capture.Sockets;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Recording;

/// <summary>One sock_diag socket as the sockets source uses it (the kernel's, a recording tee, or a replay).</summary>
internal interface ISockDiagDumper : IDisposable
{
    Action<ReadOnlyMemory<byte>>? Tap { get; set; }

    /// <summary>Dumps one family's TCP sockets into <paramref name="into"/>; throws SockDiagException on a refused dump.</summary>
    void Dump(byte family, byte ext, uint states, SocketTableBuilder into, ref ParseStats stats, AsciiPool pool);
}

/// <summary>
/// Where the polled sources (sockets, counters, firewall) get their raw bytes: the kernel by default. Recording
/// tees every read into the recording; replay answers from it. This is the record/replay seam: the sources, their
/// parsers and the snapshot builder run unchanged, only the bytes come from elsewhere.
/// </summary>
internal class CaptureIo
{
    public static readonly CaptureIo Kernel = new();

    /// <summary>A /proc or /sys file's text; throws IOException/UnauthorizedAccessException as File.ReadAllText does.</summary>
    public virtual string ReadText(string path) => File.ReadAllText(path);

    /// <summary>A new sock_diag socket on the calling (namespace) thread; throws SockDiagException.</summary>
    public virtual ISockDiagDumper OpenSockDiag() => SockDiagClient.Open();

    /// <summary>Runs a firewall tool in the namespace to completion (a tool that cannot start is an output with exit code -1).</summary>
    public virtual async Task<CommandOutput> RunAsync(NetnsThread thread, string file, string[] args, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return await FirewallCommand.RunAsync(thread, file, args, timeout, ct: ct).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            return new CommandOutput(-1, "", $"cannot run {file}: {e.Message}", false, false);
        }
    }

    /// <summary>
    /// Runs a firewall tool in the namespace, handing its stdout to <paramref name="onStdout"/> as it prints (so the
    /// parser works while the pipe fills); <see cref="CommandOutput.Stdout"/> stays empty. A tool that cannot start
    /// is an output with exit code -1.
    /// </summary>
    public virtual async Task<CommandOutput> RunStreamingAsync(NetnsThread thread, string file, string[] args, OutputChunk onStdout,
        TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return await FirewallCommand.RunStreamingAsync(thread, file, args, onStdout, timeout, ct).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            return new CommandOutput(-1, "", $"cannot run {file}: {e.Message}", false, false);
        }
    }

    /// <summary>The watched namespace's inode; call on its thread.</summary>
    public virtual ulong? NetnsInode() => ResetTraceSource.ReadNetnsInode("/proc/thread-self/ns/net");
}
