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

    public static IReadOnlyList<string> HalfOpen(HalfOpenRow r)
    {
        List<string> lines =
        [
            $"{r.StateName}  {r.Local} → {r.Remote}",
            $"process  {PanelTables.ProcessText(r.Process, r.Pid)}",
            $"age      {Format.Duration(r.AgeMs)}   retransmits {r.Retransmits.ToString(s_inv)}   backoff {(r.Backoff is { } b ? b.ToString(s_inv) : "-")}   next retransmit in {Format.Duration(r.ExpiresMs)}",
        ];
        if (r.State == HalfOpenState.SynRecv && r.ListenerKey is { } lk)
        {
            lines.Add($"listener 0x{lk:x}");
        }
        lines.Add("");
        if (r.Suspects.IsDefaultOrEmpty)
        {
            lines.Add("suspects none (no dropping firewall rule matched this flow's packets while it waited)");
        }
        else
        {
            lines.Add($"suspects {r.Suspects.Length.ToString(s_inv)} (firewall rules that match this flow's packets, drop them, and counted while it waited)");
            foreach (Suspect sus in r.Suspects)
            {
                lines.Add($"  {PanelTables.SuspectText(sus)}" + (sus.Packet.Length > 0 ? $"  eats the {sus.Packet}" : ""));
                lines.Add($"    {sus.Table}/{sus.Chain}  {sus.Rule}");
                lines.Add($"    packets +{sus.PacketsDelta.ToString(s_inv)} while waiting   id {sus.Id}");
            }
        }
        lines.Add("");
        lines.Add("Esc, then t on this row: trace the flow through the firewall");
        return lines;
    }

    public static IReadOnlyList<string>? HalfOpen(HostSnapshot s, ulong key) =>
        Find(s.HalfOpen, key, static r => r.Key) is { } r ? HalfOpen(r) : null;

    /// <summary>
    /// A listener, its clients' handshakes (SYN_RECV on it) and the handshakes its own process has open
    /// (SYN_SENT of the same pid): a forwarder's stuck upstream connect is one keystroke from its listener.
    /// </summary>
    public static IReadOnlyList<string> Listener(HostSnapshot s, ListenerRow r)
    {
        List<string> lines =
        [
            $"listener {r.Local}  ({r.Family})" + (r.IsGone ? $"  GONE since {r.GoneAt!.Value.ToLocalTime():HH:mm:ss}" : ""),
            $"process  {PanelTables.ProcessText(r.Process, r.Pid)}   uid {r.Uid.ToString(s_inv)}   inode {r.Inode.ToString(s_inv)}",
            $"accept   {r.AcceptQueue.ToString(s_inv)} waiting / backlog {(r.Backlog is { } b ? b.ToString(s_inv) : "unknown")}   peak {r.PeakAcceptQueue.ToString(s_inv)}"
                + (r.IsFull ? "   FULL: the next connection is dropped" : ""),
            $"drops    {Format.Optional(r.Drops)}   {Format.Rate(r.DropsPerSec)}/s",
            "",
        ];
        List<HalfOpenRow> recv = [.. s.HalfOpen.Where(h => h.State == HalfOpenState.SynRecv && h.ListenerKey == r.Key)];
        lines.Add($"SYN_RECV on this listener: {recv.Count.ToString(s_inv)}");
        foreach (HalfOpenRow h in recv)
        {
            lines.Add("  " + HalfOpenLine(h));
        }
        lines.Add("");
        if (r.Pid is { } pid)
        {
            List<HalfOpenRow> sent = [.. s.HalfOpen.Where(h => h.State == HalfOpenState.SynSent && h.Pid == pid)];
            lines.Add($"SYN_SENT of {PanelTables.ProcessText(r.Process, pid)} (its own connects still waiting): {sent.Count.ToString(s_inv)}");
            foreach (HalfOpenRow h in sent)
            {
                lines.Add("  " + HalfOpenLine(h));
            }
        }
        else
        {
            lines.Add("SYN_SENT of the owning process: unknown (no owner for this socket)");
        }
        return lines;
    }

    public static IReadOnlyList<string>? Listener(HostSnapshot s, ulong key) =>
        Find(s.Listeners, key, static r => r.Key) is { } r ? Listener(s, r) : null;

    private static string HalfOpenLine(HalfOpenRow h) =>
        $"{h.Local} → {h.Remote}  age {Format.Duration(h.AgeMs)}  retx {h.Retransmits.ToString(s_inv)}"
        + (h.Suspects.IsDefaultOrEmpty ? "" : "  suspect " + PanelTables.SuspectText(h.Suspects[0]));

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
