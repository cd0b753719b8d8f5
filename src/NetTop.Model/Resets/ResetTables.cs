using System.Collections.Immutable;
using System.Globalization;
using NetTop.Model.Tables;

namespace NetTop.Model.Resets;

/// <summary>The columns of the RST feed and of its top-stacks view (screen and text snapshot alike).</summary>
public static class ResetTables
{
    public const string Arrow = " ↔ ";

    public static readonly ImmutableArray<Column<ResetRow>> Feed =
    [
        new("TIME", 12, false, r => Time(r.Wall)),
        new("DIR", 4, false, r => r.Event.DirectionText),
        new("KIND", 7, false, r => r.Event.KindText),
        new("REASON", 18, false, r => r.Event.Reason),
        new("STATE", 11, false, r => r.Event.StateText),
        new("LOCAL ↔ REMOTE", 47, false, r => Endpoints(r.Event)),
        new("PROCESS", 16, false, r => Process(r.Event)),
        new("COUNT", 6, true, r => Format.Count((ulong)r.Count)),
    ];

    public static readonly ImmutableArray<Column<ResetStackRow>> Stacks =
    [
        new("COUNT", 7, true, r => Format.Count((ulong)r.Count)),
        new("DIR", 4, false, r => r.DirectionText),
        new("KIND", 7, false, r => r.KindText),
        new("REASON", 18, false, r => r.Reason),
        new("STACK", 60, false, r => StackSummary(r.Stack)),
    ];

    /// <summary>Local time of day with milliseconds, "14:03:07.125".</summary>
    public static string Time(DateTimeOffset wall) => wall.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    public static string Endpoints(ResetEvent e) => e.Local + Arrow + e.Remote;

    /// <summary>"curl/1234" in process context; "-" when the reset ran in softirq (no trustworthy process); the tag for other namespaces.</summary>
    public static string Process(ResetEvent e)
    {
        string p = e.Pid is { } pid ? PanelTables.ProcessText(e.Comm ?? "?", pid) : "-";
        return e.NetnsTag is { } tag ? $"{p} [{tag}]" : p;
    }

    /// <summary>Frames without their offsets, innermost first: "tcp_v4_send_reset ← tcp_v4_rcv ← …".</summary>
    public static string StackSummary(ImmutableArray<string> stack)
    {
        if (stack.IsDefaultOrEmpty) return "-";
        return string.Join(" ← ", stack.Select(FrameName));
    }

    /// <summary>"tcp_v4_send_reset+0x733" → "tcp_v4_send_reset".</summary>
    public static string FrameName(string frame)
    {
        int plus = frame.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? frame[..plus] : frame;
    }

    /// <summary>The detail view of one reset (Enter on a row): every field, the explanation and the whole stack.</summary>
    public static IReadOnlyList<string> Detail(ResetRow row)
    {
        ResetEvent e = row.Event;
        List<string> lines =
        [
            $"{e.DirectionText} {e.KindText} reset  {Endpoints(e)}",
            $"time     {e.Wall.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff}" + (row.Count > 1 ? $"  (x{row.Count} until {Time(row.LastWall)})" : ""),
            $"reason   {e.Reason}: {(e.Explanation.Length > 0 ? e.Explanation : ResetReasons.Explain(e.Reason))}",
            $"state    {e.StateText}",
            $"process  {Process(e)}",
            $"source   {e.Source}" + (e.Cookie != 0 ? $"  cookie 0x{e.Cookie:x}" : ""),
        ];
        if (!e.Stack.IsDefaultOrEmpty)
        {
            lines.Add("stack");
            lines.AddRange(e.Stack.Select(f => "  " + f));
        }
        return lines;
    }
}
