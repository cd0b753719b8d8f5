using System.Collections.Immutable;
using System.Globalization;
using NetTop.Model.Snapshot;

namespace NetTop.Model.Tables;

/// <summary>The columns of the listen-queues and half-open panels.</summary>
public static class PanelTables
{
    public const int FillBarWidth = 10;

    public static readonly ImmutableArray<Column<ListenerRow>> Listeners =
    [
        new("LOCAL", 22, false, r => r.Local.ToString()),
        new("PROCESS", 16, false, r => ProcessText(r.Process, r.Pid)),
        new("ACCEPTQ", 11, true, r => $"{r.AcceptQueue}/{(r.Backlog is { } b ? b.ToString(CultureInfo.InvariantCulture) : "?")}"),
        new("FILL", FillBarWidth, false, r => r.IsGone ? "gone" : Format.Bar(r.Fill, FillBarWidth)),
        new("PEAK", 6, true, r => r.PeakAcceptQueue.ToString(CultureInfo.InvariantCulture)),
        new("SYN_RECV", 8, true, r => r.SynRecv.ToString(CultureInfo.InvariantCulture)),
        new("DROPS", 7, true, r => Format.Optional(r.Drops)),
        new("DROPS/s", 7, true, r => Format.Rate(r.DropsPerSec)),
    ];

    public static readonly ImmutableArray<Column<HalfOpenRow>> HalfOpen =
    [
        new("STATE", 8, false, r => r.StateName),
        new("LOCAL", 22, false, r => r.Local.ToString()),
        new("REMOTE", 22, false, r => r.Remote.ToString()),
        new("PROCESS", 16, false, r => ProcessText(r.Process, r.Pid)),
        new("AGE", 7, true, r => Format.Duration(r.AgeMs)),
        new("RETX", 4, true, r => r.Retransmits.ToString(CultureInfo.InvariantCulture)),
        new("BACKOFF", 7, true, r => r.Backoff is { } b ? b.ToString(CultureInfo.InvariantCulture) : "-"),
        new("NEXT", 6, true, r => Format.Duration(r.ExpiresMs)),
        new("SUSPECT", 24, false, r => r.Suspects.IsEmpty ? "" : SuspectText(r.Suspects[0])),
    ];

    /// <summary>"filter/INPUT#3 DROP (+4)": where the rule is, what it does, how many of the flow's packets it took.</summary>
    public static string SuspectText(Firewall.Suspect s) =>
        $"{s.Table}/{s.Chain}#{RulePosition(s.Id)} {s.Target} (+{s.PacketsDelta})";

    private static string RulePosition(string id)
    {
        // ids are backend/family/table/chain/position/hash
        string[] parts = id.Split('/');
        return parts.Length >= 2 ? parts[^2] : "?";
    }

    /// <summary>"nginx/1234", or "?" when the owner is unknown.</summary>
    public static string ProcessText(string? process, int? pid) =>
        process is null ? "?" : pid is { } p ? $"{process}/{p}" : process;

    /// <summary>
    /// The host counters as one line, what matters first: rising ones with their rate, then other non-zero ones,
    /// then the names of those at zero ("ovfl 12 (+3/s)  ldrop 12  synRetx 4  0: reqQdrop cookies …"), so an
    /// 80-column screen shows the moving counters rather than the first few in a fixed order.
    /// </summary>
    public static string CountersLine(HostSnapshot s)
    {
        System.Text.StringBuilder sb = new();
        void Add(CounterRow c)
        {
            if (sb.Length > 0) sb.Append("  ");
            sb.Append(Counters.WatchedCounters.Short(c.Name)).Append(' ').Append(Format.Count(c.Value));
            if (c.PerSec is > 0) sb.Append(" (+").Append(Format.Rate(c.PerSec)).Append("/s)");
        }
        foreach (CounterRow c in s.Counters)
        {
            if (c.PerSec is > 0) Add(c);
        }
        foreach (CounterRow c in s.Counters)
        {
            if (c.PerSec is not > 0 && c.Value > 0) Add(c);
        }
        bool zeros = false;
        foreach (CounterRow c in s.Counters)
        {
            if (c.Value != 0) continue;
            sb.Append(zeros ? " " : sb.Length > 0 ? "  0: " : "0: ").Append(Counters.WatchedCounters.Short(c.Name));
            zeros = true;
        }
        return sb.ToString();
    }
}
