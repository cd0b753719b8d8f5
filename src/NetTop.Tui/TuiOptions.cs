using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;

namespace NetTop.Tui;

/// <summary>What the composition root tells the TUI. Validated by the caller; <see cref="TuiApp.Run"/> only reads it.</summary>
public sealed record TuiOptions
{
    /// <summary>How often the UI reads the latest snapshot (the Hub's tick; the UI never waits on it).</summary>
    public required TimeSpan RefreshInterval { get; init; }

    /// <summary>Path of a theme file (see themes/default.json); loaded before the terminal is taken over.</summary>
    public required string ThemePath { get; init; }

    /// <summary>The header's "refresh …" text; null formats <see cref="RefreshInterval"/> ("1.0s").</summary>
    public string? RefreshLabel { get; init; }

    /// <summary>How often the UI polls until the first snapshot arrives, so the screen fills without waiting a tick.</summary>
    public TimeSpan FirstSnapshotPoll { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The most main-loop iterations per second once <see cref="IdleAfter"/> passed without a key or mouse event
    /// (Terminal.Gui runs 25 while input comes in). With NetTop's polling input a key, a timer falling due, an Invoke
    /// or a resize wakes the loop at once, so this is only how often it looks around with nothing to do; with the
    /// stock input (the status line says so) the first key after a quiet spell waits up to one idle period. See
    /// <see cref="IdlePacer"/>.
    /// </summary>
    public ushort IdleIterationsPerSecond { get; init; } = 1;

    /// <summary>How long the main loop keeps its full rate after the last input.</summary>
    public TimeSpan IdleAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Start frozen (the `p` key toggles it).</summary>
    public bool StartPaused { get; init; }

    /// <summary>
    /// Saves a snapshot (the `s` key): gets the snapshot on the screen and the screen's text, writes the files and
    /// returns a line to show (the paths). Throws IOException/UnauthorizedAccessException on failure, which the
    /// screen shows; null disables the key.
    /// </summary>
    public Func<HostSnapshot, string, string>? SaveSnapshot { get; init; }

    /// <summary>
    /// Starts tracing a half-open flow through the firewall (the `t` key); the screen shows the trace until Esc and
    /// then disposes it (which removes the kernel rules). Throw <see cref="FlowTraceStartException"/> when it
    /// cannot start (the message and fix go to the status line). Null disables the key.
    /// </summary>
    public Func<HalfOpenRow, Task<IFlowTraceView>>? TraceFlow { get; init; }

    /// <summary>
    /// The control packets the capture kept for one flow (local, remote as in the socket table): SYN, SYN-ACK, FIN,
    /// RST and ICMP errors, oldest first, both directions. Shown as the connection detail's timeline. Null when the
    /// packet capture is off.
    /// </summary>
    public Func<NetEndpoint, NetEndpoint, IReadOnlyList<PacketEvent>>? FlowPackets { get; init; }

    /// <summary>
    /// The `w` key: writes the flow's captured packets (local, remote) to a pcap file (atomic, mode 0600) and returns
    /// a line to show (the path and the packet count). Throws IOException/UnauthorizedAccessException on failure,
    /// which the screen shows. Null disables the key.
    /// </summary>
    public Func<NetEndpoint, NetEndpoint, string>? WritePcap { get; init; }

    /// <summary>
    /// Called on the UI thread after `+` or `-` changed the refresh interval (bounded to 0.2–60 s), so the Hub
    /// refreshes at the new pace too. Null: only the screen's pull timer changes.
    /// </summary>
    public Action<TimeSpan>? RefreshIntervalChanged { get; init; }

    /// <summary>
    /// socket inode → owning process for every socket (the Hub's owner cache), so a listener's detail can list its
    /// process's other sockets. Null: only the owners the snapshot carries (listeners, half-open) are known.
    /// </summary>
    public IProcessOwners? ProcessOwners { get; init; }

    /// <summary>A process's command line (pid → text, null when unreadable), read when a detail opens.</summary>
    public Func<int, string?>? CommandLine { get; init; }

    /// <summary>How often an open trace view reads its trace.</summary>
    public TimeSpan TraceRefresh { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Keys the mode adds (replay: pause, step, speed). Each runs on the UI thread and returns a note for the status
    /// line, or null; a key listed here replaces the screen's own binding of it. Help lists them.
    /// </summary>
    public IReadOnlyList<TuiKey> ExtraKeys { get; init; } = [];

    /// <summary>Replaces the header's LIVE/STALE word (replay: "REPLAY 3/40 ×2"); called whenever the header is drawn.</summary>
    public Func<string>? ModeText { get; init; }

    /// <summary>The clock used to tell a stale screen (no new snapshot for three intervals).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    internal string RefreshText => RefreshLabel ?? UiFormat.Interval(RefreshInterval);
}

/// <summary>A key a mode adds to the main screen: the character, its help line, and what it does (returns a note or null).</summary>
public sealed record TuiKey(char Key, string Help, Func<string?> Run);
