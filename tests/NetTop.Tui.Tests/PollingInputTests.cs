using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using NetTop.Tui.Input;
using Terminal.Gui.Drivers;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>
/// <see cref="PollingInput"/> reading a pipe and a pseudo-terminal: the bytes written come out as the chars the stock
/// reader would enqueue, and every way of stopping (cancellation, dispose, hang-up) ends the loop. Waits are bounded
/// (<see cref="Limit"/>) and only fail when something never happens; nothing asserts how fast.
/// </summary>
public sealed class PollingInputTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static TheoryData<string, byte[]> Inputs => new()
    {
        { "ascii", "q/port:80\r"u8.ToArray() },
        { "two-, three- and four-byte UTF-8", Encoding.UTF8.GetBytes("é→😀") },
        { "cursor key and SGR mouse", "\u001b[A\u001b[<0;10;5M\u001b[<0;10;5m"u8.ToArray() },
        { "lone Esc then a key", "\u001bq"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Bytes_written_to_a_pipe_come_out_as_the_stock_readers_chars(string what, byte[] bytes)
    {
        using Pipe pipe = new();
        using Running run = new(pipe.ReadFd);
        pipe.Write(bytes);
        // The stock AnsiInput enqueues Encoding.UTF8.GetString(read bytes), char by char.
        Assert.True(run.WaitFor(Encoding.UTF8.GetString(bytes)), $"{what}: got \"{run.Text}\"");
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Bytes_typed_into_a_pty_come_out_as_the_stock_readers_chars(string what, byte[] bytes)
    {
        using Pty pty = new();
        using Running run = new(pty.SlaveFd);
        pty.Type(bytes);
        Assert.True(run.WaitFor(Encoding.UTF8.GetString(bytes)), $"{what}: got \"{run.Text}\"");
    }

    [Fact]
    public void A_character_split_across_two_reads_comes_out_whole()
    {
        using Pipe pipe = new();
        using Running run = new(pipe.ReadFd);
        byte[] arrow = Encoding.UTF8.GetBytes("→x");
        pipe.Write(arrow[..1]);
        Thread.Sleep(100); // most likely two reads; one read gives the same chars
        pipe.Write(arrow[1..]);
        Assert.True(run.WaitFor("→x"), $"got \"{run.Text}\"");
    }

    [Fact]
    public void Cancelling_the_run_token_ends_the_loop()
    {
        using Pipe pipe = new();
        using Running run = new(pipe.ReadFd);
        pipe.Write("a"u8.ToArray());
        Assert.True(run.WaitFor("a"));
        run.Cancel();
        Assert.True(run.Ends(), "Run did not return after cancellation");
        Assert.Equal(InputStop.Cancelled, run.Input.Stopped);
    }

    [Fact]
    public void Cancelling_the_external_token_ends_the_loop()
    {
        using Pipe pipe = new();
        using CancellationTokenSource external = new();
        using Running run = new(pipe.ReadFd, external);
        Assert.True(run.Started.Wait(Limit));
        external.Cancel();
        Assert.True(run.Ends(), "Run did not return after the external token was cancelled");
        Assert.Equal(InputStop.Cancelled, run.Input.Stopped);
    }

    [Fact]
    public void Dispose_while_running_ends_the_loop()
    {
        using Pipe pipe = new();
        using Running run = new(pipe.ReadFd);
        Assert.True(run.Started.Wait(Limit));
        run.Input.Dispose();
        Assert.True(run.Ends(), "Run did not return after Dispose");
        Assert.Equal(InputStop.Cancelled, run.Input.Stopped);
    }

    [Fact]
    public void A_closed_pipe_stops_the_loop_after_the_last_bytes()
    {
        using Pipe pipe = new();
        using Running run = new(pipe.ReadFd);
        pipe.Write("bye"u8.ToArray());
        pipe.CloseWriter();
        Assert.True(run.Ends(), "Run kept going after end of file");
        Assert.Equal(InputStop.HungUp, run.Input.Stopped);
        Assert.Equal("bye", run.Text);
    }

    [Fact]
    public void A_hung_up_pty_stops_the_loop()
    {
        using Pty pty = new();
        using Running run = new(pty.SlaveFd);
        pty.Type("k"u8.ToArray());
        Assert.True(run.WaitFor("k"));
        pty.CloseMaster(); // the terminal emulator went away: the slave reads EIO and polls POLLHUP
        Assert.True(run.Ends(), "Run kept going on a hung-up pty");
        Assert.Equal(InputStop.HungUp, run.Input.Stopped);
    }

    [Fact]
    public void Run_before_initialize_throws_like_the_stock_input()
    {
        using Pipe pipe = new();
        using PollingInput input = PollingInput.TryCreate(pipe.ReadFd)!;
        Assert.Throws<InvalidOperationException>(() => ((IInput<char>)input).Run(CancellationToken.None));
    }

    [Fact]
    public void Injected_test_input_reaches_the_queue()
    {
        using Pipe pipe = new();
        using PollingInput input = PollingInput.TryCreate(pipe.ReadFd)!;
        ConcurrentQueue<char> queue = new();
        ((IInput<char>)input).Initialize(queue);
        ((ITestableInput<char>)input).InjectInput('x');
        Assert.Equal(['x'], queue.ToArray());
    }

    /// <summary>An input's loop on its own thread, with its queue.</summary>
    internal sealed class Running : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly ConcurrentQueue<char> _queue = new();

        public Running(int fd, CancellationTokenSource? external = null)
        {
            Input = PollingInput.TryCreate(fd) ?? throw new InvalidOperationException("no eventfd");
            Input.ExternalCancellationTokenSource = external;
            IInput<char> input = Input;
            input.Initialize(_queue);
            Task = System.Threading.Tasks.Task.Factory.StartNew(() =>
            {
                Started.Set();
                input.Run(_cts.Token);
            }, TaskCreationOptions.LongRunning);
        }

        public PollingInput Input { get; }

        public Task Task { get; }

        /// <summary>True when the loop returns within the limit.</summary>
        public bool Ends() => Task.Wait(Limit);

        public ManualResetEventSlim Started { get; } = new();

        public string Text => new([.. _queue]);

        public void Cancel() => _cts.Cancel();

        /// <summary>True once the queue holds exactly <paramref name="text"/>; false when more came or time ran out.</summary>
        public bool WaitFor(string text)
        {
            long end = Environment.TickCount64 + (long)Limit.TotalMilliseconds;
            while (_queue.Count < text.Length && Environment.TickCount64 < end)
            {
                Thread.Sleep(5);
            }
            return Text == text;
        }

        public void Dispose()
        {
            _cts.Cancel();
            Task.Wait(Limit);
            Input.Dispose();
            _cts.Dispose();
            Started.Dispose();
        }
    }

    internal sealed class Pipe : IDisposable
    {
        private int _write;

        public Pipe()
        {
            int[] fds = new int[2];
            Assert.Equal(0, Native.pipe2(fds, Native.O_CLOEXEC));
            ReadFd = fds[0];
            _write = fds[1];
        }

        public int ReadFd { get; private set; }

        public void Write(byte[] bytes) => Assert.Equal(bytes.Length, (int)Native.write(_write, bytes, bytes.Length));

        public void CloseWriter()
        {
            _ = Native.close(_write);
            _write = -1;
        }

        public void Dispose()
        {
            if (_write >= 0)
            {
                CloseWriter();
            }
            _ = Native.close(ReadFd);
            ReadFd = -1;
        }
    }

    /// <summary>A pseudo-terminal pair, its slave in raw mode (as the driver sets it): the test types on the master.</summary>
    private sealed class Pty : IDisposable
    {
        private int _master;

        public Pty()
        {
            _master = Native.posix_openpt(Native.O_RDWR | Native.O_NOCTTY | Native.O_CLOEXEC);
            Assert.True(_master >= 0, $"posix_openpt: errno {Marshal.GetLastPInvokeError()}");
            Assert.Equal(0, Native.grantpt(_master));
            Assert.Equal(0, Native.unlockpt(_master));
            byte[] name = new byte[128];
            Assert.Equal(0, Native.ptsname_r(_master, name, name.Length));
            string path = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
            SlaveFd = Native.open(path, Native.O_RDWR | Native.O_NOCTTY | Native.O_CLOEXEC);
            Assert.True(SlaveFd >= 0, $"open {path}: errno {Marshal.GetLastPInvokeError()}");
            byte[] termios = new byte[128]; // struct termios is 60 bytes on glibc
            Assert.Equal(0, Native.tcgetattr(SlaveFd, termios));
            Native.cfmakeraw(termios);
            Assert.Equal(0, Native.tcsetattr(SlaveFd, 0, termios));
        }

        public int SlaveFd { get; private set; }

        public void Type(byte[] bytes) => Assert.Equal(bytes.Length, (int)Native.write(_master, bytes, bytes.Length));

        public void CloseMaster()
        {
            _ = Native.close(_master);
            _master = -1;
        }

        public void Dispose()
        {
            if (_master >= 0)
            {
                CloseMaster();
            }
            _ = Native.close(SlaveFd);
            SlaveFd = -1;
        }
    }

    internal static class Native
    {
        public const int O_RDWR = 2;
        public const int O_NOCTTY = 0x100;
        public const int O_CLOEXEC = 0x80000;

        [DllImport("libc", SetLastError = true)]
        public static extern int pipe2(int[] fds, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern nint write(int fd, byte[] buf, nint count);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int posix_openpt(int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int grantpt(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int unlockpt(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int ptsname_r(int fd, byte[] buf, nint len);

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int tcgetattr(int fd, byte[] termios);

        [DllImport("libc", SetLastError = true)]
        public static extern int tcsetattr(int fd, int when, byte[] termios);

        [DllImport("libc")]
        public static extern void cfmakeraw(byte[] termios);
    }
}
