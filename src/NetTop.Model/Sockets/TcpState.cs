namespace NetTop.Model.Sockets;

/// <summary>TCP states as numbered by the kernel (include/net/tcp_states.h).</summary>
public enum TcpState : byte
{
    Unknown = 0,
    Established = 1,
    SynSent = 2,
    SynRecv = 3,
    FinWait1 = 4,
    FinWait2 = 5,
    TimeWait = 6,
    Close = 7,
    CloseWait = 8,
    LastAck = 9,
    Listen = 10,
    Closing = 11,
    NewSynRecv = 12,
    BoundInactive = 13,
}

public static class TcpStateNames
{
    private static readonly string[] s_names =
    [
        "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
        "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE",
    ];

    public static string Name(this TcpState state) =>
        (int)state < s_names.Length ? s_names[(int)state] : $"STATE_{(int)state}";
}

/// <summary>idiag_timer / the "tr" column of /proc/net/tcp.</summary>
public enum TcpTimer : byte
{
    None = 0,
    Retransmit = 1,
    Keepalive = 2,
    TimeWait = 3,
    ZeroWindowProbe = 4,
}
