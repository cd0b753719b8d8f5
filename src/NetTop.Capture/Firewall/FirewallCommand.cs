using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using NetTop.Capture.Namespaces;

namespace NetTop.Capture.Firewall;

/// <summary>What a finished firewall tool left behind.</summary>
public sealed record CommandOutput(int ExitCode, string Stdout, string Stderr, bool TimedOut, bool Truncated)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut && !Truncated;

    /// <summary>The first line of stderr (or a note on the timeout), for a status detail.</summary>
    public string Error => TimedOut ? "timed out and was killed"
        : Truncated ? "printed more than NetTop reads and was killed"
        : Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(l => !l.StartsWith('#'))
          ?? $"exit code {ExitCode}";
}

/// <summary>Receives a child's stdout as it arrives; the span is valid only during the call.</summary>
public delegate void OutputChunk(ReadOnlySpan<byte> chunk);

/// <summary>
/// Runs the firewall tools (iptables-save, nft, xtables-monitor, …) inside the watched namespace: the child is
/// forked from the namespace's <see cref="NetnsThread"/> (fork/vfork copies the calling thread's namespaces,
/// and .NET's Process.Start forks from the calling thread; FirewallKernelTests prove it), with
/// ProcessStartInfo.ArgumentList (never a shell), a timeout after which the child is killed, and a cap on
/// the output it may print. Only the fork happens on the namespace thread; reading the output does not.
/// </summary>
public static class FirewallCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    /// <summary>`nft -j list ruleset` of 10,000 rules is 3.5 MB; 256 MB would be 700k rules.</summary>
    public const int MaxOutputChars = 256 << 20;

    private static readonly string[] s_extraDirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"];

    /// <summary>The full path of a tool on PATH or in the sbin directories root's PATH has; null when missing.</summary>
    public static string? Find(string name)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(s_extraDirs))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        ProcessStartInfo psi = new(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["LC_ALL"] = "C"; // tools' messages and number formats as documented
        return psi;
    }

    /// <summary>Starts the child from the namespace thread (so it lives in that namespace); throws Win32Exception when it cannot run.</summary>
    public static Task<Process> StartAsync(NetnsThread thread, ProcessStartInfo psi, CancellationToken ct = default) =>
        thread.InvokeAsync(() =>
        {
            Process p = Process.Start(psi) ?? throw new Win32Exception($"cannot start {psi.FileName}");
            if (psi.RedirectStandardOutput)
            {
                WidenPipe(p.StandardOutput.BaseStream);
            }
            return p;
        }, ct);

    internal const int PipeSize = 1 << 20; // /proc/sys/fs/pipe-max-size default
    /// <summary>How much of a tool's stderr is kept (the rest is read and dropped).</summary>
    internal const int MaxStderrBytes = 64 << 10;

    /// <summary>
    /// A 64 KiB pipe makes iptables-save stop ~11 times per 10,000 rules until NetTop has read; each stop costs
    /// a wake-up, which on a busy machine is milliseconds. A 1 MiB pipe holds the whole output. Best effort:
    /// an unprivileged process may be refused more than pipe-max-size, and then nothing changes.
    /// </summary>
    private static void WidenPipe(Stream stream)
    {
        if (stream is System.IO.Pipes.PipeStream pipe)
        {
            int fd = (int)pipe.SafePipeHandle.DangerousGetHandle();
            _ = Tmds.Linux.LibC.fcntl(fd, Tmds.Linux.LibC.F_SETPIPE_SZ, PipeSize); // fcntl(2), linux/fcntl.h
        }
    }

    /// <summary>Runs to completion in the namespace; <paramref name="stdin"/> is written then closed.</summary>
    public static async Task<CommandOutput> RunAsync(NetnsThread thread, string file, IEnumerable<string> args,
        TimeSpan? timeout = null, string? stdin = null, CancellationToken ct = default)
    {
        using Process p = await StartAsync(thread, StartInfo(file, args), ct).ConfigureAwait(false);
        return await CollectAsync(p, timeout ?? DefaultTimeout, stdin, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs to completion in the namespace, handing stdout to <paramref name="onStdout"/> chunk by chunk as the child
    /// prints it (on the reading thread; <see cref="CommandOutput.Stdout"/> stays empty), so a parser can work while
    /// the child is still writing. The output is bounded as in <see cref="RunAsync"/>.
    /// </summary>
    /// <remarks>
    /// This is the path of the save tools that run on every poll, so it spawns with posix_spawn and reads on one
    /// blocking thread (<see cref="SpawnedTool"/>) instead of Process.Start and async reads.
    /// </remarks>
    public static Task<CommandOutput> RunStreamingAsync(NetnsThread thread, string file, IEnumerable<string> args, OutputChunk onStdout,
        TimeSpan? timeout = null, CancellationToken ct = default) =>
        SpawnedTool.RunStreamingAsync(thread, file, args, onStdout, timeout ?? DefaultTimeout, ct);

    /// <summary>
    /// Reads a started child's output (bounded) and waits for it, killing it on timeout, overflow or cancellation.
    /// With <paramref name="onStdout"/>, stdout goes there as it arrives instead of into <see cref="CommandOutput.Stdout"/>.
    /// </summary>
    public static async Task<CommandOutput> CollectAsync(Process p, TimeSpan timeout, string? stdin = null, CancellationToken ct = default,
        OutputChunk? onStdout = null)
    {
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            if (stdin is not null)
            {
                await p.StandardInput.WriteAsync(stdin.AsMemory(), limit.Token).ConfigureAwait(false);
            }
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // the child exited without reading its input: its exit code says why
        }
        Task<(string Text, bool Truncated)> stdout = onStdout is null
            ? ReadBoundedAsync(p.StandardOutput, MaxOutputChars, limit.Token)
            : StreamBoundedAsync(p.StandardOutput.BaseStream, MaxOutputChars, onStdout, limit.Token);
        Task<(string Text, bool Truncated)> stderr = ReadBoundedAsync(p.StandardError, MaxStderrBytes, limit.Token);
        bool timedOut = false;
        try
        {
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            await p.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(p);
            ct.ThrowIfCancellationRequested();
            timedOut = true;
        }
        bool truncated = stdout.IsCompletedSuccessfully && stdout.Result.Truncated;
        if (truncated)
        {
            Kill(p);
        }
        if (!p.HasExited)
        {
            Kill(p);
            p.WaitForExit(2000);
        }
        return new CommandOutput(
            p.HasExited ? p.ExitCode : -1,
            stdout.IsCompletedSuccessfully ? stdout.Result.Text : "",
            stderr.IsCompletedSuccessfully ? stderr.Result.Text : "",
            timedOut,
            truncated);
    }

    /// <summary>Kills the child by its pid (never by name); quiet when it has already gone.</summary>
    public static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
        }
    }

    /// <summary>Hands each read to <paramref name="onChunk"/>; stops (truncated) after <paramref name="max"/> bytes.</summary>
    private static async Task<(string, bool)> StreamBoundedAsync(Stream stream, int max, OutputChunk onChunk, CancellationToken ct)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 << 10);
        long total = 0;
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    return ("", false);
                }
                total += n;
                if (total > max)
                {
                    return ("", true);
                }
                onChunk(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads raw bytes into one pooled buffer and decodes once: no StreamReader, no StringBuilder chunks.</summary>
    private static async Task<(string, bool)> ReadBoundedAsync(StreamReader reader, int max, CancellationToken ct)
    {
        Stream stream = reader.BaseStream;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 << 10);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= max)
                    {
                        return (Encoding.UTF8.GetString(buffer, 0, length), true);
                    }
                    byte[] bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(max, buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                int n = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, max) - length), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    return (Encoding.UTF8.GetString(buffer, 0, length), false);
                }
                length += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
