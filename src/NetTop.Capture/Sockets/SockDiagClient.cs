using System.Runtime.InteropServices;
using NetTop.Capture.Interop;
using NetTop.Model.Sockets;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Sockets;

/// <summary>A sock_diag request the kernel refused, or a netlink socket that could not be made.</summary>
internal sealed class SockDiagException(string message, int errno) : Exception(message)
{
    public int Errno { get; } = errno;
}

/// <summary>
/// Owns one NETLINK_SOCK_DIAG socket (created on the namespace's thread, so it dumps that namespace) and moves
/// dump bytes into the parser. One request per family, as ss does; the kernel sends at most ~32 KiB per recv.
/// </summary>
internal sealed unsafe class SockDiagClient : Recording.ISockDiagDumper
{
    private const int BufferSize = 64 * 1024;
    private readonly int _fd;
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    private uint _seq;

    /// <summary>Raw replies of each dump are handed here when set (record mode, fixtures).</summary>
    public Action<ReadOnlyMemory<byte>>? Tap { get; set; }

    private SockDiagClient(int fd) => _fd = fd;

    public static SockDiagClient Open()
    {
        // A dump that never ends (a lost NLMSG_DONE) must not hang the refresh: recv gives up after 5 s (EAGAIN).
        int fd = Netlink.Open(InetDiag.NETLINK_SOCK_DIAG, receiveBuffer: 1 << 20);
        if (fd < 0)
        {
            throw new SockDiagException($"socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed: {Errno.Describe(-fd)}", -fd);
        }
        return new SockDiagClient(fd);
    }

    /// <summary>Dumps one family's TCP sockets into <paramref name="into"/>. Throws on a netlink error reply.</summary>
    public void Dump(byte family, byte ext, uint states, SocketTableBuilder into, ref ParseStats stats, AsciiPool pool)
    {
        Send(family, ext, states);
        while (true)
        {
            int n = Netlink.Receive(_fd, _buffer);
            if (n < 0)
            {
                throw new SockDiagException(-n == EAGAIN
                    ? "recv(NETLINK_SOCK_DIAG) timed out after 5 s: the dump did not finish"
                    : $"recv(NETLINK_SOCK_DIAG) failed: {Errno.Describe(-n)}", -n);
            }
            if (n == 0)
            {
                return;
            }
            Tap?.Invoke(_buffer.AsMemory(0, n));
            SockDiagParser.Result r = SockDiagParser.Parse(_buffer.AsSpan(0, n), into, ref stats, pool);
            if (r.Progress == DumpProgress.Done)
            {
                return;
            }
            if (r.Progress == DumpProgress.Error)
            {
                string fam = family == InetDiag.AF_INET ? "AF_INET" : "AF_INET6";
                throw new SockDiagException($"inet_diag dump of {fam} TCP refused: {Errno.Describe(r.Errno)}", r.Errno);
            }
        }
    }

    private void Send(byte family, byte ext, uint states)
    {
        int size = sizeof(nlmsghdr) + sizeof(inet_diag_req_v2);
        byte* msg = stackalloc byte[size];
        new Span<byte>(msg, size).Clear();
        nlmsghdr* h = (nlmsghdr*)msg;
        h->nlmsg_len = (uint)size;
        h->nlmsg_type = InetDiag.SOCK_DIAG_BY_FAMILY;
        h->nlmsg_flags = InetDiag.NLM_F_REQUEST | InetDiag.NLM_F_DUMP;
        h->nlmsg_seq = ++_seq;
        inet_diag_req_v2* req = (inet_diag_req_v2*)(msg + sizeof(nlmsghdr));
        req->sdiag_family = family;
        req->sdiag_protocol = InetDiag.IPPROTO_TCP;
        req->idiag_ext = ext;
        req->idiag_states = states;
        if (Netlink.SendToKernel(_fd, msg, size) is int e and not 0)
        {
            throw new SockDiagException($"sendto(NETLINK_SOCK_DIAG) failed: {Errno.Describe(e)}", e);
        }
    }

    public void Dispose() => close(_fd);
}
