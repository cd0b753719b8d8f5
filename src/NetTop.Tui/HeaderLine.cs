using NetTop.Tui.Themes;
using Terminal.Gui.ViewBase;

namespace NetTop.Tui;

/// <summary>
/// The top line: what is watched and how (host, namespace, kernel, refresh interval, LIVE/PAUSED/STALE, time) and
/// the breadcrumb of the screen stack. On a narrow screen the kernel goes first, then the breadcrumb is cut from
/// the left ("…› 10.0.0.1:5000 → 10.0.0.2:80"): where you are matters more than where you came from.
/// </summary>
internal sealed class HeaderLine : View
{
    private const string Gap = "  ";
    private string _info = "";
    private string _shortInfo = "";
    private string _crumb = "";

    public HeaderLine(Theme theme)
    {
        SetScheme(theme.Header);
        X = 0;
        Y = 0;
        Width = Dim.Fill();
        Height = 1;
        CanFocus = false;
    }

    /// <summary>The line as last drawn (for tests and the snapshot of a frozen screen).</summary>
    public string Drawn { get; private set; } = "";

    public string Breadcrumb => _crumb;

    public void Set(string info, string shortInfo, string breadcrumb)
    {
        if (info == _info && shortInfo == _shortInfo && breadcrumb == _crumb)
        {
            return;
        }
        _info = info;
        _shortInfo = shortInfo;
        _crumb = breadcrumb;
        SetNeedsDraw();
    }

    /// <summary>Room the breadcrumb keeps beside the full info before the short info is used instead.</summary>
    private const int MinCrumb = 16;

    public static string Fit(string info, string shortInfo, string crumb, int width)
    {
        if (width <= 0)
        {
            return "";
        }
        if (crumb.Length == 0)
        {
            return info.Length <= width ? info : Cut(shortInfo, width);
        }
        // The full info with the whole breadcrumb, or with its tail; else the short info likewise.
        foreach (string head in (ReadOnlySpan<string>)[info, shortInfo])
        {
            int room = width - head.Length - Gap.Length;
            if (crumb.Length <= room)
            {
                return head + Gap + crumb;
            }
            if (room >= MinCrumb || (head == shortInfo && room >= 12))
            {
                return head + Gap + "…" + crumb[^(room - 1)..];
            }
        }
        return Cut(shortInfo, width);
    }

    private static string Cut(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";

    protected override bool OnDrawingContent(DrawContext? context)
    {
        int width = Viewport.Width;
        Drawn = Fit(_info, _shortInfo, _crumb, width);
        SetAttribute(GetAttributeForRole(Terminal.Gui.Drawing.VisualRole.Normal));
        Move(0, 0);
        AddStr(Drawn.PadRight(width));
        return true;
    }
}
