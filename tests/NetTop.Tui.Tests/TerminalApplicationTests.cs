using NetTop.Tui.Input;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>
/// The reflection of <see cref="TerminalApplication"/> against the Terminal.Gui that ships with NetTop: when a package
/// update drops or changes a member, these fail, rather than NetTop falling back to the 20 ms poll unnoticed.
/// </summary>
public sealed class TerminalApplicationTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_shipped_Terminal_Gui_has_the_internal_factory_constructor_and_the_create_steps()
    {
        Assert.True(TerminalApplication.MissingMember is null,
            $"Terminal.Gui {TerminalApplication.TerminalGuiVersion}: {TerminalApplication.MissingMember} not found");
    }

    [Fact]
    public void The_application_reads_through_the_polling_input_and_the_idle_pacer_sees_its_bytes()
    {
        using PollingInputTests.Pipe pipe = new();
        using LoopWake wake = new();
        PollingAnsiFactory factory = new(pipe.ReadFd, wake);
        IApplication app = TerminalApplication.Create(factory);
        try
        {
            app.Init();
            PollingInput input = Assert.IsType<PollingInput>(factory.Created);
            var processor = Assert.IsType<AnsiInputProcessor>(app.Driver!.GetInputProcessor());
            Assert.Same(input, processor.InputImpl);
            Assert.Equal("ansi", app.Driver.GetName());

            TimeSpan now = TimeSpan.FromSeconds(100);
            ushort active = Application.MaximumIterationsPerSecond;
            using (IdlePacer pacer = new(app, 5, TimeSpan.FromSeconds(2), () => now))
            {
                now += TimeSpan.FromSeconds(3);
                app.RaiseIteration();
                Assert.True(pacer.Idle);

                // A key typed while the main loop sleeps: the input thread queues it at once, and the next
                // iteration runs at the full rate.
                List<Key> keys = [];
                app.Keyboard.KeyDown += (_, k) => keys.Add(k);
                wake.Reset();
                pipe.Write("j"u8.ToArray());
                // The input thread sets the wake the main loop sleeps on (IdlePacer with a wake).
                Assert.True(wake.Wait((int)Limit.TotalMilliseconds), "the input did not set the loop's wake");
                long end = Environment.TickCount64 + (long)Limit.TotalMilliseconds;
                while (processor.InputQueue.IsEmpty && Environment.TickCount64 < end)
                {
                    Thread.Sleep(5);
                }
                app.RaiseIteration();
                Assert.Equal(active, Application.MaximumIterationsPerSecond);
                processor.ProcessQueue();
                Assert.Equal([Key.J], keys);
            }
        }
        finally
        {
            // Shutdown cancels the input thread's token: the loop must wake from poll() and return.
            Assert.True(EndsWithin(app.Dispose), "the application did not shut down");
        }
        Assert.Equal(InputStop.Cancelled, ((PollingInput)factory.Created!).Stopped);
    }

    private static bool EndsWithin(Action action) => Task.Run(action).Wait(Limit);

    [Fact]
    public void Without_a_terminal_on_stdin_the_stock_application_is_used_without_a_note()
    {
        // The test runner's DisableRealDriverIO=1 (Headless) stands for "no terminal": the stock path, as before.
        using IApplication app = TerminalApplication.CreateAndInit(out string? note, out LoopWake? wake);
        Assert.Null(note);
        Assert.Null(wake); // nothing would set it: the pacer keeps the library's own sleep
        var processor = Assert.IsType<AnsiInputProcessor>(app.Driver!.GetInputProcessor());
        Assert.IsNotType<PollingInput>(processor.InputImpl);
    }
}
