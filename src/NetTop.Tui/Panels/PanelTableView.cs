using Terminal.Gui.Input;
using Terminal.Gui.Views;

namespace NetTop.Tui.Panels;

/// <summary>
/// A <see cref="TableView"/> that lets printable keys it does not use bubble up to the screen's key bindings.
/// Terminal.Gui 2.5.0's <c>TableView.OnKeyDownNotHandled</c> swallows every printable key while the focused table
/// has no rows (even with <c>CollectionNavigator = null</c>), so `q` did nothing when the focused panel was empty.
/// </summary>
internal sealed class PanelTableView : TableView
{
    public PanelTableView(ITableSource source) : base(source)
    {
    }

    // Type-to-search is off (CollectionNavigator = null), so nothing here needs unbound keys.
    protected override bool OnKeyDownNotHandled(Key key) => false;
}
