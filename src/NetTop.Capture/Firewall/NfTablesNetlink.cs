using NetTop.Capture.Interop;
using NetTop.Capture.Sockets;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Firewall;

/// <summary>An nf_tables netlink request the kernel refused, or a socket that could not be made.</summary>
internal sealed class NfTablesException(string message, int errno) : Exception(message)
{
    public int Errno { get; } = errno;
}

/// <summary>
/// One NETLINK_NETFILTER socket talking nf_tables to the kernel: the ruleset generation (NFT_MSG_GETGEN) and a dump
/// of every rule with its counters (NFT_MSG_GETRULE, NLM_F_DUMP, all families). This is what lets the firewall source
/// read counters without forking iptables-save: the dump is what iptables-save itself asks for, minus the fork, the
/// exec, the translation to text and the parse. A netlink socket belongs to the network namespace it was created
/// in, so <see cref="Open"/> must run on the namespace's thread; the socket is then kept across polls. Every call
/// must come from one thread at a time (the firewall source only uses it on the namespace thread).
/// </summary>
internal sealed unsafe class NfTablesNetlink : IDisposable
{
    private const int BufferSize = 64 * 1024; // the kernel fills at most 32 KiB per recv of a dump
    private readonly int _fd;
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    private uint _seq;

    /// <summary>Raw replies (one recv each) are handed here when set (fixtures).</summary>
    public Action<ReadOnlyMemory<byte>>? Tap { get; set; }

    private NfTablesNetlink(int fd) => _fd = fd;

    /// <summary>A socket in the calling thread's network namespace; throws <see cref="NfTablesException"/>.</summary>
    public static NfTablesNetlink Open()
    {
        int fd = Netlink.Open(NfTables.NETLINK_NETFILTER);
        if (fd < 0)
        {
            throw new NfTablesException($"socket(AF_NETLINK, NETLINK_NETFILTER) failed: {Errno.Describe(-fd)}", -fd);
        }
        return new NfTablesNetlink(fd);
    }

    /// <summary>The ruleset generation: it changes with every committed nf_tables transaction in the namespace.</summary>
    public uint GetGeneration()
    {
        uint seq = Send(NfTables.NFT_MSG_GETGEN, InetDiag.NLM_F_REQUEST);
        while (true)
        {
            int n = Receive("NFT_MSG_GETGEN");
            NfTablesParser.Result r = NfTablesParser.ParseGeneration(_buffer.AsSpan(0, n), seq);
            if (r.Progress == DumpProgress.Done && r.Generation is { } gen)
            {
                return gen;
            }
            if (r.Progress == DumpProgress.Error)
            {
                throw new NfTablesException($"NFT_MSG_GETGEN refused: {Errno.Describe(r.Errno)}", r.Errno);
            }
            if (r.Malformed > 0)
            {
                throw new NfTablesException("NFT_MSG_GETGEN: malformed reply", 0);
            }
        }
    }

    /// <summary>Dumps every rule of every family into <paramref name="into"/> (reset first). Throws on a refused dump.</summary>
    public void DumpRules(NfRuleDump into)
    {
        into.Reset();
        uint seq = Send(NfTables.NFT_MSG_GETRULE, InetDiag.NLM_F_REQUEST | InetDiag.NLM_F_DUMP);
        while (true)
        {
            int n = Receive("NFT_MSG_GETRULE");
            NfTablesParser.Result r = NfTablesParser.ParseRules(_buffer.AsSpan(0, n), seq, into);
            if (r.Progress == DumpProgress.Done)
            {
                return;
            }
            if (r.Progress == DumpProgress.Error)
            {
                throw new NfTablesException($"NFT_MSG_GETRULE dump refused: {Errno.Describe(r.Errno)}", r.Errno);
            }
        }
    }

    private int Receive(string what)
    {
        int n = Netlink.Receive(_fd, _buffer);
        if (n < 0)
        {
            throw new NfTablesException(-n == EAGAIN
                ? $"recv({what}) timed out after 5 s"
                : $"recv({what}) failed: {Errno.Describe(-n)}", -n);
        }
        if (n == 0)
        {
            throw new NfTablesException($"recv({what}): the socket was closed", 0);
        }
        Tap?.Invoke(_buffer.AsMemory(0, n));
        return n;
    }

    /// <summary>Sends an nfgenmsg-only request (family AF_UNSPEC: every family) and returns its sequence number.</summary>
    private uint Send(byte msg, ushort flags)
    {
        const int size = InetDiag.NLMSG_HDRLEN + NfTables.NFGENMSG_SIZE;
        byte* buf = stackalloc byte[size];
        new Span<byte>(buf, size).Clear();
        nlmsghdr* h = (nlmsghdr*)buf;
        h->nlmsg_len = size;
        h->nlmsg_type = NfTables.Type(msg);
        h->nlmsg_flags = flags;
        h->nlmsg_seq = ++_seq;
        buf[InetDiag.NLMSG_HDRLEN] = NfTables.NFPROTO_UNSPEC; // nfgen_family
        buf[InetDiag.NLMSG_HDRLEN + 1] = NfTables.NFNETLINK_V0; // version; res_id stays 0
        if (Netlink.SendToKernel(_fd, buf, size) is int e and not 0)
        {
            throw new NfTablesException($"sendto(NETLINK_NETFILTER) failed: {Errno.Describe(e)}", e);
        }
        return _seq;
    }

    public void Dispose() => close(_fd);
}
