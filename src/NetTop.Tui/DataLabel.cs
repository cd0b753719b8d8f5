using System.Text;
using Terminal.Gui.Views;

namespace NetTop.Tui;

/// <summary>
/// A label for data text (host names, kernel reasons, counters). Terminal.Gui treats '_' in a label's text as a
/// hotkey marker: it hides the underscore ("sock_diag" drew as "sockdiag") and binds the next letter as a
/// hotkey. Data must be drawn as given, so hotkeys are off.
/// </summary>
internal sealed class DataLabel : Label
{
    public DataLabel()
    {
        // 0xFFFF is the documented "no hotkey specifier" value (View.HotKeySpecifier).
        HotKeySpecifier = new Rune(0xFFFF);
    }
}
