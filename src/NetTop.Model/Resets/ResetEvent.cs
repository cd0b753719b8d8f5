using System.Collections.Immutable;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Model.Resets;

/// <summary>Which way the reset went, seen from the watched host.</summary>
public enum ResetDirection : byte
{
    Sent,
    Received,
}

/// <summary>
/// Active: this host aborted its own connection (tcp_send_active_reset, tracepoint skbaddr == 0). Passive: the
/// reset answers a segment that arrived (tcp_v4_send_reset / tcp_v6_send_reset: no socket, bad ACK, ...).
/// Unknown: a received reset seen by the tracepoint whose segment the capture did not see (the peer's reason is
/// not on the wire; with the segment the wire rules give the kind, <see cref="ResetEvent.KindFromWire"/>).
/// </summary>
public enum ResetKind : byte
{
    Unknown,
    Active,
    Passive,
}

/// <summary>Where a reset was seen: the kernel's tcp tracepoints, or a captured RST segment (no root / no tracefs).</summary>
public enum ResetOrigin : byte
{
    Tracepoint,
    Wire,
}

/// <summary>
/// One TCP reset as it happened. Immutable; events of other namespaces carry <see cref="NetnsTag"/>.
/// </summary>
public sealed record ResetEvent
{
    public const string OtherNetns = "other netns";

    /// <summary>CLOCK_MONOTONIC nanoseconds (perf TIME with use_clockid), or 0 for wire events.</summary>
    public long MonotonicNs { get; init; }
    public required DateTimeOffset Wall { get; init; }
    public required ResetDirection Direction { get; init; }
    public required ResetKind Kind { get; init; }
    /// <summary>The kind was read from the RST segment on the wire (<see cref="WireResetClassifier"/>), not from the
    /// kernel: always for wire events, and for received tracepoint resets matched with their captured segment.</summary>
    public bool KindFromWire { get; init; }
    /// <summary>The kernel's enum sk_rst_reason name (kernel ≥ 6.10) without the SK_RST_REASON_ prefix; "-" when unknown.</summary>
    public string Reason { get; init; } = "-";
    /// <summary>One line in plain words.</summary>
    public string Explanation { get; init; } = "";
    public TcpState State { get; init; }
    public required NetEndpoint Local { get; init; }
    public required NetEndpoint Remote { get; init; }
    /// <summary>The process that caused it, only when the event ran in that process's context (active resets).</summary>
    public int? Pid { get; init; }
    public int? Tid { get; init; }
    public string? Comm { get; init; }
    /// <summary>Symbolized kernel frames, innermost first ("tcp_v4_send_reset+0x733"); empty for wire events.</summary>
    public ImmutableArray<string> Stack { get; init; } = [];
    /// <summary>The socket cookie (tcp_receive_reset's sock_cookie = inet_diag's idiag_cookie); 0 when unknown.</summary>
    public ulong Cookie { get; init; }
    public ResetOrigin Origin { get; init; }
    /// <summary>The network namespace inode of the task in process context (from /proc/TID/ns/net); null otherwise.</summary>
    public ulong? NetnsInode { get; init; }
    /// <summary>null = the watched namespace; <see cref="OtherNetns"/> when attribution placed it elsewhere.</summary>
    public string? NetnsTag { get; init; }
    public int Cpu { get; init; }

    /// <summary>"tracepoint" or "wire", as in the snapshot.</summary>
    public string Source => Origin == ResetOrigin.Wire ? "wire" : "tracepoint";

    public string DirectionText => Direction == ResetDirection.Sent ? "sent" : "recv";

    public string KindText => Kind switch
    {
        ResetKind.Active => "active",
        ResetKind.Passive => "passive",
        _ => "?",
    };

    public string StateText => State == TcpState.Unknown ? "-" : State.Name();
}
