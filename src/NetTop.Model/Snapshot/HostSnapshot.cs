using System.Collections.Immutable;
using NetTop.Model.Sockets;

namespace NetTop.Model.Snapshot;

/// <summary>
/// Everything NetTop knows at one refresh tick, immutable and handed out by reference: the TUI, the snapshot
/// writer and later exporters all read the same object. Freezing the screen is keeping this reference.
/// </summary>
public sealed record HostSnapshot
{
    public const string Schema = "nettop.snapshot/1";

    public required long Sequence { get; init; }
    public required DateTimeOffset TakenAt { get; init; }
    public required string Host { get; init; }
    public required string Kernel { get; init; }
    /// <summary>"host" or what --netns named.</summary>
    public required string Netns { get; init; }
    public required ImmutableArray<SourceStatus> Sources { get; init; }
    public required ImmutableArray<CounterRow> Counters { get; init; }
    /// <summary>Sorted by pressure, worst first; gone listeners (tombstones) last.</summary>
    public required ImmutableArray<ListenerRow> Listeners { get; init; }
    /// <summary>Worst first: most retransmits, then oldest.</summary>
    public required ImmutableArray<HalfOpenRow> HalfOpen { get; init; }
    /// <summary>Every socket of the last sockets reading (for drill-down).</summary>
    public required SocketTable Sockets { get; init; }
    /// <summary>The RST feed, newest first; identical resets within a second are one row with a count.</summary>
    public ImmutableArray<Resets.ResetRow> Resets { get; init; } = [];
    /// <summary>Resets grouped by kind, reason and kernel stack, most frequent first.</summary>
    public ImmutableArray<Resets.ResetStackRow> ResetStacks { get; init; } = [];
    /// <summary>Resets since NetTop started by direction, kind and reason (monotonic: the Prometheus counters).</summary>
    public ImmutableArray<ResetCount> ResetCounts { get; init; } = [];
    /// <summary>Resets seen since NetTop started (sent, received).</summary>
    public ResetTotals ResetTotals { get; init; } = new(0, 0);
    /// <summary>Firewall rules with live rates, hottest first (empty when the firewall source has nothing).</summary>
    public ImmutableArray<Firewall.FirewallRow> Firewall { get; init; } = [];
    /// <summary>Null when the max backlog is known; otherwise why it is not (the /proc fallback).</summary>
    public string? BacklogUnknownReason { get; init; }

    public static HostSnapshot Empty(string host, string kernel, string netns) => new()
    {
        Sequence = 0,
        TakenAt = DateTimeOffset.UnixEpoch,
        Host = host,
        Kernel = kernel,
        Netns = netns,
        Sources = [],
        Counters = [],
        Listeners = [],
        HalfOpen = [],
        Sockets = SocketTable.Empty,
    };

    public CounterRow? Counter(string name)
    {
        foreach (CounterRow c in Counters)
        {
            if (c.Name == name)
            {
                return c;
            }
        }
        return null;
    }
}

/// <summary>How many resets the feed has seen since NetTop started.</summary>
public sealed record ResetTotals(long Sent, long Received);

/// <summary>A tally of resets with the same direction ("sent"/"recv"), kind and reason.</summary>
public sealed record ResetCount(string Direction, string Kind, string Reason, long Count);
