using System.Globalization;

namespace NetTop.Model.Tables;

/// <summary>Short human forms for cells: the same text on the screen and in text snapshots.</summary>
public static class Format
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    /// <summary>850ms, 3.5s, 1m05s, 2h03m, 4d02h.</summary>
    public static string Duration(long ms)
    {
        if (ms < 1000) return $"{ms}ms";
        if (ms < 10_000) return (ms / 1000.0).ToString("0.0", s_inv) + "s";
        long s = ms / 1000;
        if (s < 60) return $"{s}s";
        if (s < 3600) return $"{s / 60}m{s % 60:00}s";
        if (s < 86400) return $"{s / 3600}h{s % 3600 / 60:00}m";
        return $"{s / 86400}d{s % 86400 / 3600:00}h";
    }

    /// <summary>A rate: "-" when unknown, "0" when zero, else 0.5 / 12 / 3.4k.</summary>
    public static string Rate(double? perSec)
    {
        if (perSec is not { } r) return "-";
        if (r == 0) return "0";
        if (r < 0.1) return "<0.1"; // rare but not zero: never print it as 0
        if (r < 10) return r.ToString("0.#", s_inv);
        return Count((ulong)Math.Round(r));
    }

    /// <summary>1234 → 1234, 12345 → 12.3k, 1.2M.</summary>
    public static string Count(ulong n) => n switch
    {
        < 10_000 => n.ToString(s_inv),
        < 999_950 => (n / 1000.0).ToString("0.#", s_inv) + "k",       // 999_950 would round to "1000k"
        < 999_950_000 => (n / 1_000_000.0).ToString("0.#", s_inv) + "M",
        _ => (n / 1_000_000_000.0).ToString("0.#", s_inv) + "G",
    };

    public static string Optional(ulong? n) => n is { } v ? Count(v) : "?";

    /// <summary>A fill bar of <paramref name="width"/> cells, e.g. "████░░░░".</summary>
    public static string Bar(double? fill, int width)
    {
        if (fill is not { } f) return new string('?', 1).PadRight(width, ' ');
        int on = (int)Math.Round(Math.Clamp(f, 0, 1) * width);
        if (on == 0 && f > 0) on = 1;
        return new string('█', on) + new string('░', width - on);
    }
}
