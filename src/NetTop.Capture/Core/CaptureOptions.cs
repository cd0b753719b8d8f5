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
}
