using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Tui.Panels;
using NetTop.Tui.Themes;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace NetTop.Tui.Detail;

/// <summary>The top reset stacks (key `k`): resets grouped by direction, kind, reason and kernel stack; Enter shows a whole stack.</summary>
internal sealed class StacksView : ModalView, ILiveView
{
    public StacksView(Theme theme, HostSnapshot snapshot, Action<Runnable> runModal)
        : base("Top reset stacks", theme, "Enter whole stack  Esc close")
    {
        Panel = new TablePanel<ResetStackRow>(PanelSpecs.Stacks, theme)
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
            Height = Dim.Fill(Footer),
            // The modal's frame already says what this is.
            BorderStyle = Terminal.Gui.Drawing.LineStyle.None,
        };
        Panel.RowActivated += row =>
        {
            ulong key = StableHash.Of(row);
            runModal(new DetailView("Reset stack", theme, Details.Stack(row), s => Details.Stack(s, key)));
        };
        Add(Panel);
        Panel.Show(snapshot);
        Panel.Table.SetFocus();
    }

    internal TablePanel<ResetStackRow> Panel { get; }

    public void Refresh(HostSnapshot snapshot) => Panel.Show(snapshot);

    protected override void OnThemeApplied(Theme theme) => Panel.ApplyTheme(theme);
}
