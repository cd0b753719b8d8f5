using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using NetTop.Capture.Namespaces;
using static NetTop.Capture.Interop.Spawn;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Firewall;

/// <summary>
/// Runs a firewall tool the cheap way, for the save tools NetTop runs on every poll: posix_spawn(3) (glibc's
/// clone(CLONE_VM|CLONE_VFORK), no copy of the runtime's address space) from the namespace's thread, so the child
/// has that thread's network namespace and ambient capabilities as with Process.Start; then one dedicated thread
/// that sleeps in poll(2) on the child's stdout, stderr, a pidfd and a cancellation eventfd and reads with plain
/// read(2). Process.Start plus async pipe reads cost 4–9 ms more per iptables-save run at 10,000 rules
/// (docs/benchmarks.md, firewall): each async read is an epoll wake-up and a thread-pool hop, and Process adds its
/// own SIGCHLD bookkeeping. The semantics are <see cref="FirewallCommand.CollectAsync"/>'s: argument list (never a
/// shell), LC_ALL=C, working directory /, stdin /dev/null, a timeout after which the child is killed, a cap on the
/// output, stderr kept up to 64 KiB, exit code 128+N for a child killed by signal N.
/// </summary>
internal static class SpawnedTool
{
    private const int ReadBuffer = 256 << 10;
    private const int StderrMax = FirewallCommand.MaxStderrBytes;
    private const int PipeSize = FirewallCommand.PipeSize;

    /// <summary>
    /// Spawns <paramref name="file"/> in <paramref name="thread"/>'s namespace and streams its stdout to
    /// <paramref name="onStdout"/> (called on a NetTop reading thread). Throws <see cref="Win32Exception"/> when the
    /// tool cannot be started, <see cref="OperationCanceledException"/> when <paramref name="ct"/> fires (the child
    /// is killed and reaped first).
    /// </summary>
    public static async Task<CommandOutput> RunStreamingAsync(NetnsThread thread, string file, IEnumerable<string> args,
        OutputChunk onStdout, TimeSpan timeout, CancellationToken ct, int maxOutput = FirewallCommand.MaxOutputChars)
    {
        ct.ThrowIfCancellationRequested();
        string[] argv = [file, .. args];
        string[] envp = ChildEnvironment();
        Child child = await thread.InvokeAsync(() => Start(file, argv, envp), ct).ConfigureAwait(false);
        TaskCompletionSource<CommandOutput> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Thread reader = new(() =>
        {
            try
            {
                done.TrySetResult(child.Collect(onStdout, timeout, maxOutput, ct));
            }
            catch (OperationCanceledException e)
            {
                done.TrySetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }, maxStackSize: 256 << 10)
        { IsBackground = true, Name = "nettop-tool" };
        reader.Start();
        return await done.Task.ConfigureAwait(false);
    }

    /// <summary>The current environment with LC_ALL=C, as "NAME=value" strings.</summary>
    private static string[] ChildEnvironment()
    {
        System.Collections.IDictionary vars = System.Environment.GetEnvironmentVariables();
        List<string> list = new(vars.Count + 1);
        foreach (System.Collections.DictionaryEntry e in vars)
        {
            string name = (string)e.Key;
            if (name != "LC_ALL")
            {
                list.Add($"{name}={e.Value}");
            }
        }
        list.Add("LC_ALL=C"); // tools' messages and number formats as documented
        return [.. list];
    }

    /// <summary>posix_spawn with stdin /dev/null, stdout and stderr to fresh pipes; runs on the namespace thread.</summary>
    private static unsafe Child Start(string file, string[] argv, string[] envp)
    {
        int* outPipe = stackalloc int[2];
        int* errPipe = stackalloc int[2];
        if (pipe2(outPipe, O_CLOEXEC) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "pipe2");
        }
        if (pipe2(errPipe, O_CLOEXEC) != 0)
        {
            int err = Marshal.GetLastPInvokeError();
            _ = close(outPipe[0]);
            _ = close(outPipe[1]);
            throw new Win32Exception(err, "pipe2");
        }
        _ = fcntl(outPipe[0], F_SETPIPE_SZ, PipeSize); // best effort: the whole output fits, the tool never stops

        long* actions = stackalloc long[OpaqueSize / 8];
        long* attr = stackalloc long[OpaqueSize / 8];
        long* sigDefault = stackalloc long[SigSetSize / 8];
        long* sigMask = stackalloc long[SigSetSize / 8];
        IntPtr[] strings = new IntPtr[argv.Length + envp.Length + 3];
        int used = 0;
        byte* Utf8(string s) => (byte*)(strings[used++] = Marshal.StringToCoTaskMemUTF8(s));
        byte** cArgv = stackalloc byte*[argv.Length + 1];
        byte** cEnvp = stackalloc byte*[envp.Length + 1];
        int pid = 0;
        int rc;
        _ = posix_spawn_file_actions_init(actions);
        _ = posix_spawnattr_init(attr);
        try
        {
            for (int i = 0; i < argv.Length; i++)
            {
                cArgv[i] = Utf8(argv[i]);
            }
            cArgv[argv.Length] = null;
            for (int i = 0; i < envp.Length; i++)
            {
                cEnvp[i] = Utf8(envp[i]);
            }
            cEnvp[envp.Length] = null;
            byte* path = Utf8(file);
            byte* devNull = Utf8("/dev/null");
            byte* root = Utf8("/");
            _ = posix_spawn_file_actions_addopen(actions, 0, devNull, O_RDONLY, 0);
            _ = posix_spawn_file_actions_adddup2(actions, outPipe[1], 1);
            _ = posix_spawn_file_actions_adddup2(actions, errPipe[1], 2);
            _ = posix_spawn_file_actions_addchdir_np(actions, root);
            // The runtime ignores SIGPIPE and handles others; exec keeps ignored signals ignored, so the tool gets
            // every signal back at its default, and an empty mask, as from a shell.
            _ = sigemptyset(sigMask);
            _ = sigemptyset(sigDefault);
            for (int sig = 1; sig <= 64; sig++)
            {
                if (sig != SIGKILL && sig != SIGSTOP)
                {
                    _ = sigaddset(sigDefault, sig); // glibc refuses its two internal signals; that is fine
                }
            }
            _ = posix_spawnattr_setsigmask(attr, sigMask);
            _ = posix_spawnattr_setsigdefault(attr, sigDefault);
            _ = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
            rc = posix_spawn(&pid, path, actions, attr, cArgv, cEnvp);
        }
        finally
        {
            _ = posix_spawnattr_destroy(attr);
            _ = posix_spawn_file_actions_destroy(actions);
            for (int i = 0; i < used; i++)
            {
                Marshal.FreeCoTaskMem(strings[i]);
            }
            _ = close(outPipe[1]);
            _ = close(errPipe[1]);
        }
        if (rc != 0)
        {
            _ = close(outPipe[0]);
            _ = close(errPipe[0]);
            throw new Win32Exception(rc, $"cannot start {file}: {Marshal.GetPInvokeErrorMessage(rc)}");
        }
        int pidfd = (int)spawn_syscall(SYS_pidfd_open, pid, 0, 0, 0); // -1 on kernels before 5.3: exit then polled
        return new Child(pid, pidfd, outPipe[0], errPipe[0]);
    }

    // Read buffers outlive the reading threads: ArrayPool.Shared keeps a returned array in the returning thread's
    // slot, which dies with each run's thread, so every poll would allocate its buffers again.
    private static readonly System.Collections.Concurrent.ConcurrentBag<byte[]> s_buffers = [];

    private static byte[] RentBuffer() => s_buffers.TryTake(out byte[]? b) ? b : new byte[ReadBuffer];

    private static void ReturnBuffer(byte[] buffer)
    {
        if (s_buffers.Count < 4)
        {
            s_buffers.Add(buffer);
        }
    }

    private static bool Retry(int errno) => errno == EINTR || errno == EAGAIN;

    /// <summary>A started child and the parent's ends of its pipes; <see cref="Collect"/> reaps it and closes them.</summary>
    private sealed unsafe class Child(int pid, int pidfd, int stdout, int stderr)
    {
        public CommandOutput Collect(OutputChunk onStdout, TimeSpan timeout, int maxOutput, CancellationToken ct)
        {
            int wake = eventfd(0, EFD_CLOEXEC);
            CancellationTokenRegistration registration = ct.Register(() =>
            {
                long one = 1;
                _ = write(wake, &one, 8);
            });
            byte[] buffer = RentBuffer();
            byte[]? errors = null; // most runs print nothing on stderr
            int errorLength = 0;
            long total = 0;
            bool outOpen = true, errOpen = true, exited = false, timedOut = false, truncated = false, cancelled = false;
            int status = 0;
            long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            pollfd* fds = stackalloc pollfd[4];
            try
            {
                fixed (byte* buf = buffer)
                {
                    while (outOpen || errOpen || !exited)
                    {
                        long remaining = deadline - Environment.TickCount64;
                        if (remaining <= 0)
                        {
                            timedOut = true;
                            break;
                        }
                        int n = 0, outAt = -1, errAt = -1, pidAt = -1;
                        if (outOpen)
                        {
                            outAt = n;
                            fds[n++] = new pollfd { fd = stdout, events = POLLIN };
                        }
                        if (errOpen)
                        {
                            errAt = n;
                            fds[n++] = new pollfd { fd = stderr, events = POLLIN };
                        }
                        if (!exited && pidfd >= 0)
                        {
                            pidAt = n;
                            fds[n++] = new pollfd { fd = pidfd, events = POLLIN };
                        }
                        int wakeAt = n;
                        fds[n++] = new pollfd { fd = wake, events = POLLIN };
                        // Without a pidfd (old kernel) the exit is looked for every 10 ms once the pipes have closed.
                        int wait = pidfd < 0 && !outOpen && !errOpen ? 10 : (int)Math.Min(remaining, int.MaxValue);
                        int ready = poll(fds, (uint)n, wait);
                        if (ready < 0)
                        {
                            if (Marshal.GetLastPInvokeError() == EINTR)
                            {
                                continue;
                            }
                            throw new Win32Exception(Marshal.GetLastPInvokeError(), "poll");
                        }
                        if (fds[wakeAt].revents != 0)
                        {
                            cancelled = true;
                            break;
                        }
                        if (outAt >= 0 && fds[outAt].revents != 0)
                        {
                            long got = read(stdout, buf, ReadBuffer);
                            if (got > 0)
                            {
                                total += got;
                                if (total > maxOutput)
                                {
                                    truncated = true;
                                    break;
                                }
                                onStdout(new ReadOnlySpan<byte>(buf, (int)got));
                            }
                            else if (got == 0 || !Retry(Marshal.GetLastPInvokeError()))
                            {
                                outOpen = false;
                            }
                        }
                        if (errAt >= 0 && fds[errAt].revents != 0)
                        {
                            long got = read(stderr, buf, ReadBuffer);
                            if (got > 0)
                            {
                                int keep = (int)Math.Min(got, StderrMax - errorLength); // the rest is read and dropped
                                if (errors is null || errors.Length < errorLength + keep)
                                {
                                    Array.Resize(ref errors, Math.Min(StderrMax, Math.Max(4096, 2 * (errorLength + keep))));
                                }
                                new ReadOnlySpan<byte>(buf, keep).CopyTo(errors.AsSpan(errorLength));
                                errorLength += keep;
                            }
                            else if (got == 0 || !Retry(Marshal.GetLastPInvokeError()))
                            {
                                errOpen = false;
                            }
                        }
                        if (!exited && (pidfd < 0 || (pidAt >= 0 && fds[pidAt].revents != 0)))
                        {
                            exited = TryReap(ref status, block: false);
                        }
                    }
                }
            }
            finally
            {
                // Also when the consumer of stdout threw: no child is left running or unreaped.
                if (!exited)
                {
                    _ = kill(pid, SIGKILL); // safe: not reaped yet, so the pid is still this child's
                    exited = TryReap(ref status, block: true);
                }
                ReturnBuffer(buffer);
                _ = close(stdout);
                _ = close(stderr);
                if (pidfd >= 0)
                {
                    _ = close(pidfd);
                }
                registration.Dispose(); // no write to the eventfd after it is closed
                _ = close(wake);
            }
            if (cancelled)
            {
                throw new OperationCanceledException(ct);
            }
            return new CommandOutput(ExitCode(status, exited), "", errors is null ? "" : Encoding.UTF8.GetString(errors, 0, errorLength), timedOut, truncated);
        }

        private bool TryReap(ref int status, bool block)
        {
            int s = 0;
            while (true)
            {
                int r = waitpid(pid, &s, block ? 0 : WNOHANG);
                if (r == pid)
                {
                    status = s;
                    return true;
                }
                if (r < 0 && Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }
                return r < 0; // ECHILD: somebody else reaped it; it is gone either way
            }
        }

        /// <summary>Exit status as Process.ExitCode gives it: the code, or 128 + the signal that killed it.</summary>
        private static int ExitCode(int status, bool exited) =>
            !exited ? -1 : (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
    }
}
