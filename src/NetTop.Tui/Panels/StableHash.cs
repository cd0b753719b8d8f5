using System.Globalization;
using NetTop.Model.Firewall;
using NetTop.Model.Resets;

namespace NetTop.Tui.Panels;

/// <summary>
/// 64-bit FNV-1a over strings: row keys for panels whose model rows have a string key (firewall rules) or none
/// (resets). Stable across runs and snapshots; collisions only cost a selection jump.
/// </summary>
internal static class StableHash
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Fnv1a(string text)
    {
        ulong h = Offset;
        foreach (char c in text)
        {
            // Both bytes of the UTF-16 unit, low first.
            h = (h ^ (byte)c) * Prime;
            h = (h ^ (byte)(c >> 8)) * Prime;
        }
        return h;
    }

    public static ulong Of(FirewallRow r) => Fnv1a(r.Key);

    /// <summary>A reset row by its first event's wall time, endpoints and direction (collapsed rows keep these).</summary>
    public static ulong Of(ResetRow r) => Fnv1a(string.Create(CultureInfo.InvariantCulture,
        $"{r.Event.Wall.UtcTicks}|{r.Event.Local}|{r.Event.Remote}|{r.Event.Direction}"));

    public static ulong Of(ResetStackRow r) => Fnv1a(string.Create(CultureInfo.InvariantCulture,
        $"{r.Direction}|{r.Kind}|{r.Reason}|{string.Join('\n', r.Stack.IsDefault ? [] : r.Stack)}"));
}
