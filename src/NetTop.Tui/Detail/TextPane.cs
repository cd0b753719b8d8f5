using NetTop.Tui.Themes;
using Terminal.Gui.Drawing;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace NetTop.Tui.Detail;

/// <summary>
/// Lines of data text, drawn as given (no hotkeys, no markup), wrapped at the width with a hanging indent and
/// scrolled with the arrow keys, PageUp/PageDown, Home/End. With <see cref="Follow"/> it stays at the end while
/// lines are added (a live trace), until the user scrolls up.
/// </summary>
internal sealed class TextPane : View
{
    private const string Continuation = "    ";
    private Theme _theme;
    private IReadOnlyList<string> _lines = [];
    private List<(string Text, bool Problem)> _wrapped = [];
    private int _wrappedWidth = -1;
    private int _offset;
    private int _problemLines;

    public TextPane(Theme theme)
    {
        _theme = theme;
        CanFocus = true;
        AddCommand(Command.Up, () => ScrollBy(-1));
        AddCommand(Command.Down, () => ScrollBy(1));
        AddCommand(Command.PageUp, () => ScrollBy(-Math.Max(1, Viewport.Height - 1)));
        AddCommand(Command.PageDown, () => ScrollBy(Math.Max(1, Viewport.Height - 1)));
        AddCommand(Command.Start, () => ScrollTo(0));
        AddCommand(Command.End, () => ScrollTo(int.MaxValue));
        KeyBindings.ReplaceCommands(Key.CursorUp, Command.Up);
        KeyBindings.ReplaceCommands(Key.CursorDown, Command.Down);
        KeyBindings.ReplaceCommands(Key.PageUp, Command.PageUp);
        KeyBindings.ReplaceCommands(Key.PageDown, Command.PageDown);
        KeyBindings.ReplaceCommands(Key.Home, Command.Start);
        KeyBindings.ReplaceCommands(Key.End, Command.End);
    }

    /// <summary>A new theme (`T`): the problem lines' color comes from it.</summary>
    public void ApplyTheme(Theme theme)
    {
        _theme = theme;
        SetNeedsDraw();
    }

    /// <summary>Keep the end in view as lines are added (until the user scrolls away from it).</summary>
    public bool Follow { get; set; }

    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Replaces the text; the first <paramref name="problemLines"/> lines are drawn in the warning color.</summary>
    public void SetLines(IReadOnlyList<string> lines, int problemLines = 0)
    {
        bool atEnd = _offset >= MaxOffset();
        _lines = lines;
        _problemLines = problemLines;
        _wrappedWidth = -1;
        if (Follow && atEnd)
        {
            _offset = int.MaxValue;
        }
        SetNeedsDraw();
    }

    /// <summary>The whole text, one line per line (for tests and snapshots).</summary>
    public override string ToString() => string.Join('\n', _lines);

    protected override bool OnDrawingContent(DrawContext? context)
    {
        Wrap(Viewport.Width);
        _offset = Math.Clamp(_offset, 0, MaxOffset());
        Attribute normal = GetAttributeForRole(VisualRole.Normal);
        Attribute problem = _theme.Warning with { Background = normal.Background };
        for (int y = 0; y < Viewport.Height; y++)
        {
            Move(0, y);
            int i = _offset + y;
            (string text, bool isProblem) = i < _wrapped.Count ? _wrapped[i] : ("", false);
            SetAttribute(isProblem ? problem : normal);
            AddStr(text.PadRight(Viewport.Width));
        }
        return true;
    }

    private bool ScrollBy(int delta) => ScrollTo(Math.Clamp(_offset, 0, MaxOffset()) + delta);

    private bool ScrollTo(int offset)
    {
        _offset = Math.Clamp(offset, 0, MaxOffset());
        SetNeedsDraw();
        return true;
    }

    private int MaxOffset()
    {
        Wrap(Viewport.Width);
        return Math.Max(0, _wrapped.Count - Viewport.Height);
    }

    private void Wrap(int width)
    {
        if (width == _wrappedWidth)
        {
            return;
        }
        _wrappedWidth = width;
        _wrapped = [];
        for (int n = 0; n < _lines.Count; n++)
        {
            string line = _lines[n];
            bool isProblem = n < _problemLines;
            if (width <= Continuation.Length + 1 || line.Length <= width)
            {
                _wrapped.Add((line, isProblem));
                continue;
            }
            // Break at the last space that keeps at least half a line, else hard at the width.
            int first = Break(line, 0, width);
            _wrapped.Add((line[..first].TrimEnd(), isProblem));
            int room = width - Continuation.Length;
            for (int at = SkipSpaces(line, first); at < line.Length;)
            {
                int end = Break(line, at, room);
                _wrapped.Add((Continuation + line[at..end].TrimEnd(), isProblem));
                at = SkipSpaces(line, end);
            }
        }
    }

    private static int Break(string line, int start, int width)
    {
        int end = start + width;
        if (end >= line.Length)
        {
            return line.Length;
        }
        int space = line.LastIndexOf(' ', end, width / 2);
        return space > start ? space : end;
    }

    private static int SkipSpaces(string line, int at)
    {
        while (at < line.Length && line[at] == ' ')
        {
            at++;
        }
        return at;
    }
}
