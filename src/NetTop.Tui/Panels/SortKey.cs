using NetTop.Model.Net;

namespace NetTop.Tui.Panels;

/// <summary>
/// What a column sorts by: a number (queues, ages, rates: the cell text "1.2k" does not sort) or a text. Computed
/// once per row per snapshot, then the row indices are sorted by it (the index-array habit of the cheat sheet:
/// no row objects move).
/// </summary>
internal readonly record struct SortKey(double Number, string? Text) : IComparable<SortKey>
{
    public static SortKey Of(double n) => new(n, null);

    public static SortKey Of(string? text) => new(0, text ?? "");

    /// <summary>Endpoints by family, address, then port (numerically, not as text).</summary>
    public static SortKey Of(NetEndpoint e) =>
        new((double)e.Family * 1e6 + e.Port, e.Family == IpFamily.V4 ? ((uint)e.Address).ToString("x8") : e.Address.ToString("x32"));

    public int CompareTo(SortKey other)
    {
        if (Text is not null && other.Text is not null)
        {
            int c = string.Compare(Text, other.Text, StringComparison.OrdinalIgnoreCase);
            return c != 0 ? c : Number.CompareTo(other.Number);
        }
        return Number.CompareTo(other.Number);
    }
}
