using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Interop;

/// <summary>
/// The socket calls every netlink client here makes the same way (sock_diag, nf_tables): a socket whose recv gives
/// up after 5 s (a dump whose NLMSG_DONE is lost must not hang a refresh), and send/recv retried on EINTR. Each
/// client turns a negative result into its own exception with its own wording.
/// </summary>
internal static unsafe class Netlink
{
    /// <summary>An AF_NETLINK socket of <paramref name="protocol"/> in the calling thread's namespace, or -errno.</summary>
    public static int Open(int protocol, int receiveBuffer = 0)
    {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            return -errno;
        }
        if (receiveBuffer > 0)
        {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof(int));
        }
        timeval timeout = new() { tv_sec = 5 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, (uint)sizeof(timeval));
        return fd;
    }

    /// <summary>One recv into <paramref name="buffer"/>: the bytes read (0: closed), or -errno (-EAGAIN: the 5 s timeout).</summary>
    public static int Receive(int fd, byte[] buffer)
    {
        int n;
        fixed (byte* p = buffer)
        {
            do
            {
                n = (int)recv(fd, p, buffer.Length, 0);
            }
            while (n < 0 && errno == EINTR);
        }
        return n < 0 ? -errno : n;
    }

    /// <summary>Sends <paramref name="size"/> bytes to the kernel: 0, or the errno.</summary>
    public static int SendToKernel(int fd, byte* message, int size)
    {
        sockaddr_nl kernel = new() { nl_family = (ushort)AF_NETLINK };
        long sent;
        do
        {
            sent = sendto(fd, message, size, 0, (sockaddr*)&kernel, (uint)sizeof(sockaddr_nl));
        }
        while (sent < 0 && errno == EINTR);
        return sent < 0 ? errno : 0;
    }
}
