using System.Collections.Immutable;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using Terminal.Gui.App;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>
/// The RST feed seen in the demo showing resets ~18 s old while the totals kept rising: the selection (on the
/// newest row) followed its row's key, and every new reset above it pushed the view down one row.
/// </summary>
public sealed class ResetFeedPanelTests
{
    private static ResetRow Reset(int second) =>
        new(Fixtures.ResetEvent(ResetDirection.Sent, ResetKind.Passive, "127.0.0.1:6379", $"127.0.0.1:{50000 + second}", second), 1,
            DateTimeOffset.UnixEpoch.AddDays(20000).AddSeconds(second));

    /// <summary>A snapshot whose feed holds one reset a second from second 1 to <paramref name="last"/>, newest first.</summary>
    private static HostSnapshot Feed(int last) => Fixtures.Empty(last) with
    {
        Resets = [.. Enumerable.Range(1, last).Reverse().Select(Reset)],
        ResetTotals = new ResetTotals(last, 0),
    };

    /// <summary>The RST feed panel's first data row on the screen.</summary>
    private static string FirstFeedRow(IApplication app)
    {
        string[] lines = Headless.Lines(app);
        int title = Array.FindIndex(lines, l => l.Contains("RST feed", StringComparison.Ordinal));
        Assert.True(title >= 0, string.Join('\n', lines));
        return lines[title + 2]; // the title line, the column headers, then the first row
    }

    [Fact]
    public void New_resets_show_at_the_top_while_the_selection_is_on_the_newest_row()
    {
        HostSnapshot current = Feed(1);
        using IApplication app = Headless.Create(120, 40);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => current);
        app.Begin(view);
        view.Pull();
        app.LayoutAndDraw();
        Assert.Contains("127.0.0.1:50001", FirstFeedRow(app));

        for (int second = 2; second <= 20; second++)
        {
            current = Feed(second);
            view.Pull();
            app.LayoutAndDraw();
        }

        Assert.Contains("127.0.0.1:50020", FirstFeedRow(app));
        Assert.Equal(0, view.ResetsTable.RowOffset);
        Assert.Equal(current.Resets[0].Event.Remote, view.ResetsPanel.SelectedRow!.Event.Remote);
    }

    [Fact]
    public void A_selection_moved_down_the_feed_stays_on_its_reset()
    {
        HostSnapshot current = Feed(5);
        using IApplication app = Headless.Create(120, 40);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => current);
        app.Begin(view);
        view.Pull();
        app.LayoutAndDraw();
        view.ResetsTable.SetSelection(0, 2, false); // the reset of second 3
        ResetRow chosen = view.ResetsPanel.SelectedRow!;

        current = Feed(8);
        view.Pull();
        app.LayoutAndDraw();

        Assert.Equal(chosen.Event.Remote, view.ResetsPanel.SelectedRow!.Event.Remote);
    }

    [Fact]
    public void Sorted_by_a_column_the_selection_follows_its_reset()
    {
        HostSnapshot current = Feed(5);
        using IApplication app = Headless.Create(120, 40);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => current);
        app.Begin(view);
        view.Pull();
        app.LayoutAndDraw();
        view.ResetsPanel.ReverseSort(); // oldest first: the first row is no longer the newest
        ResetRow chosen = view.ResetsPanel.SelectedRow!;

        current = Feed(8);
        view.Pull();
        app.LayoutAndDraw();

        Assert.Equal(chosen.Event.Remote, view.ResetsPanel.SelectedRow!.Event.Remote);
    }
}
