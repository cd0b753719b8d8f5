using System.Collections.Immutable;
using System.Text;
using NetTop.Model.Tables;

namespace NetTop.Model.Snapshot;

/// <summary>The panels of a snapshot as plain text tables (what `snapshot --text` writes).</summary>
public static class SnapshotText
{
    public static string Render(HostSnapshot s)
    {
        StringBuilder sb = new();
        sb.Append("NetTop ").Append(s.Host).Append("  netns ").Append(s.Netns).Append("  kernel ").Append(s.Kernel)
          .Append("  at ").Append(s.TakenAt.ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture))
          .AppendLine();
        sb.Append("Counters: ").AppendLine(PanelTables.CountersLine(s));
        sb.Append("Sources:");
        foreach (SourceStatus st in s.Sources)
        {
            sb.Append("  ").Append(st.Name).Append(' ').Append(st.HealthText);
            if (st.Health != SourceHealth.Ok) sb.Append(" (").Append(st.DetailWithFix).Append(')');
        }
        sb.AppendLine().AppendLine();

        sb.Append("== Listen queues (").Append(s.Listeners.Length).AppendLine(")");
        if (s.BacklogUnknownReason is not null) sb.Append("!! ").AppendLine(s.BacklogUnknownReason);
        Table(sb, PanelTables.Listeners, s.Listeners, r => r.IsGone ? " (gone)" : "");
        sb.AppendLine();
        sb.Append("== Half-open (").Append(s.HalfOpen.Length).AppendLine(")");
        Table(sb, PanelTables.HalfOpen, s.HalfOpen, h => h.Suspects.IsEmpty ? "" : "  suspect: " + h.Suspects[0].Id);
        sb.AppendLine();
        sb.Append("== Resets (").Append(s.ResetTotals.Sent).Append(" sent, ").Append(s.ResetTotals.Received).AppendLine(" received)");
        Table(sb, Resets.ResetTables.Feed, s.Resets, r => r.Event.NetnsTag is { } tag ? $"  [{tag}]" : "");
        sb.AppendLine();
        sb.AppendLine("== Reset stacks");
        Table(sb, Resets.ResetTables.Stacks, s.ResetStacks, _ => "");
        sb.AppendLine();
        sb.Append("== Firewall (").Append(s.Firewall.Length).AppendLine(")");
        Table(sb, Firewall.FirewallColumns.Rules, s.Firewall, _ => "");
        return sb.ToString();
    }

    /// <summary>Columns padded to their width (or wider cells), separated by two spaces.</summary>
    public static void Table<T>(StringBuilder sb, ImmutableArray<Column<T>> columns, IReadOnlyList<T> rows,
        Func<T, string> suffix)
    {
        int[] widths = new int[columns.Length];
        string[][] cells = new string[rows.Count][];
        for (int c = 0; c < columns.Length; c++)
        {
            widths[c] = Math.Max(columns[c].Header.Length, columns[c].Width);
        }
        for (int r = 0; r < rows.Count; r++)
        {
            cells[r] = new string[columns.Length];
            for (int c = 0; c < columns.Length; c++)
            {
                string v = columns[c].Cell(rows[r]);
                cells[r][c] = v;
                widths[c] = Math.Max(widths[c], v.Length);
            }
        }
        Line(sb, columns, widths, c => columns[c].Header, "");
        for (int r = 0; r < rows.Count; r++)
        {
            string[] row = cells[r];
            Line(sb, columns, widths, c => row[c], suffix(rows[r]));
        }
    }

    private static void Line<T>(StringBuilder sb, ImmutableArray<Column<T>> columns, int[] widths,
        Func<int, string> cell, string suffix)
    {
        int start = sb.Length;
        for (int c = 0; c < columns.Length; c++)
        {
            if (c > 0) sb.Append("  ");
            string v = cell(c);
            sb.Append(columns[c].AlignRight ? v.PadLeft(widths[c]) : v.PadRight(widths[c]));
        }
        sb.Append(suffix);
        int end = sb.Length;
        while (end > start && sb[end - 1] == ' ') end--;
        sb.Length = end;
        sb.AppendLine();
    }
}
