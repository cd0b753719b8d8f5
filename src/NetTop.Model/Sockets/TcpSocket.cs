using NetTop.Model.Net;

namespace NetTop.Model.Sockets;

/// <summary>
/// The parts of the kernel's struct tcp_info that NetTop shows. <see cref="Length"/> is how many bytes the
/// kernel sent: fields past it were zero-extended (older kernels send a shorter struct).
/// </summary>
public struct TcpInfo
{
    public int Length;
    public byte State;
    public byte CaState;
    public byte Retransmits;
    public byte Probes;
    public byte Backoff;
    public byte Options;
    public byte SndWscale;
    public byte RcvWscale;
    public uint RtoUs;
    public uint AtoUs;
    public uint SndMss;
    public uint RcvMss;
    public uint Unacked;
    public uint Sacked;
    public uint Lost;
    public uint Retrans;
    public uint LastDataSentMs;
    public uint LastAckSentMs;
    public uint LastDataRecvMs;
    public uint LastAckRecvMs;
    public uint Pmtu;
    public uint RcvSsthresh;
    public uint RttUs;
    public uint RttVarUs;
    public uint SndSsthresh;
    public uint SndCwnd;
    public uint AdvMss;
    public uint Reordering;
    public uint RcvRttUs;
    public uint RcvSpace;
    public uint TotalRetrans;
    public ulong PacingRate;
    public ulong MaxPacingRate;
    public ulong BytesAcked;
    public ulong BytesReceived;
    public uint SegsOut;
    public uint SegsIn;
    public uint NotsentBytes;
    public uint MinRttUs;
    public uint DataSegsIn;
    public uint DataSegsOut;
    public ulong DeliveryRate;
    public ulong BusyTimeUs;
    public ulong RwndLimitedUs;
    public ulong SndbufLimitedUs;
    public uint Delivered;
    public uint DeliveredCe;
    public ulong BytesSent;
    public ulong BytesRetrans;
    public uint DsackDups;
    public uint ReordSeen;
    public uint RcvOooPack;
    public uint SndWnd;
    public uint RcvWnd;
    public uint Rehash;
    public ushort TotalRto;
    public ushort TotalRtoRecoveries;
    public uint TotalRtoTimeMs;
}

/// <summary>SK_MEMINFO_* (include/uapi/linux/sock_diag.h).</summary>
public struct SkMemInfo
{
    public uint RmemAlloc;
    public uint RcvBuf;
    public uint WmemAlloc;
    public uint SndBuf;
    public uint FwdAlloc;
    public uint WmemQueued;
    public uint Optmem;
    public uint Backlog;
    /// <summary>sk_drops: for a listener, SYNs and final ACKs dropped on a full accept queue (and other discards).</summary>
    public uint Drops;
}

/// <summary>
/// One TCP socket as read from the kernel. A struct: a refresh parses every socket in place into one
/// <see cref="SocketTable"/> array, so 100k sockets are one allocation, not 100k objects for the GC to trace
/// and promote while the dump is running.
/// For a LISTEN socket <see cref="RQueue"/> is the current accept queue and <see cref="WQueue"/> the max backlog
/// (sock_diag only; the /proc fallback has no max backlog and leaves <see cref="BacklogKnown"/> false).
/// </summary>
public struct TcpSocket
{
    public IpFamily Family;
    public TcpState State;
    public TcpTimer Timer;
    /// <summary>idiag_retrans: for SYN_SENT SYN retransmits, for request sockets SYN-ACK retransmits.</summary>
    public byte Retrans;
    public NetEndpoint Local;
    public NetEndpoint Remote;
    public uint ExpiresMs;
    public uint RQueue;
    public uint WQueue;
    public uint Uid;
    public ulong Inode;
    /// <summary>The kernel's socket cookie (inet_diag); 0 from the /proc fallback.</summary>
    public ulong Cookie;
    /// <summary>A request socket (SYN_RECV before the handshake completes): no inode, no uid, no tcp_info.</summary>
    public bool IsRequest;
    public bool BacklogKnown;
    public bool HasTcpInfo;
    public bool HasSkMem;
    public TcpInfo Info;
    public SkMemInfo SkMem;
    /// <summary>Congestion control ("bbr", "cubic"), interned.</summary>
    public string? Congestion;

    /// <summary>A key stable for the socket's life: the cookie, or the 4-tuple hash where there is none.</summary>
    public readonly ulong Key => Cookie != 0 ? Cookie : (ulong)(uint)HashCode.Combine(Local, Remote, State == TcpState.Listen) | (1UL << 63);
}
