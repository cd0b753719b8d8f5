using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>
/// The pacer decides at the start of each iteration (Iteration event), so the tests raise that event themselves with
/// a clock they move, and put bytes where the ansi driver's input thread puts them.
/// </summary>
public sealed class IdlePacerTests
{
    private TimeSpan _now = TimeSpan.FromSeconds(100);

    private IdlePacer Pacer(IApplication app, ushort idle = 5) =>
        new(app, idle, TimeSpan.FromSeconds(2), () => _now);

    private static ConcurrentQueueOf Input(IApplication app) =>
        new((InputProcessorImpl<char>)app.Driver!.GetInputProcessor());

    [Fact]
    public void Slows_down_after_the_quiet_time_and_speeds_up_when_input_waits()
    {
        using IApplication app = Headless.Create(80, 24);
        ushort before = Application.MaximumIterationsPerSecond;
        using (IdlePacer pacer = Pacer(app))
        {
            app.RaiseIteration();
            Assert.Equal(before, Application.MaximumIterationsPerSecond);
            Assert.False(pacer.Idle);

            _now += TimeSpan.FromSeconds(1.9);
            app.RaiseIteration();
            Assert.Equal(before, Application.MaximumIterationsPerSecond);

            _now += TimeSpan.FromSeconds(0.2);
            app.RaiseIteration();
            Assert.Equal(5, Application.MaximumIterationsPerSecond);
            Assert.True(pacer.Idle);

            // A key read by the input thread, not processed yet: this iteration must not sleep an idle period.
            ConcurrentQueueOf input = Input(app);
            input.Queue.Enqueue('j');
            app.RaiseIteration();
            Assert.Equal(before, Application.MaximumIterationsPerSecond);
            input.Processor.ProcessQueue();

            _now += TimeSpan.FromSeconds(1.5);
            app.RaiseIteration();
            Assert.Equal(before, Application.MaximumIterationsPerSecond);
            _now += TimeSpan.FromSeconds(0.6);
            app.RaiseIteration();
            Assert.Equal(5, Application.MaximumIterationsPerSecond);
        }
        Assert.Equal(before, Application.MaximumIterationsPerSecond);
    }

    [Fact]
    public void A_lone_escape_held_by_the_parser_keeps_the_full_rate_until_it_is_released()
    {
        using IApplication app = Headless.Create(80, 24);
        ushort before = Application.MaximumIterationsPerSecond;
        using IdlePacer pacer = Pacer(app);
        List<Key> keys = [];
        app.Keyboard.KeyDown += (_, k) => keys.Add(k);
        ConcurrentQueueOf input = Input(app);

        input.Queue.Enqueue('\u001b');
        input.Processor.ProcessQueue(); // the parser holds Esc: it may start a sequence
        Assert.Empty(keys);
        Assert.NotEqual(AnsiResponseParserState.Normal, input.Processor.GetParser().State);

        _now += TimeSpan.FromSeconds(10);
        app.RaiseIteration();
        Assert.Equal(before, Application.MaximumIterationsPerSecond);
        Assert.False(pacer.Idle);
    }

    [Fact]
    public void Key_and_mouse_events_count_as_input()
    {
        using IApplication app = Headless.Create(80, 24);
        ushort before = Application.MaximumIterationsPerSecond;
        using IdlePacer pacer = Pacer(app);
        _now += TimeSpan.FromSeconds(3);
        app.RaiseIteration();
        Assert.True(pacer.Idle);

        app.Keyboard.RaiseKeyDownEvent(Key.Z);
        app.RaiseIteration();
        Assert.Equal(before, Application.MaximumIterationsPerSecond);

        _now += TimeSpan.FromSeconds(3);
        app.RaiseIteration();
        Assert.True(pacer.Idle);
        app.GetInputInjector().InjectMouse(new Mouse { ScreenPosition = new(3, 3), Flags = MouseFlags.LeftButtonPressed });
        app.RaiseIteration();
        Assert.Equal(before, Application.MaximumIterationsPerSecond);
    }

    [Fact]
    public void Never_runs_faster_than_the_rate_it_found_and_stops_pacing_when_disposed()
    {
        using IApplication app = Headless.Create(80, 24);
        ushort before = Application.MaximumIterationsPerSecond;
        IdlePacer pacer = Pacer(app, idle: 1000);
        Assert.Equal(before, pacer.IdleRate);
        pacer.Dispose();

        using IdlePacer slow = Pacer(app);
        slow.Dispose();
        _now += TimeSpan.FromSeconds(3);
        app.RaiseIteration(); // unsubscribed: no longer changes the rate
        Assert.Equal(before, Application.MaximumIterationsPerSecond);
    }

    private sealed record ConcurrentQueueOf(InputProcessorImpl<char> Processor)
    {
        public System.Collections.Concurrent.ConcurrentQueue<char> Queue => Processor.InputQueue;
    }
}
