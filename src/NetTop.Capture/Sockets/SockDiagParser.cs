using System.Buffers.Binary;
using System.Runtime.InteropServices;
using NetTop.Capture.Interop;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Sockets;

/// <summary>What one buffer of netlink messages ended with.</summary>
internal enum DumpProgress
{
    /// <summary>More messages follow in the next recv.</summary>
    More,
    /// <summary>NLMSG_DONE seen.</summary>
    Done,
    /// <summary>NLMSG_ERROR seen; the errno is in <see cref="SockDiagParser.Result.Errno"/>.</summary>
    Error,
}

/// <summary>
/// Decodes NETLINK_SOCK_DIAG inet_diag replies into <see cref="TcpSocket"/> rows. Pure: no fds, no clock,
/// no static state; the same code parses a live recv buffer, a recorded fixture and a replay.
/// Malformed messages are skipped and counted; unknown attributes are skipped; a short tcp_info is zero-extended.
/// </summary>
internal static class SockDiagParser
{
    private const int MsgSize = 72;    // sizeof(struct inet_diag_msg)
    private const int RtaHdr = 4;

    internal struct Result
    {
        public DumpProgress Progress;
        public int Errno;
    }

    /// <summary>Parses every netlink message in <paramref name="buffer"/> (one recv's worth).</summary>
    public static Result Parse(ReadOnlySpan<byte> buffer, SocketTableBuilder into, ref ParseStats stats, AsciiPool pool)
    {
        Result result = default;
        int off = 0;
        while (buffer.Length - off >= InetDiag.NLMSG_HDRLEN)
        {
            ReadOnlySpan<byte> rest = buffer[off..];
            uint len = MemoryMarshal.Read<uint>(rest);
            ushort type = MemoryMarshal.Read<ushort>(rest[4..]);
            ushort flags = MemoryMarshal.Read<ushort>(rest[6..]);
            if (len < InetDiag.NLMSG_HDRLEN || len > rest.Length)
            {
                // A header that lies about its length: nothing after it can be framed.
                stats.Malformed++;
                return result;
            }
            stats.Messages++;
            if ((flags & InetDiag.NLM_F_DUMP_INTR) != 0)
            {
                stats.Interrupted = true;
            }
            ReadOnlySpan<byte> payload = rest[InetDiag.NLMSG_HDRLEN..(int)len];
            switch (type)
            {
                case InetDiag.NLMSG_DONE:
                    result.Progress = DumpProgress.Done;
                    return result;
                case InetDiag.NLMSG_ERROR:
                    result.Progress = DumpProgress.Error;
                    result.Errno = payload.Length >= 4 ? -MemoryMarshal.Read<int>(payload) : 0;
                    return result;
                case InetDiag.SOCK_DIAG_BY_FAMILY:
                    if (TryParseSocket(payload, ref into.Add(), pool, ref stats))
                    {
                        stats.Sockets++;
                    }
                    else
                    {
                        into.RemoveLast();
                        stats.Malformed++;
                    }
                    break;
                default:
                    break; // NLMSG_NOOP and anything else: skip
            }
            off += Align4((int)len);
        }
        if (off < buffer.Length)
        {
            stats.Malformed++; // trailing bytes shorter than a header
        }
        return result;
    }

    /// <summary>Decodes one inet_diag_msg and its attributes into a zeroed row; false when the message is too
    /// short or not TCP/IP.</summary>
    public static bool TryParseSocket(ReadOnlySpan<byte> p, ref TcpSocket s, AsciiPool pool, ref ParseStats stats)
    {
        if (p.Length < MsgSize)
        {
            return false;
        }
        byte family = p[0];
        if (family is not (InetDiag.AF_INET or InetDiag.AF_INET6))
        {
            return false;
        }
        s.Family = family == InetDiag.AF_INET ? IpFamily.V4 : IpFamily.V6;
        s.State = (TcpState)p[1];
        s.Timer = (TcpTimer)p[2];
        s.Retrans = p[3];
        s.ExpiresMs = MemoryMarshal.Read<uint>(p[52..]);
        s.RQueue = MemoryMarshal.Read<uint>(p[56..]);
        s.WQueue = MemoryMarshal.Read<uint>(p[60..]);
        s.Uid = MemoryMarshal.Read<uint>(p[64..]);
        s.Inode = MemoryMarshal.Read<uint>(p[68..]);
        s.Cookie = MemoryMarshal.Read<ulong>(p[44..]);
        s.BacklogKnown = true;
        ushort sport = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        ushort dport = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        if (s.Family == IpFamily.V4)
        {
            s.Local = NetEndpoint.FromV4Bytes(p.Slice(8, 4), sport);
            s.Remote = NetEndpoint.FromV4Bytes(p.Slice(24, 4), dport);
        }
        else
        {
            s.Local = NetEndpoint.FromV6Bytes(p.Slice(8, 16), sport);
            s.Remote = NetEndpoint.FromV6Bytes(p.Slice(24, 16), dport);
        }
        // Request sockets (TCP_NEW_SYN_RECV) are reported as SYN_RECV with no inode and no uid.
        s.IsRequest = s.State == TcpState.SynRecv && s.Inode == 0;

        int off = Align4(MsgSize);
        while (p.Length - off >= RtaHdr)
        {
            ushort alen = MemoryMarshal.Read<ushort>(p[off..]);
            ushort atype = MemoryMarshal.Read<ushort>(p[(off + 2)..]);
            if (alen < RtaHdr || alen > p.Length - off)
            {
                stats.Malformed++;
                break; // keep what the header gave; the attributes cannot be framed further
            }
            ReadOnlySpan<byte> a = p.Slice(off + RtaHdr, alen - RtaHdr);
            switch (atype & 0x3FFF) // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
            {
                case InetDiag.INET_DIAG_INFO:
                    DecodeTcpInfo(a, ref s.Info);
                    s.HasTcpInfo = true;
                    break;
                case InetDiag.INET_DIAG_SKMEMINFO:
                    DecodeSkMemInfo(a, ref s.SkMem);
                    s.HasSkMem = true;
                    break;
                case InetDiag.INET_DIAG_CONG:
                    int nul = a.IndexOf((byte)0);
                    s.Congestion = pool.Get(nul >= 0 ? a[..nul] : a);
                    break;
                case InetDiag.INET_DIAG_MEMINFO or InetDiag.INET_DIAG_SHUTDOWN or InetDiag.INET_DIAG_MARK
                    or InetDiag.INET_DIAG_CGROUP_ID or InetDiag.INET_DIAG_SOCKOPT or InetDiag.INET_DIAG_TOS
                    or InetDiag.INET_DIAG_TCLASS or InetDiag.INET_DIAG_VEGASINFO:
                    break;
                default:
                    stats.UnknownAttributes++;
                    break;
            }
            off += Align4(alen);
        }
        return true;
    }

    /// <summary>Zero-extends what the kernel sent to the 6.18 layout, then reads the fields NetTop uses.</summary>
    public static void DecodeTcpInfo(ReadOnlySpan<byte> attr, ref TcpInfo t)
    {
        Span<byte> b = stackalloc byte[InetDiag.TCP_INFO_SIZE_6_18];
        b.Clear();
        attr[..Math.Min(attr.Length, b.Length)].CopyTo(b);
        t.Length = attr.Length;
        t.State = b[tcp_info.tcpi_state];
        t.CaState = b[tcp_info.tcpi_ca_state];
        t.Retransmits = b[tcp_info.tcpi_retransmits];
        t.Probes = b[tcp_info.tcpi_probes];
        t.Backoff = b[tcp_info.tcpi_backoff];
        t.Options = b[tcp_info.tcpi_options];
        t.SndWscale = (byte)(b[tcp_info.tcpi_wscale] & 0x0F);
        t.RcvWscale = (byte)(b[tcp_info.tcpi_wscale] >> 4);
        t.RtoUs = U32(b, tcp_info.tcpi_rto);
        t.AtoUs = U32(b, tcp_info.tcpi_ato);
        t.SndMss = U32(b, tcp_info.tcpi_snd_mss);
        t.RcvMss = U32(b, tcp_info.tcpi_rcv_mss);
        t.Unacked = U32(b, tcp_info.tcpi_unacked);
        t.Sacked = U32(b, tcp_info.tcpi_sacked);
        t.Lost = U32(b, tcp_info.tcpi_lost);
        t.Retrans = U32(b, tcp_info.tcpi_retrans);
        t.LastDataSentMs = U32(b, tcp_info.tcpi_last_data_sent);
        t.LastAckSentMs = U32(b, tcp_info.tcpi_last_ack_sent);
        t.LastDataRecvMs = U32(b, tcp_info.tcpi_last_data_recv);
        t.LastAckRecvMs = U32(b, tcp_info.tcpi_last_ack_recv);
        t.Pmtu = U32(b, tcp_info.tcpi_pmtu);
        t.RcvSsthresh = U32(b, tcp_info.tcpi_rcv_ssthresh);
        t.RttUs = U32(b, tcp_info.tcpi_rtt);
        t.RttVarUs = U32(b, tcp_info.tcpi_rttvar);
        t.SndSsthresh = U32(b, tcp_info.tcpi_snd_ssthresh);
        t.SndCwnd = U32(b, tcp_info.tcpi_snd_cwnd);
        t.AdvMss = U32(b, tcp_info.tcpi_advmss);
        t.Reordering = U32(b, tcp_info.tcpi_reordering);
        t.RcvRttUs = U32(b, tcp_info.tcpi_rcv_rtt);
        t.RcvSpace = U32(b, tcp_info.tcpi_rcv_space);
        t.TotalRetrans = U32(b, tcp_info.tcpi_total_retrans);
        t.PacingRate = U64(b, tcp_info.tcpi_pacing_rate);
        t.MaxPacingRate = U64(b, tcp_info.tcpi_max_pacing_rate);
        t.BytesAcked = U64(b, tcp_info.tcpi_bytes_acked);
        t.BytesReceived = U64(b, tcp_info.tcpi_bytes_received);
        t.SegsOut = U32(b, tcp_info.tcpi_segs_out);
        t.SegsIn = U32(b, tcp_info.tcpi_segs_in);
        t.NotsentBytes = U32(b, tcp_info.tcpi_notsent_bytes);
        t.MinRttUs = U32(b, tcp_info.tcpi_min_rtt);
        t.DataSegsIn = U32(b, tcp_info.tcpi_data_segs_in);
        t.DataSegsOut = U32(b, tcp_info.tcpi_data_segs_out);
        t.DeliveryRate = U64(b, tcp_info.tcpi_delivery_rate);
        t.BusyTimeUs = U64(b, tcp_info.tcpi_busy_time);
        t.RwndLimitedUs = U64(b, tcp_info.tcpi_rwnd_limited);
        t.SndbufLimitedUs = U64(b, tcp_info.tcpi_sndbuf_limited);
        t.Delivered = U32(b, tcp_info.tcpi_delivered);
        t.DeliveredCe = U32(b, tcp_info.tcpi_delivered_ce);
        t.BytesSent = U64(b, tcp_info.tcpi_bytes_sent);
        t.BytesRetrans = U64(b, tcp_info.tcpi_bytes_retrans);
        t.DsackDups = U32(b, tcp_info.tcpi_dsack_dups);
        t.ReordSeen = U32(b, tcp_info.tcpi_reord_seen);
        t.RcvOooPack = U32(b, tcp_info.tcpi_rcv_ooopack);
        t.SndWnd = U32(b, tcp_info.tcpi_snd_wnd);
        t.RcvWnd = U32(b, tcp_info.tcpi_rcv_wnd);
        t.Rehash = U32(b, tcp_info.tcpi_rehash);
        t.TotalRto = MemoryMarshal.Read<ushort>(b[tcp_info.tcpi_total_rto..]);
        t.TotalRtoRecoveries = MemoryMarshal.Read<ushort>(b[tcp_info.tcpi_total_rto_recoveries..]);
        t.TotalRtoTimeMs = U32(b, tcp_info.tcpi_total_rto_time);
    }

    /// <summary>SK_MEMINFO_VARS u32s; a shorter array leaves the rest zero.</summary>
    public static void DecodeSkMemInfo(ReadOnlySpan<byte> a, ref SkMemInfo m)
    {
        Span<uint> v = stackalloc uint[InetDiag.SK_MEMINFO_VARS];
        v.Clear();
        int n = Math.Min(a.Length / 4, v.Length);
        for (int i = 0; i < n; i++)
        {
            v[i] = MemoryMarshal.Read<uint>(a[(i * 4)..]);
        }
        m.RmemAlloc = v[0];
        m.RcvBuf = v[1];
        m.WmemAlloc = v[2];
        m.SndBuf = v[3];
        m.FwdAlloc = v[4];
        m.WmemQueued = v[5];
        m.Optmem = v[6];
        m.Backlog = v[7];
        m.Drops = v[InetDiag.SK_MEMINFO_DROPS];
    }

    private static uint U32(ReadOnlySpan<byte> b, int off) => MemoryMarshal.Read<uint>(b[off..]);

    private static ulong U64(ReadOnlySpan<byte> b, int off) => MemoryMarshal.Read<ulong>(b[off..]);

    private static int Align4(int n) => (n + 3) & ~3;
}
