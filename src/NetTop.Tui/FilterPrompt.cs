using NetTop.Tui.Themes;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace NetTop.Tui;

/// <summary>
/// The `/` prompt: one line over the counters line. The focused panel filters as you type; Enter keeps the filter
/// (an empty line clears it), Esc puts back the filter there was before. A term the panel does not know shows
/// its error beside the prompt and leaves the last good filter in force.
/// </summary>
internal sealed class FilterPrompt : View
{
    private readonly DataLabel _label;
    private readonly DataLabel _error;
    private readonly Field _field;

    public FilterPrompt(Theme theme)
    {
        X = 0;
        Width = Dim.Fill();
        Height = 1;
        Visible = false;
        CanFocus = true;
        SetScheme(theme.Base);
        _label = new DataLabel { X = 0, Y = 0, Height = 1, Width = Dim.Auto() };
        _field = new Field(this) { X = Pos.Right(_label), Y = 0, Width = 40, Height = 1 };
        _field.SetScheme(theme.Table);
        _error = new DataLabel { X = Pos.Right(_field) + 1, Y = 0, Width = Dim.Fill(), Height = 1 };
        _error.SetScheme(theme.Base with { Normal = theme.Warning });
        _field.ValueChanged += (_, _) => Changed?.Invoke(_field.Text);
        Add(_label, _field, _error);
    }

    /// <summary>The text changed (live filtering).</summary>
    public event Action<string>? Changed;

    /// <summary>Enter: the text to keep.</summary>
    public event Action<string>? Committed;

    /// <summary>Esc.</summary>
    public event Action? Cancelled;

    public string Value => _field.Text;

    public string Error => _error.Text;

    public bool IsOpen => Visible;

    public void Open(string panel, string current)
    {
        _label.Text = $"Filter {panel}: /";
        _error.Text = "";
        _field.Text = current;
        Visible = true;
        _field.SetFocus();
        _field.MoveEnd();
    }

    public void Close()
    {
        Visible = false;
        _error.Text = "";
    }

    public void ShowError(string? error) => _error.Text = error ?? "";

    public void ApplyTheme(Theme theme)
    {
        SetScheme(theme.Base);
        _field.SetScheme(theme.Table);
        _error.SetScheme(theme.Base with { Normal = theme.Warning });
    }

    /// <summary>Enter and Esc belong to the prompt, not to the screen behind it (Esc would otherwise do nothing and
    /// Enter would open a detail).</summary>
    private sealed class Field(FilterPrompt owner) : TextField
    {
        protected override bool OnKeyDown(Key key)
        {
            if (key == Key.Enter)
            {
                owner.Committed?.Invoke(Text);
                return true;
            }
            if (key == Key.Esc)
            {
                owner.Cancelled?.Invoke();
                return true;
            }
            return base.OnKeyDown(key);
        }
    }
}
