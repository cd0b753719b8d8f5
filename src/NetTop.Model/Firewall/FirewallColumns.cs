using System.Collections.Immutable;
using System.Globalization;
using NetTop.Model.Tables;

namespace NetTop.Model.Firewall;

/// <summary>The columns of the firewall panel (and of its table in text snapshots).</summary>
public static class FirewallColumns
{
    public const int SparklineWidth = 30;

    public static readonly ImmutableArray<Column<FirewallRow>> Rules =
    [
        new("TABLE", 8, false, r => r.Rule.Backend == FirewallBackends.NfTables ? r.Table : $"{r.Table}({r.Rule.Backend})"),
        new("CHAIN", 12, false, r => r.Chain),
        new("#", 4, true, r => r.Position.ToString(CultureInfo.InvariantCulture)),
        new("RULE", 48, false, r => RuleText(r.Rule)),
        new("TARGET", 10, false, r => r.Target.Length == 0 ? "-" : r.Target),
        new("PKTS", 7, true, r => Format.Count(r.Packets)),
        new("BYTES", 7, true, r => Format.Count(r.Bytes)),
        new("PKTS/s", 7, true, r => Format.Rate(r.PacketsPerSec)),
    ];

    /// <summary>The rule's match without its target (the TARGET column has it); IPv6 rules marked "v6".</summary>
    public static string RuleText(FirewallRule r)
    {
        string text = r.Rule;
        int j = text.LastIndexOf(r.IsGoto ? " -g " : " -j ", StringComparison.Ordinal);
        if (j >= 0 && r.Backend != FirewallBackends.Nft)
        {
            text = text[..j];
        }
        else if (text.StartsWith("-j ", StringComparison.Ordinal) || text.StartsWith("-g ", StringComparison.Ordinal))
        {
            text = "";
        }
        if (text.Length == 0)
        {
            text = "(all)";
        }
        return r.Family == "ipv4" ? text : $"[{r.Family}] {text}";
    }

    /// <summary>A sparkline of a rule's recent packets/s (▁▂▃▄▅▆▇█), scaled to its own peak; spaces before there is data.</summary>
    public static string Sparkline(ImmutableArray<float> history, int width = SparklineWidth)
    {
        const string levels = "▁▂▃▄▅▆▇█";
        if (history.IsDefaultOrEmpty || width <= 0)
        {
            return new string(' ', Math.Max(width, 0));
        }
        ReadOnlySpan<float> h = history.AsSpan();
        if (h.Length > width)
        {
            h = h[^width..];
        }
        float max = 0;
        foreach (float v in h)
        {
            max = Math.Max(max, v);
        }
        char[] cells = new char[width];
        int pad = width - h.Length;
        cells.AsSpan(0, pad).Fill(' ');
        for (int i = 0; i < h.Length; i++)
        {
            int level = max <= 0 ? 0 : (int)Math.Round(h[i] / max * (levels.Length - 1));
            cells[pad + i] = levels[Math.Clamp(level, 0, levels.Length - 1)];
        }
        return new string(cells);
    }

    /// <summary>Rows whose table, chain, target, rule text or comment contain <paramref name="filter"/> (case-insensitive).</summary>
    public static bool Matches(FirewallRow r, string filter) =>
        filter.Length == 0
        || r.Rule.Rule.Contains(filter, StringComparison.OrdinalIgnoreCase)
        || r.Chain.Contains(filter, StringComparison.OrdinalIgnoreCase)
        || r.Table.Contains(filter, StringComparison.OrdinalIgnoreCase)
        || r.Target.Contains(filter, StringComparison.OrdinalIgnoreCase);
}
