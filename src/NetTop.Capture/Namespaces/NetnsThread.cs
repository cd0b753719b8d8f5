using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Namespaces;

/// <summary>
/// A dedicated thread that has entered one network namespace (setns switches only the calling thread) and runs
/// every per-netns read there: sock_diag sockets are created on it (a socket stays in the netns it was made in)
/// and /proc/thread-self/net shows its namespace. Without a target it stays in NetTop's own namespace.
/// Blocking work only; never awaits on this thread.
/// </summary>
public sealed class NetnsThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new(boundedCapacity: 64);
    private readonly Thread _thread;
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly NetnsTarget? _target;

    private NetnsThread(string name, NetnsTarget? target)
    {
        _target = target;
        _thread = new Thread(Loop) { Name = name, IsBackground = true };
    }

    public NetnsTarget? Target => _target;

    /// <summary>Starts the thread and enters the namespace; throws <see cref="NetnsException"/> when it cannot.</summary>
    public static NetnsThread Start(string name, NetnsTarget? target)
    {
        NetnsThread t = new(name, target);
        t._thread.Start();
        try
        {
            t._entered.Task.GetAwaiter().GetResult();
        }
        catch
        {
            t.Dispose();
            throw;
        }
        return t;
    }

    public Task<T> InvokeAsync<T>(Func<T> work, CancellationToken ct = default)
    {
        TaskCompletionSource<T> tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                if (ct.IsCancellationRequested)
                {
                    tcs.TrySetCanceled(ct);
                    return;
                }
                try
                {
                    tcs.TrySetResult(work());
                }
                catch (Exception e)
                {
                    tcs.TrySetException(e);
                }
            }, ct);
        }
        catch (OperationCanceledException)
        {
            tcs.TrySetCanceled(ct);
        }
        catch (InvalidOperationException)
        {
            tcs.TrySetException(new ObjectDisposedException(_thread.Name));
        }
        return tcs.Task;
    }

    private void Loop()
    {
        if (_target is not null)
        {
            string? error = Enter(_target);
            if (error is not null)
            {
                _entered.TrySetException(new NetnsException(error));
                return;
            }
        }
        _entered.TrySetResult();
        foreach (Action a in _work.GetConsumingEnumerable())
        {
            a();
        }
    }

    private static unsafe string? Enter(NetnsTarget target)
    {
        byte[] path = Encoding.UTF8.GetBytes(target.Path + "\0");
        int fd;
        fixed (byte* p = path)
        {
            fd = open(p, O_RDONLY | O_CLOEXEC, 0);
        }
        if (fd < 0)
        {
            int e = errno;
            return $"cannot open network namespace '{target.Display}' ({target.Path}): {Errno.Describe(e)}";
        }
        try
        {
            if (setns(fd, Interop.Namespaces.CLONE_NEWNET) != 0)
            {
                int e = errno;
                return e == EINVAL
                    ? $"'{target.Display}' ({target.Path}) is not a network namespace"
                    : $"cannot enter network namespace '{target.Display}': {Errno.Describe(e)}" +
                      (e == EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "");
            }
        }
        finally
        {
            close(fd);
        }
        return null;
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        if (_thread.IsAlive && Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }
        _work.Dispose();
    }
}
