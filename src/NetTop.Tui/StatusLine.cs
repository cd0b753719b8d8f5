using System.Collections.Immutable;
using System.Text;
using NetTop.Model;
using NetTop.Tui.Themes;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace NetTop.Tui;

/// <summary>
/// The bottom line: every source's health in its color and the key hints; when a source is not ok a second line
/// says why and how to fix it (degrade visibly: a missing capability must not look like an idle host).
/// </summary>
internal sealed class StatusLine : View
{
    private Theme _theme;
    private ImmutableArray<SourceStatus> _sources = [];
    private string _hints = "";
    private string? _note;

    public StatusLine(Theme theme)
    {
        _theme = theme;
        SetScheme(theme.Status);
        X = 0;
        Y = Pos.AnchorEnd();
        Width = Dim.Fill();
        Height = 1;
        CanFocus = false;
    }

    /// <summary>Hints shown instead of the short ones when the line has room for them and 40 columns of sources.</summary>
    public string? WideHints { get; set; }

    /// <summary>The hints as last drawn.</summary>
    public string DrawnHints { get; private set; } = "";

    public void ApplyTheme(Theme theme)
    {
        _theme = theme;
        SetScheme(theme.Status);
        SetNeedsDraw();
    }

    /// <summary>The second line, or null when every source is ok.</summary>
    public string? DetailLine { get; private set; }

    public void Set(ImmutableArray<SourceStatus> sources, string hints, string? note)
    {
        sources = sources.IsDefault ? [] : sources;
        if (hints == _hints && note == _note && sources.SequenceEqual(_sources))
        {
            return; // every tick sets the line; unchanged, it is not drawn again
        }
        _sources = sources;
        _hints = hints;
        _note = note;
        StringBuilder detail = new();
        foreach (SourceStatus s in _sources)
        {
            if (s.Health == SourceHealth.Ok)
            {
                continue;
            }
            if (detail.Length > 0)
            {
                detail.Append("; ");
            }
            detail.Append(s.Name).Append(": ").Append(s.DetailWithFix);
        }
        DetailLine = detail.Length > 0 ? detail.ToString() : null;
        int height = DetailLine is null ? 1 : 2;
        if (Frame.Height != height)
        {
            // Terminal.Gui 2.5 clears and redraws the whole screen after any Height assignment, even an equal one.
            Height = height;
        }
        SetNeedsDraw();
    }

    protected override bool OnDrawingContent(DrawContext? context)
    {
        int width = Viewport.Width;
        Attribute normal = _theme.Status.Normal;
        SetAttribute(normal);
        Move(0, 0);
        AddStr(new string(' ', width));
        if (Viewport.Height > 1)
        {
            Move(0, 1);
            AddStr(new string(' ', width));
        }

        // Hints sit at the right; sources fill from the left and are cut before them.
        string hints = WideHints is { } wide && width - wide.Length >= 40 ? wide : _hints;
        DrawnHints = hints;
        int hintsX = Math.Max(0, width - hints.Length);
        int x = 0;
        Move(0, 0);
        if (_note is not null)
        {
            x = Put(x, hintsX, _note, normal);
        }
        int room = hintsX - 1 - x;
        int needed = _sources.Sum(s => s.Name.Length + 1 + s.HealthText.Length + 2);
        if (needed > room && _sources.All(s => s.Health == SourceHealth.Ok) && _sources.Length > 0)
        {
            // Narrow screen, nothing wrong: one short phrase instead of a list cut mid-name.
            x = Put(x, hintsX, x == 0 ? "" : "  ", normal);
            x = Put(x, hintsX, $"all {_sources.Length} sources ok", _theme.For(Severity.Ok) with { Background = normal.Background });
        }
        else
        {
            // What is wrong first (unavailable, degraded), so a narrow screen cuts healthy sources, not broken ones.
            foreach (SourceStatus s in _sources.OrderByDescending(s => s.Health))
            {
                x = Put(x, hintsX, x == 0 ? s.Name + " " : "  " + s.Name + " ", normal);
                x = Put(x, hintsX, s.HealthText, _theme.For(Health(s.Health)) with { Background = normal.Background });
            }
        }
        Move(hintsX, 0);
        SetAttribute(normal);
        AddStr(Fit(hints, width));

        if (DetailLine is not null && Viewport.Height > 1)
        {
            Move(0, 1);
            SetAttribute(_theme.Warning with { Background = normal.Background });
            AddStr(Fit(DetailLine, width));
        }
        return true;
    }

    private int Put(int x, int limit, string text, Attribute attr)
    {
        if (x >= limit - 1)
        {
            return x;
        }
        string t = Fit(text, limit - 1 - x);
        Move(x, 0);
        SetAttribute(attr);
        AddStr(t);
        return x + t.Length;
    }

    private static string Fit(string text, int width) =>
        width <= 0 ? "" : text.Length <= width ? text : text[..Math.Max(0, width - 1)] + "…";

    private static Severity Health(SourceHealth h) => h switch
    {
        SourceHealth.Ok => Severity.Ok,
        SourceHealth.Degraded => Severity.Warning,
        _ => Severity.Critical,
    };
}
