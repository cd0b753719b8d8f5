namespace NetTop.Model.Counters;

/// <summary>
/// The namespace's SNMP/netstat counters at one instant, named the way nstat names them minus the "TcpExt"
/// prefix for TcpExt fields (ListenOverflows) and with the section prefix for the others (TcpOutRsts, IpExtInOctets).
/// </summary>
public sealed record CountersSample(TimeSpan At, IReadOnlyDictionary<string, ulong> Values, int Malformed)
{
    /// <summary>net.ipv4.tcp_syn_linear_timeouts (6.5+); null where the sysctl does not exist (all SYN timeouts double).</summary>
    public int? SynLinearTimeouts { get; init; }
}

/// <summary>The counters the header shows and the snapshot carries, in display order.</summary>
public static class WatchedCounters
{
    public static readonly IReadOnlyList<string> Names =
    [
        "ListenOverflows", "ListenDrops", "TCPReqQFullDrop", "TCPReqQFullDoCookies", "SyncookiesSent",
        "TcpOutRsts", "TcpEstabResets", "TcpAttemptFails", "TCPSynRetrans",
        "TCPAbortOnData", "TCPAbortOnClose", "TCPAbortOnMemory", "TCPAbortOnTimeout", "TCPAbortOnLinger",
        "TCPAbortFailed",
    ];

    /// <summary>Short labels for the header line.</summary>
    public static string Short(string name) => name switch
    {
        "ListenOverflows" => "ovfl",
        "ListenDrops" => "ldrop",
        "TCPReqQFullDrop" => "reqQdrop",
        "TCPReqQFullDoCookies" => "reqQcookie",
        "SyncookiesSent" => "cookies",
        "TcpOutRsts" => "outRST",
        "TcpEstabResets" => "estabRST",
        "TcpAttemptFails" => "connFail",
        "TCPSynRetrans" => "synRetx",
        "TCPAbortOnData" => "abortData",
        "TCPAbortOnClose" => "abortClose",
        "TCPAbortOnMemory" => "abortMem",
        "TCPAbortOnTimeout" => "abortTmo",
        "TCPAbortOnLinger" => "abortLinger",
        "TCPAbortFailed" => "abortFail",
        _ => name,
    };
}
