namespace NetTop.Model.Snapshot;

/// <summary>
/// The kernel keeps no start time for a handshake, so the age is rebuilt from the retransmit schedule:
/// the timeouts already spent plus the part of the current one that has passed (current − expires).
/// </summary>
public static class HalfOpenAge
{
    private const long InitialTimeoutMs = 1000;   // TCP_TIMEOUT_INIT
    private const long MaxTimeoutMs = 120_000;    // TCP_RTO_MAX (tcp_rto_max_ms default)

    /// <summary>
    /// SYN-ACK retransmits of a request socket: timeout n is min(1 s &lt;&lt; n, 120 s) (reqsk_timer_handler).
    /// </summary>
    public static long SynRecvMs(int retransmits, uint expiresMs)
    {
        long spent = 0;
        for (int i = 0; i < retransmits; i++)
        {
            spent += SynAckTimeout(i);
        }
        return spent + Math.Max(0, SynAckTimeout(retransmits) - expiresMs);
    }

    /// <summary>
    /// SYN retransmits of a connect(): since 6.5 the first tcp_syn_linear_timeouts retransmits keep the initial
    /// 1 s timeout (backoff stays 0), later ones double. <paramref name="currentTimeoutMs"/> is tcp_info's rto
    /// when known (the current timeout exactly).
    /// </summary>
    public static long SynSentMs(int retransmits, uint expiresMs, int linearTimeouts, long? currentTimeoutMs)
    {
        long spent = 0;
        for (int k = 0; k < retransmits; k++)
        {
            spent += SynTimeout(k, linearTimeouts);
        }
        long current = currentTimeoutMs is > 0 ? currentTimeoutMs.Value : SynTimeout(retransmits, linearTimeouts);
        return spent + Math.Max(0, current - expiresMs);
    }

    private static long SynAckTimeout(int n) => n >= 7 ? MaxTimeoutMs : Math.Min(InitialTimeoutMs << n, MaxTimeoutMs);

    /// <summary>The timeout armed after retransmit k (k = 0: the first SYN).</summary>
    private static long SynTimeout(int k, int linear)
    {
        if (k <= linear)
        {
            return InitialTimeoutMs;
        }
        int shift = k - linear;
        return shift >= 7 ? MaxTimeoutMs : Math.Min(InitialTimeoutMs << shift, MaxTimeoutMs);
    }
}
