using NetTop.Model.Net;

namespace NetTop.Model.Snapshot;

/// <summary>A host counter with its per-second rate (null until two samples exist).</summary>
public sealed record CounterRow(string Name, ulong Value, double? PerSec);

/// <summary>One listening socket, as the listen-queues panel shows it.</summary>
public sealed record ListenerRow
{
    /// <summary>The listener's socket cookie (or a tuple hash from the /proc fallback): the key screens hold.</summary>
    public required ulong Key { get; init; }
    public required IpFamily Family { get; init; }
    public required NetEndpoint Local { get; init; }
    public string? Process { get; init; }
    public int? Pid { get; init; }
    public uint Uid { get; init; }
    public ulong Inode { get; init; }
    /// <summary>Connections completed and waiting for accept().</summary>
    public required uint AcceptQueue { get; init; }
    /// <summary>listen()'s backlog as clamped by somaxconn; null when the source cannot know it (/proc fallback).</summary>
    public uint? Backlog { get; init; }
    public required uint PeakAcceptQueue { get; init; }
    /// <summary>Request sockets (SYN_RECV) whose local endpoint this listener owns.</summary>
    public required int SynRecv { get; init; }
    /// <summary>sk_drops (SK_MEMINFO_DROPS); null without sock_diag.</summary>
    public ulong? Drops { get; init; }
    public double? DropsPerSec { get; init; }
    /// <summary>Set when the listener has gone; the row stays, dimmed, for a few seconds.</summary>
    public DateTimeOffset? GoneAt { get; init; }

    public bool IsGone => GoneAt is not null;

    /// <summary>The queue holds backlog+1 entries before it overflows (the kernel tests ack_backlog &gt; max).</summary>
    public double? Fill => Backlog is { } b ? Math.Min(1.0, AcceptQueue / (double)(b + 1)) : null;

    /// <summary>True when the accept queue is at its limit: the next connection will be dropped.</summary>
    public bool IsFull => Backlog is { } b && AcceptQueue > b;
}

public enum HalfOpenState
{
    SynSent,
    SynRecv,
}

/// <summary>A connection that has not completed its handshake: ours (SYN_SENT) or a client's (SYN_RECV).</summary>
public sealed record HalfOpenRow
{
    public required ulong Key { get; init; }
    public required HalfOpenState State { get; init; }
    public required NetEndpoint Local { get; init; }
    public required NetEndpoint Remote { get; init; }
    public string? Process { get; init; }
    public int? Pid { get; init; }
    /// <summary>How long the handshake has been waiting: estimated from the retransmit count and the timer,
    /// never less than the time NetTop has watched it.</summary>
    public required long AgeMs { get; init; }
    /// <summary>SYN retransmits (SYN_SENT) or SYN-ACK retransmits (SYN_RECV).</summary>
    public required int Retransmits { get; init; }
    /// <summary>icsk_backoff from tcp_info (SYN_SENT only): how often the retransmit timer has doubled.</summary>
    public int? Backoff { get; init; }
    /// <summary>Milliseconds to the next retransmit.</summary>
    public uint ExpiresMs { get; init; }
    /// <summary>For SYN_RECV: the listener that owns it.</summary>
    public ulong? ListenerKey { get; init; }

    /// <summary>Firewall rules that match this flow's handshake packets with a dropping target and whose
    /// counters rose while it waited: the likely reason it is stuck.</summary>
    public System.Collections.Immutable.ImmutableArray<Firewall.Suspect> Suspects { get; init; } = [];

    public string StateName => State == HalfOpenState.SynSent ? "SYN_SENT" : "SYN_RECV";
}
