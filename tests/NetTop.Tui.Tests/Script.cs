using Terminal.Gui.App;
using Terminal.Gui.Views;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>
/// Pattern B: drives the real main loop (modals run nested <c>Run</c> loops) one step per iteration. A step
/// returns false to be retried on the next iteration (waiting for a timer or an await to land).
/// </summary>
internal static class Script
{
    public static void Run(IApplication app, Runnable root, params Func<bool>[] steps)
    {
        // An index, not a queue: a step that opens a modal runs the later steps inside the modal's nested loop
        // and returns only when that modal closes.
        int next = 0;
        int iterations = 0;
        bool guardHit = false;
        void OnIteration(object? sender, EventArgs e)
        {
            if (++iterations > 600) // ~25 s at 25 iterations/s
            {
                guardHit = true;
                app.RequestStop();
                return;
            }
            if (next >= steps.Length)
            {
                app.RequestStop(); // the top session: a modal still open closes first, then the root
                return;
            }
            int i = next;
            next = i + 1;
            if (!steps[i]() && next == i + 1)
            {
                next = i; // retry on the next iteration
            }
        }
        app.Iteration += OnIteration;
        try
        {
            app.Run(root);
        }
        finally
        {
            app.Iteration -= OnIteration;
        }
        Assert.False(guardHit, $"script stuck at step {next} of {steps.Length}:\n{Headless.Screen(app)}");
    }

    /// <summary>A step that does something once.</summary>
    public static Func<bool> Do(Action a) => () =>
    {
        a();
        return true;
    };
}
