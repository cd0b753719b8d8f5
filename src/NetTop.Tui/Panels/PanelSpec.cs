using System.Collections.Immutable;
using System.Globalization;
using NetTop.Model;
using NetTop.Model.Firewall;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Tables;
using NetTop.Tui.Themes;

namespace NetTop.Tui.Panels;

/// <summary>
/// Everything that makes one table panel: what it shows of a snapshot and how rows are marked. Adding a panel
/// is adding a spec (see <see cref="PanelSpecs"/>) and placing its <see cref="TablePanel{T}"/> in a screen.
/// </summary>
internal sealed record PanelSpec<T>
{
    public required string Title { get; init; }
    public required ImmutableArray<Column<T>> Columns { get; init; }
    public required Func<HostSnapshot, ImmutableArray<T>> Rows { get; init; }
    /// <summary>The stable key a selection is restored by (socket cookie, or a hash of the row's identity).</summary>
    public required Func<T, ulong> Key { get; init; }
    /// <summary>What the panel says when it has no rows.</summary>
    public required string EmptyText { get; init; }
    /// <summary>The snapshot source that feeds the panel: while it is not ok, the empty text says why and how to fix.</summary>
    public string? SourceName { get; init; }
    public Func<T, Severity> Severity { get; init; } = static _ => Themes.Severity.Normal;
    /// <summary>A warning shown as the panel's first line while non-null (data the panel cannot trust).</summary>
    public Func<HostSnapshot, string?> Warning { get; init; } = static _ => null;
    /// <summary>The title for a snapshot (totals); null keeps <see cref="Title"/>.</summary>
    public Func<HostSnapshot, string>? TitleOf { get; init; }
    /// <summary>Cells wider than this many columns are cut by the table (free text: rules, stacks); 0 = no limit.</summary>
    public int MaxCellWidth { get; init; }
    /// <summary>The `/` filter's field terms (port:, state:, proc:, …); plain text always matches any cell.</summary>
    public ImmutableArray<FilterField<T>> Fields { get; init; } = [];
    /// <summary>The flow (local, remote) of a row, for `w` and the connection detail; null for rows without one.</summary>
    public Func<T, (NetEndpoint Local, NetEndpoint Remote)?>? Flow { get; init; }
    /// <summary>What each column sorts by (parallel to <see cref="Columns"/>); a missing or null entry sorts by the cell text.</summary>
    public ImmutableArray<Func<T, SortKey>> SortKeys { get; init; } = [];
    /// <summary>
    /// A feed, newest first (the RST feed): in the model's order a selection on the first row stays on the first
    /// row, so new rows show at the top (`tail -f` habit). Without it the selection follows its row's key, and
    /// each new row above pushed the view down one row: after a minute at one reset a second the panel showed
    /// resets a minute old while the totals kept rising. A selection the user moved off the top still follows
    /// its row.
    /// </summary>
    public bool FollowNewest { get; init; }

    /// <summary>The empty text for a snapshot: the source's reason while it is not ok.</summary>
    public (string Text, bool IsProblem) Empty(HostSnapshot snapshot)
    {
        if (SourceName is { } name && !snapshot.Sources.IsDefault)
        {
            foreach (SourceStatus s in snapshot.Sources)
            {
                if (s.Name == name && s.Health != SourceHealth.Ok)
                {
                    string why = $"{s.Name} {s.HealthText}: {s.DetailWithFix}";
                    return (s.Health == SourceHealth.Unavailable ? why : $"{EmptyText} ({why})", true);
                }
            }
        }
        return (EmptyText, false);
    }
}

internal static class PanelSpecs
{
    public static readonly PanelSpec<ListenerRow> Listeners = new()
    {
        Title = "Listen queues",
        Columns = PanelTables.Listeners,
        Rows = static s => s.Listeners,
        Key = static r => r.Key,
        EmptyText = "no listeners",
        SourceName = "sockets",
        Severity = ListenerSeverity,
        Fields =
        [
            new("port", static (r, v) => FilterFields.Port(r.Local, v)),
            // A listener is LISTEN; "full" and "gone" pick out the ones that matter.
            new("state", static (r, v) => FilterFields.State(r.IsGone ? "gone" : r.IsFull ? "full listen" : "listen", v)
                || (r.IsFull && FilterFields.State("full", v))),
            new("proc", static (r, v) => FilterFields.Contains(PanelTables.ProcessText(r.Process, r.Pid), v)),
            new("local", static (r, v) => FilterFields.Address(r.Local, v)),
        ],
        SortKeys =
        [
            static r => SortKey.Of(r.Local),
            static r => SortKey.Of(PanelTables.ProcessText(r.Process, r.Pid)),
            static r => SortKey.Of(r.AcceptQueue),
            static r => SortKey.Of(r.Fill ?? -1),
            static r => SortKey.Of(r.PeakAcceptQueue),
            static r => SortKey.Of(r.SynRecv),
            static r => SortKey.Of(r.Drops is { } d ? d : -1),
            static r => SortKey.Of(r.DropsPerSec ?? -1),
        ],
        // /proc/net/tcp reports 0 where sock_diag reports the max backlog: without this line a "0/?" panel
        // reads like `ss` on a kernel without sock_diag, where Send-Q 0 looks like a listener with no backlog.
        Warning = static s => s.BacklogUnknownReason is { } r ? "! " + r : null,
    };

    public static readonly PanelSpec<HalfOpenRow> HalfOpen = new()
    {
        Title = "Half-open",
        Columns = PanelTables.HalfOpen,
        Rows = static s => s.HalfOpen,
        Key = static r => r.Key,
        EmptyText = "no half-open connections",
        SourceName = "sockets",
        Severity = HalfOpenSeverity,
        Flow = static r => (r.Local, r.Remote),
        Fields =
        [
            new("port", static (r, v) => FilterFields.Port(r.Local, v) || FilterFields.Port(r.Remote, v)),
            new("state", static (r, v) => FilterFields.State(r.StateName, v)),
            new("proc", static (r, v) => FilterFields.Contains(PanelTables.ProcessText(r.Process, r.Pid), v)),
            new("local", static (r, v) => FilterFields.Address(r.Local, v)),
            new("remote", static (r, v) => FilterFields.Address(r.Remote, v)),
        ],
        SortKeys =
        [
            static r => SortKey.Of(r.StateName),
            static r => SortKey.Of(r.Local),
            static r => SortKey.Of(r.Remote),
            static r => SortKey.Of(PanelTables.ProcessText(r.Process, r.Pid)),
            static r => SortKey.Of(r.AgeMs),
            static r => SortKey.Of(r.Retransmits),
            static r => SortKey.Of(r.Backoff ?? -1),
            static r => SortKey.Of(r.ExpiresMs),
        ],
    };

    public static readonly PanelSpec<ResetRow> Resets = new()
    {
        Title = "RST feed",
        FollowNewest = true,
        Columns = ResetTables.Feed,
        Rows = static s => s.Resets,
        Key = StableHash.Of,
        EmptyText = "no resets yet",
        SourceName = "resets",
        Severity = ResetSeverity,
        Flow = static r => (r.Event.Local, r.Event.Remote),
        Fields =
        [
            new("port", static (r, v) => FilterFields.Port(r.Event.Local, v) || FilterFields.Port(r.Event.Remote, v)),
            new("state", static (r, v) => FilterFields.State(r.Event.StateText, v)),
            new("proc", static (r, v) => FilterFields.Contains(ResetTables.Process(r.Event), v)),
            new("local", static (r, v) => FilterFields.Address(r.Event.Local, v)),
            new("remote", static (r, v) => FilterFields.Address(r.Event.Remote, v)),
            new("kind", static (r, v) => FilterFields.State(r.Event.KindText, v)),
            new("dir", static (r, v) => FilterFields.State(r.Event.DirectionText, v)),
            new("reason", static (r, v) => FilterFields.Contains(r.Event.Reason, v)),
        ],
        SortKeys =
        [
            static r => SortKey.Of(r.Wall.UtcTicks),
            null!,
            null!,
            null!,
            null!,
            static r => SortKey.Of(r.Event.Local),
            null!,
            static r => SortKey.Of(r.Count),
        ],
        TitleOf = static s => string.Create(CultureInfo.InvariantCulture,
            $"RST feed ({s.ResetTotals.Sent} sent, {s.ResetTotals.Received} received)"),
        MaxCellWidth = 47,
    };

    public static readonly PanelSpec<FirewallRow> Firewall = new()
    {
        Title = "Firewall",
        Columns = FirewallColumns.Rules,
        Rows = static s => s.Firewall,
        Key = StableHash.Of,
        EmptyText = "no firewall rules",
        SourceName = "firewall",
        Severity = FirewallSeverity,
        Fields =
        [
            new("port", static (r, v) => FilterFields.PortInText(r.Rule.Rule, v)),
            new("table", static (r, v) => FilterFields.Contains(r.Table, v)),
            new("chain", static (r, v) => FilterFields.Contains(r.Chain, v)),
            new("target", static (r, v) => FilterFields.Contains(r.Target, v)),
            new("rule", static (r, v) => FilterFields.Contains(r.Rule.Rule, v) || FilterFields.Contains(r.Rule.Comment, v)),
        ],
        SortKeys =
        [
            null!,
            null!,
            static r => SortKey.Of(r.Position),
            null!,
            null!,
            static r => SortKey.Of(r.Packets),
            static r => SortKey.Of(r.Bytes),
            static r => SortKey.Of(r.PacketsPerSec ?? -1),
        ],
        // The rule text is free-form and long; cut it so TARGET and the counters stay on a 100-column screen.
        MaxCellWidth = 40,
    };

    /// <summary>The top-stacks table (key `k`).</summary>
    public static readonly PanelSpec<ResetStackRow> Stacks = new()
    {
        Title = "Top reset stacks",
        Columns = ResetTables.Stacks,
        Rows = static s => s.ResetStacks,
        Key = StableHash.Of,
        EmptyText = "no resets yet",
        SourceName = "resets",
    };

    public static Severity ListenerSeverity(ListenerRow r)
    {
        if (r.IsGone)
        {
            return Severity.Dim;
        }
        if (r.IsFull || r.DropsPerSec > 0)
        {
            return Severity.Critical;
        }
        return Severity.Normal;
    }

    /// <summary>A SYN_SENT that a firewall rule is eating is critical (the cause is known and local). One that has
    /// retransmitted got no answer for at least the initial 1 s timeout: the peer or the path is dropping SYNs.
    /// SYN_RECV retransmits are the client's problem and stay normal.</summary>
    public static Severity HalfOpenSeverity(HalfOpenRow r) => r.State != HalfOpenState.SynSent
        ? Severity.Normal
        : !r.Suspects.IsDefaultOrEmpty ? Severity.Critical
        : r.Retransmits >= 1 ? Severity.Warning
        : Severity.Normal;

    /// <summary>Resets of other namespaces are context (dim); active resets are this host aborting its own connections.</summary>
    public static Severity ResetSeverity(ResetRow r) =>
        r.Event.NetnsTag is not null ? Severity.Dim
        : r.Event.Kind == ResetKind.Active ? Severity.Warning
        : Severity.Normal;

    /// <summary>A dropping rule that counts packets now is critical; any other rule counting now is worth a look.</summary>
    public static Severity FirewallSeverity(FirewallRow r) =>
        !r.IsHot ? Severity.Normal
        : r.Rule.IsDropTarget ? Severity.Critical
        : Severity.Warning;
}
