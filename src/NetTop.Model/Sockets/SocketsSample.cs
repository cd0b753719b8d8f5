using NetTop.Model.Net;

namespace NetTop.Model.Sockets;

/// <summary>Where a sockets reading came from.</summary>
public enum SocketsOrigin
{
    /// <summary>NETLINK_SOCK_DIAG inet_diag dump: queues, max backlog, tcp_info, skmeminfo.</summary>
    SockDiag,
    /// <summary>/proc/thread-self/net/tcp{,6}: no max backlog, no tcp_info, no drops.</summary>
    ProcNet,
}

/// <summary>One sockets source reading: every TCP socket of the namespace at one instant.</summary>
public sealed record SocketsSample(
    TimeSpan At,
    SocketsOrigin Origin,
    SocketTable Sockets,
    int Malformed,
    bool Inconsistent,
    string? FallbackReason)
{
    public static SocketsSample Empty(TimeSpan at) => new(at, SocketsOrigin.SockDiag, SocketTable.Empty, 0, false, null);
}

/// <summary>Counts a parser keeps while it decodes: what it skipped and why.</summary>
public struct ParseStats
{
    public int Messages;
    public int Sockets;
    /// <summary>Messages skipped because they were shorter than their header says or than the struct they carry.</summary>
    public int Malformed;
    public int UnknownAttributes;
    /// <summary>NLM_F_DUMP_INTR: the table changed during the dump.</summary>
    public bool Interrupted;
}
