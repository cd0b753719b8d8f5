using Terminal.Gui.Drawing;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace NetTop.Tui.Themes;

/// <summary>How rows are marked, independent of colors: the theme maps each to an attribute.</summary>
public enum Severity
{
    Normal,
    /// <summary>Healthy where health is worth saying (a source that is ok).</summary>
    Ok,
    /// <summary>Worth a look: retransmitting handshakes, a degraded source.</summary>
    Warning,
    /// <summary>Losing connections now: a full accept queue, rising drops, an unavailable source.</summary>
    Critical,
    /// <summary>No longer there: a gone listener kept as a tombstone.</summary>
    Dim,
}

/// <summary>A loaded theme: the schemes of the screen's parts and the severity attributes.</summary>
public sealed record Theme
{
    public required string Name { get; init; }
    /// <summary>The whole window (and anything without a scheme of its own).</summary>
    public required Scheme Base { get; init; }
    /// <summary>The header line.</summary>
    public required Scheme Header { get; init; }
    /// <summary>Panel frames (titles, borders, notes inside panels).</summary>
    public required Scheme Panel { get; init; }
    /// <summary>Table cells; Focus is the selected row of the focused table, Active of an unfocused one.</summary>
    public required Scheme Table { get; init; }
    /// <summary>The status line.</summary>
    public required Scheme Status { get; init; }
    public required Attribute Critical { get; init; }
    public required Attribute Warning { get; init; }
    public required Attribute Dim { get; init; }
    public required Attribute Ok { get; init; }

    /// <summary>The attribute for a severity; <see cref="Severity.Normal"/> is the table's normal text.</summary>
    public Attribute For(Severity severity) => severity switch
    {
        Severity.Ok => Ok,
        Severity.Warning => Warning,
        Severity.Critical => Critical,
        Severity.Dim => Dim,
        _ => Table.Normal,
    };
}
