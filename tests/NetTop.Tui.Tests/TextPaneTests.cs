using NetTop.Tui.Detail;
using Terminal.Gui.App;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Xunit;

namespace NetTop.Tui.Tests;

public sealed class TextPaneTests
{
    [Fact]
    public void Long_lines_wrap_at_spaces_with_a_hanging_indent_and_data_is_drawn_as_given()
    {
        using IApplication app = Headless.Create(30, 10);
        using Runnable root = new();
        TextPane pane = new(Headless.DefaultTheme) { Width = 20, Height = 8 };
        root.Add(pane);
        pane.SetLines(["short_name ok", "alpha beta gamma delta epsilon zeta", new string('x', 30)]);
        app.Begin(root);
        app.LayoutAndDraw();
        string[] lines = [.. Headless.Lines(app).Take(8).Select(l => l[..20].TrimEnd())];
        Assert.Equal("short_name ok", lines[0]);
        Assert.Equal("alpha beta gamma", lines[1]);
        Assert.Equal("    delta epsilon", lines[2]);
        Assert.Equal("    zeta", lines[3]);
        Assert.Equal(new string('x', 20), lines[4]);
        Assert.Equal("    " + new string('x', 10), lines[5]);
    }
}
