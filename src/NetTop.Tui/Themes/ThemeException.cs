namespace NetTop.Tui.Themes;

/// <summary>A theme file that cannot be used; the message names the file, the JSON path and the bad value.</summary>
public sealed class ThemeException : Exception
{
    public ThemeException(string message) : base(message)
    {
    }

    public ThemeException(string message, Exception inner) : base(message, inner)
    {
    }
}
