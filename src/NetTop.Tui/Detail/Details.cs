using NetTop.Model;
using System.Globalization;
using NetTop.Model.Firewall;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Tables;

namespace NetTop.Tui.Detail;

/// <summary>The text of each drill-down, from a snapshot and a row (or its key). Pure: tests read it directly.</summary>
internal static class Details
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static IReadOnlyList<string> Reset(ResetRow row) => ResetTables.Detail(row);

    public static IReadOnlyList<string>? Reset(HostSnapshot s, ulong key) =>
        Find(s.Resets, key, Panels.StableHash.Of) is { } r ? Reset(r) : null;

    public static IReadOnlyList<string> Stack(ResetStackRow row)
    {
        List<string> lines =
        [
            $"{row.DirectionText} {row.KindText} resets  reason {row.Reason}  count {row.Count.ToString(s_inv)}",
            $"reason   {ResetReasons.Explain(row.Reason)}",
            "stack (innermost first)",
        ];
        if (row.Stack.IsDefaultOrEmpty)
        {
            lines.Add("  (no kernel stack: seen on the wire)");
        }
        else
        {
            lines.AddRange(row.Stack.Select(f => "  " + f));
        }
        return lines;
    }

    public static IReadOnlyList<string>? Stack(HostSnapshot s, ulong key) =>
        Find(s.ResetStacks, key, Panels.StableHash.Of) is { } r ? Stack(r) : null;

    public static IReadOnlyList<string> Firewall(FirewallRow r)
    {
        FirewallRule rule = r.Rule;
        List<string> lines =
        [
            rule.FullText,
            "",
            $"table    {r.Table}   chain {r.Chain}   position {r.Position.ToString(s_inv)}   target {(r.Target.Length == 0 ? "-" : r.Target)}"
                + (rule.TargetArgs.Length > 0 ? " " + rule.TargetArgs : ""),
            $"backend  {rule.Backend}   family {r.Family}" + (rule.Hook is { } hook ? $"   hook {hook}" : ""),
            $"packets  {r.Packets.ToString(s_inv)}   bytes {r.Bytes.ToString(s_inv)}",
            $"rates    {Format.Rate(r.PacketsPerSec)} packets/s   {Format.Rate(r.BytesPerSec)} bytes/s   ({RateText(r.RateState)})",
            $"pkts/s   {FirewallColumns.Sparkline(r.History, Math.Max(FirewallColumns.SparklineWidth, r.History.IsDefault ? 0 : r.History.Length))}",
        ];
        if (rule.Comment.Length > 0)
        {
            lines.Add($"comment  {rule.Comment}");
        }
        lines.Add($"key      {r.Key}");
        return lines;
    }

    public static IReadOnlyList<string>? Firewall(HostSnapshot s, ulong key) =>
        Find(s.Firewall, key, Panels.StableHash.Of) is { } r ? Firewall(r) : null;

    private static string RateText(RateState s) => s switch
    {
        RateState.NoData => "no data yet",
        RateState.FirstSample => "first sample",
        RateState.CounterReset => "counters were reset",
        _ => "live",
    };

    private static T? Find<T>(System.Collections.Immutable.ImmutableArray<T> rows, ulong key, Func<T, ulong> keyOf)
        where T : class
    {
        if (rows.IsDefault)
        {
            return null;
        }
        foreach (T r in rows)
        {
            if (keyOf(r) == key)
            {
                return r;
            }
        }
        return null;
    }
}
