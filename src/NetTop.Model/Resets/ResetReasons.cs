using System.Collections.Frozen;

namespace NetTop.Model.Resets;

/// <summary>
/// enum sk_rst_reason (include/net/rstreason.h, kernel ≥ 6.10) in plain words. The numbers are read at run time
/// from the tracepoint's print fmt (they may change between kernels); <see cref="Fallback618"/> is the 6.18
/// table for when that fails.
/// </summary>
public static class ResetReasons
{
    public const string Unknown = "-";

    /// <summary>Reason numbers on 6.18 (tcp_send_reset's print fmt).</summary>
    public static readonly IReadOnlyList<string> Fallback618 =
    [
        "NOT_SPECIFIED", "NO_SOCKET", "TCP_INVALID_ACK_SEQUENCE", "TCP_RFC7323_PAWS", "TCP_TOO_OLD_ACK",
        "TCP_ACK_UNSENT_DATA", "TCP_FLAGS", "TCP_OLD_ACK", "TCP_ABORT_ON_DATA", "TCP_TIMEWAIT_SOCKET", "INVALID_SYN",
        "TCP_ABORT_ON_CLOSE", "TCP_ABORT_ON_LINGER", "TCP_ABORT_ON_MEMORY", "TCP_STATE", "TCP_KEEPALIVE_TIMEOUT",
        "TCP_DISCONNECT_WITH_DATA", "MPTCP_RST_EUNSPEC", "MPTCP_RST_EMPTCP", "MPTCP_RST_ERESOURCE",
        "MPTCP_RST_EPROHIBIT", "MPTCP_RST_EWQ2BIG", "MPTCP_RST_EBADPERF", "MPTCP_RST_EMIDDLEBOX", "ERROR",
    ];

    private static readonly FrozenDictionary<string, string> s_text = new Dictionary<string, string>
    {
        ["NOT_SPECIFIED"] = "the kernel gave no reason for this reset",
        ["NO_SOCKET"] = "a segment arrived for a port or connection that does not exist here (nothing listening, or the connection is gone)",
        ["TCP_INVALID_ACK_SEQUENCE"] = "a segment acknowledged data that was never sent (stale or spoofed peer)",
        ["TCP_RFC7323_PAWS"] = "PAWS: the segment's timestamp was older than the connection's (old duplicate or NAT mixing hosts)",
        ["TCP_TOO_OLD_ACK"] = "a segment acknowledged data so old that it cannot belong to this connection",
        ["TCP_ACK_UNSENT_DATA"] = "the peer acknowledged data this host has not sent yet",
        ["TCP_FLAGS"] = "a segment arrived with flags that make no sense in the connection's state",
        ["TCP_OLD_ACK"] = "an ACK for an old, already acknowledged sequence arrived in a state that cannot take it",
        ["TCP_ABORT_ON_DATA"] = "data arrived after the application closed its socket, so the host aborted",
        ["TCP_TIMEWAIT_SOCKET"] = "a segment hit a connection in TIME_WAIT that could not be reused",
        ["INVALID_SYN"] = "an unexpected SYN arrived on an existing connection",
        ["TCP_ABORT_ON_CLOSE"] = "the application closed the socket with unread data in its receive queue",
        ["TCP_ABORT_ON_LINGER"] = "the connection was aborted in FIN_WAIT2 because tcp_linger2 is negative",
        ["TCP_ABORT_ON_MEMORY"] = "the host ran out of TCP memory or orphan sockets and killed the connection",
        ["TCP_STATE"] = "the application aborted the connection (close with SO_LINGER {1, 0}, or disconnect)",
        ["TCP_KEEPALIVE_TIMEOUT"] = "keepalive probes went unanswered, so the connection was dropped",
        ["TCP_DISCONNECT_WITH_DATA"] = "the application disconnected (connect AF_UNSPEC / shutdown) with data still queued",
        ["MPTCP_RST_EUNSPEC"] = "MPTCP: unspecified error",
        ["MPTCP_RST_EMPTCP"] = "MPTCP: protocol error",
        ["MPTCP_RST_ERESOURCE"] = "MPTCP: out of resources for a subflow",
        ["MPTCP_RST_EPROHIBIT"] = "MPTCP: administratively prohibited",
        ["MPTCP_RST_EWQ2BIG"] = "MPTCP: too much data waiting for reassembly",
        ["MPTCP_RST_EBADPERF"] = "MPTCP: subflow performs too badly",
        ["MPTCP_RST_EMIDDLEBOX"] = "MPTCP: a middlebox interfered",
        ["ERROR"] = "an internal error in the kernel's TCP code",
        [Unknown] = "the kernel did not say why (no reason field on this kernel)",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>One line for a reason name; a generic line for names this NetTop does not know.</summary>
    public static string Explain(string reason) =>
        s_text.TryGetValue(reason, out string? text) ? text : $"kernel reason {reason}";

    /// <summary>The name of reason <paramref name="code"/> in <paramref name="table"/> (or the 6.18 table); "REASON_n" if out of range.</summary>
    public static string Name(uint code, IReadOnlyList<string>? table = null)
    {
        IReadOnlyList<string> t = table ?? Fallback618;
        return code < (uint)t.Count && t[(int)code].Length > 0 ? t[(int)code] : $"REASON_{code}";
    }
}
