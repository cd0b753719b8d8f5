using System.Buffers.Binary;
using System.Globalization;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Sockets;

/// <summary>
/// Parses /proc/net/tcp and tcp6 (the fallback when sock_diag is missing). Pure. What this format cannot say:
/// a listener's max backlog (tx_queue is 0 for listeners, which is why `ss` shows Send-Q 0 in this fallback),
/// tcp_info, sk_drops and cookies.
/// Line: <c>sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...</c>; addresses are
/// 32-bit words in host byte order, ports hex in host order, tm->when in 1/100 s (USER_HZ).
/// </summary>
internal static class ProcNetTcpParser
{
    public static void Parse(ReadOnlySpan<char> text, IpFamily family, SocketTableBuilder into, ref ParseStats stats)
    {
        bool header = true;
        foreach (ReadOnlySpan<char> raw in text.EnumerateLines())
        {
            ReadOnlySpan<char> line = raw.Trim();
            if (line.IsEmpty)
            {
                continue;
            }
            if (header)
            {
                header = false;
                if (line.StartsWith("sl"))
                {
                    continue;
                }
            }
            stats.Messages++;
            if (TryParseLine(line, family, ref into.Add()))
            {
                stats.Sockets++;
            }
            else
            {
                into.RemoveLast();
                stats.Malformed++;
            }
        }
    }

    private static bool TryParseLine(ReadOnlySpan<char> line, IpFamily family, ref TcpSocket socket)
    {
        Span<Range> f = stackalloc Range[12];
        int n = line.SplitAny(f, " \t", StringSplitOptions.RemoveEmptyEntries);
        if (n < 10)
        {
            return false;
        }
        if (!TryEndpoint(line[f[1]], family, out NetEndpoint local) ||
            !TryEndpoint(line[f[2]], family, out NetEndpoint remote) ||
            !byte.TryParse(line[f[3]], NumberStyles.HexNumber, null, out byte st) ||
            !TryPair(line[f[4]], out uint tx, out uint rx) ||
            !TryPair(line[f[5]], out uint tr, out uint when) ||
            !uint.TryParse(line[f[6]], NumberStyles.HexNumber, null, out uint retrnsmt) ||
            !uint.TryParse(line[f[7]], NumberStyles.None, null, out uint uid) ||
            !ulong.TryParse(line[f[9]], NumberStyles.None, null, out ulong inode))
        {
            return false;
        }
        TcpState state = (TcpState)st;
        socket.Family = family;
        socket.State = state;
        socket.Local = local;
        socket.Remote = remote;
        socket.Timer = (TcpTimer)Math.Min(tr, 4);
        socket.ExpiresMs = when * 10;
        socket.Retrans = (byte)Math.Min(retrnsmt, 255);
        socket.Uid = uid;
        socket.Inode = inode;
        // Listeners: rx_queue is the accept queue; the max backlog is not in this file.
        socket.RQueue = rx;
        socket.WQueue = state == TcpState.Listen ? 0 : tx;
        socket.BacklogKnown = false;
        socket.IsRequest = state == TcpState.SynRecv && inode == 0;
        return true;
    }

    private static bool TryPair(ReadOnlySpan<char> s, out uint a, out uint b)
    {
        a = b = 0;
        int c = s.IndexOf(':');
        return c > 0 &&
               uint.TryParse(s[..c], NumberStyles.HexNumber, null, out a) &&
               uint.TryParse(s[(c + 1)..], NumberStyles.HexNumber, null, out b);
    }

    private static bool TryEndpoint(ReadOnlySpan<char> s, IpFamily family, out NetEndpoint ep)
    {
        ep = default;
        int c = s.IndexOf(':');
        int hexLen = family == IpFamily.V4 ? 8 : 32;
        if (c != hexLen || !ushort.TryParse(s[(c + 1)..], NumberStyles.HexNumber, null, out ushort port))
        {
            return false;
        }
        Span<byte> addr = stackalloc byte[16];
        for (int w = 0; w < hexLen / 8; w++)
        {
            if (!uint.TryParse(s.Slice(w * 8, 8), NumberStyles.HexNumber, null, out uint word))
            {
                return false;
            }
            // Each word was printed as a host-order (little-endian here) integer of the network-order bytes.
            BinaryPrimitives.WriteUInt32LittleEndian(addr[(w * 4)..], word);
        }
        ep = family == IpFamily.V4 ? NetEndpoint.FromV4Bytes(addr[..4], port) : NetEndpoint.FromV6Bytes(addr, port);
        return true;
    }
}
