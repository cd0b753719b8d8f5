using NetTop.Capture.Sockets;

namespace NetTop.Capture;

/// <summary>What the capture core watches and how often.</summary>
public sealed record CaptureOptions
{
    /// <summary>--netns NAME|PID|PATH; null = NetTop's own namespace.</summary>
    public string? Netns { get; init; }
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);
    public SocketsMode Sockets { get; init; } = SocketsMode.Auto;
    /// <summary>Ask sock_diag for tcp_info, congestion control and skmeminfo (drops).</summary>
    public bool TcpInfo { get; init; } = true;
    /// <summary>How long a vanished listener stays on screen, dimmed.</summary>
    public TimeSpan Tombstone { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Map socket inodes to processes by scanning /proc/*/fd (off the refresh path).</summary>
    public bool ProcessOwners { get; init; } = true;
    /// <summary>Read iptables/ip6tables/nft rule counters every tick.</summary>
    public bool Firewall { get; init; } = true;
    /// <summary>Trace TCP resets through the tcp:tcp_send_reset / tcp_receive_reset tracepoints.</summary>
    public bool Resets { get; init; } = true;
    /// <summary>Capture SYN/FIN/RST and ICMP errors with AF_PACKET (reset attribution, wire classification).</summary>
    public bool Packets { get; init; } = true;
}
