using System.Collections.Immutable;
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
    /// <summary>The stable key a selection is restored by (socket cookie).</summary>
    public required Func<T, ulong> Key { get; init; }
    /// <summary>What the panel says when it has no rows (and why, where that is known).</summary>
    public required string EmptyText { get; init; }
    public Func<T, Severity> Severity { get; init; } = static _ => Themes.Severity.Normal;
    /// <summary>A warning shown as the panel's first line while non-null (data the panel cannot trust).</summary>
    public Func<HostSnapshot, string?> Warning { get; init; } = static _ => null;
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
        Severity = ListenerSeverity,
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
        Severity = HalfOpenSeverity,
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

    /// <summary>A SYN_SENT that has retransmitted got no answer for at least the initial 1 s timeout: the peer or
    /// the path is dropping SYNs. SYN_RECV retransmits are the client's problem and stay normal.</summary>
    public static Severity HalfOpenSeverity(HalfOpenRow r) =>
        r.State == HalfOpenState.SynSent && r.Retransmits >= 1 ? Severity.Warning : Severity.Normal;
}
