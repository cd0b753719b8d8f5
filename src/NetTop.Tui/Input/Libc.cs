using System.Runtime.InteropServices;

namespace NetTop.Tui.Input;

/// <summary>The few libc calls <see cref="PollingInput"/> needs (poll.h, sys/eventfd.h, unistd.h).</summary>
internal static unsafe class Libc
{
    public const short POLLIN = 0x001;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;
    public const int EINTR = 4;
    public const int EAGAIN = 11;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static extern int poll(PollFd* fds, uint nfds, int timeout);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    public static extern nint read(int fd, byte* buf, nuint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    public static extern nint write(int fd, void* buf, nuint count);

    [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static extern int eventfd(uint initval, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", EntryPoint = "isatty")]
    public static extern int isatty(int fd);
}
