using System.Globalization;

namespace NetTop.Tui;

/// <summary>Formatting that only the screen needs (cells come from <c>PanelTables</c>).</summary>
internal static class UiFormat
{
    /// <summary>1.0s, 0.5s, 2.0s, 250ms.</summary>
    public static string Interval(TimeSpan t) => t < TimeSpan.FromSeconds(0.1)
        ? ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms"
        : t.TotalSeconds.ToString("0.0##", CultureInfo.InvariantCulture) + "s";
}
