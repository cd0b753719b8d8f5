using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Terminal.Gui.Drivers;
using static NetTop.Tui.Input.Libc;

namespace NetTop.Tui.Input;

/// <summary>
/// Terminal.Gui's ANSI input with a reader that sleeps in poll(2) until a byte arrives, instead of the stock
/// <c>InputImpl.Run</c> loop that looks at the terminal every 20 ms (<c>Task.Delay(20)</c>: a timer firing into the
/// thread pool 50 times a second, most of an idle TUI's CPU on this class of VM, docs/benchmarks.md "tui").
/// <para>
/// Everything but the loop is the stock <see cref="AnsiInput"/>: its constructor puts the terminal in raw mode
/// (cfmakeraw on the input fd, restored on exit), its <see cref="AnsiInput.Dispose"/> drains what the terminal still
/// sends (answers to the driver's queries) and restores the mode. <c>InputImpl.Run</c> and <c>Initialize</c> are not
/// virtual, so this class re-implements <see cref="IInput{T}"/>: the driver calls these through the interface.
/// </para>
/// <para>
/// The loop polls <paramref name="fd"/> and an eventfd that cancellation and <see cref="Dispose"/> write to, with no
/// timeout. Bytes are decoded as UTF-8 and every char is put in the queue as read, which is what the stock reader
/// enqueues (it decodes each read() with <c>Encoding.UTF8.GetString</c>); the decoder here keeps state between reads,
/// so a multi-byte character split across two reads comes out whole instead of as two U+FFFD. A hang-up (read()
/// returns 0 or fails, or poll reports POLLHUP/POLLERR/POLLNVAL without data) ends the loop: the stock reader spins
/// on a dead tty (poll says readable, read returns 0), which is why src/NetTop/ShutdownGuard.cs exists.
/// </para>
/// </summary>
/// <param name="fd">The terminal's input (0); tests pass a pipe or a pty.</param>
/// <param name="wake">An eventfd this input owns and closes.</param>
/// <param name="loop">Set after each read's characters are queued, so a main loop sleeping in <see cref="IdlePacer"/>
/// handles the key at once; null when nothing sleeps on it.</param>
internal sealed unsafe class PollingInput(int fd, int wake, LoopWake? loop = null) : AnsiInput, IInput<char>, ITestableInput<char>
{
    private const int ReadSize = 1024;
    private readonly Lock _gate = new();
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private ConcurrentQueue<char>? _queue;
    private int _wake = wake;
    private bool _running;
    private bool _disposed;

    /// <summary>Creates the eventfd, then the input; null when the kernel refuses an eventfd.</summary>
    public static PollingInput? TryCreate(int fd, LoopWake? loop = null)
    {
        int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        return wake < 0 ? null : new PollingInput(fd, wake, loop);
    }

    /// <summary>Why the last <see cref="IInput{T}.Run"/> returned; null while it runs or before.</summary>
    public InputStop? Stopped { get; private set; }

    void IInput<char>.Initialize(ConcurrentQueue<char> inputQueue)
    {
        Initialize(inputQueue);
        _queue = inputQueue;
    }

    /// <summary>Test input (<c>IApplication.InjectKey</c>) goes straight to the queue; the stock reader's own test
    /// queue is only drained by the stock loop.</summary>
    void ITestableInput<char>.InjectInput(char input)
    {
        if (_queue is { } queue)
        {
            queue.Enqueue(input);
            loop?.Set();
        }
        else
        {
            InjectInput(input);
        }
    }

    void IInput<char>.Run(CancellationToken runCancellationToken)
    {
        ConcurrentQueue<char> queue = _queue ?? throw new InvalidOperationException("Cannot run input before Initialization");
        using CancellationTokenSource? linked = ExternalCancellationTokenSource is { } external
            ? CancellationTokenSource.CreateLinkedTokenSource(runCancellationToken, external.Token)
            : null;
        CancellationToken ct = linked?.Token ?? runCancellationToken;
        lock (_gate)
        {
            if (_disposed || _wake < 0)
            {
                Stopped = InputStop.Cancelled;
                return;
            }
            _running = true;
            Stopped = null;
        }
        try
        {
            using CancellationTokenRegistration reg = ct.UnsafeRegister(static s => ((PollingInput)s!).Wake(), this);
            Stopped = ReadLoop(queue, ct);
        }
        finally
        {
            lock (_gate)
            {
                _running = false;
                if (_disposed)
                {
                    CloseWake();
                }
            }
        }
    }

    private InputStop ReadLoop(ConcurrentQueue<char> queue, CancellationToken ct)
    {
        byte* bytes = stackalloc byte[ReadSize];
        char[] chars = new char[Encoding.UTF8.GetMaxCharCount(ReadSize)];
        PollFd* fds = stackalloc PollFd[2];
        while (!ct.IsCancellationRequested)
        {
            fds[0] = new PollFd { Fd = fd, Events = POLLIN };
            fds[1] = new PollFd { Fd = _wake, Events = POLLIN };
            if (poll(fds, 2, -1) < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }
                return InputStop.Failed;
            }
            if (fds[1].Revents != 0)
            {
                return InputStop.Cancelled;
            }
            short revents = fds[0].Revents;
            if ((revents & POLLIN) != 0)
            {
                nint got = read(fd, bytes, ReadSize);
                if (got > 0)
                {
                    int n = _decoder.GetChars(new ReadOnlySpan<byte>(bytes, (int)got), chars, flush: false);
                    for (int i = 0; i < n; i++)
                    {
                        queue.Enqueue(chars[i]);
                    }
                    if (n > 0)
                    {
                        loop?.Set();
                    }
                    continue;
                }
                if (got < 0 && Marshal.GetLastPInvokeError() is EINTR or EAGAIN)
                {
                    continue;
                }
                return InputStop.HungUp; // 0: end of file (a hung-up tty, a closed pipe); EIO: the pty's other side closed
            }
            if ((revents & (POLLHUP | POLLERR | POLLNVAL)) != 0)
            {
                return InputStop.HungUp;
            }
        }
        return InputStop.Cancelled;
    }

    private void Wake()
    {
        lock (_gate)
        {
            if (_wake >= 0)
            {
                ulong one = 1;
                _ = write(_wake, &one, 8);
            }
        }
    }

    private void CloseWake()
    {
        if (_wake >= 0)
        {
            _ = close(_wake);
            _wake = -1;
        }
    }

    /// <summary>Stops a running loop, then the stock clean-up (drain the terminal's answers, restore the mode).</summary>
    public override void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (_running)
            {
                ulong one = 1;
                _ = write(_wake, &one, 8); // the loop closes the eventfd as it leaves
            }
            else
            {
                CloseWake();
            }
        }
        base.Dispose();
    }
}

/// <summary>Why <see cref="PollingInput"/>'s loop returned.</summary>
internal enum InputStop
{
    /// <summary>The run token, the external token or <see cref="PollingInput.Dispose"/>.</summary>
    Cancelled,

    /// <summary>The terminal went away: end of file, EIO, POLLHUP/POLLERR/POLLNVAL.</summary>
    HungUp,

    /// <summary>poll(2) failed with something other than EINTR.</summary>
    Failed,
}
