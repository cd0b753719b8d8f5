using NetTop.Tui.Input;
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

    /// <summary>A pacer sleeping on a wake, with the sleeps recorded instead of slept.</summary>
    private sealed class Recorder
    {
        public List<int> Waits { get; } = [];
        public List<int> Sleeps { get; } = [];
        public bool WokenBy { get; set; }
        public TimeSpan Spent { get; set; }
    }

    private IdlePacer Wakeable(IApplication app, LoopWake wake, Recorder r) =>
        new(app, 5, TimeSpan.FromSeconds(2), () => _now, wake,
            wait: ms => { r.Waits.Add(ms); _now += r.WokenBy ? r.Spent : TimeSpan.FromMilliseconds(ms); return r.WokenBy; },
            sleep: ms => { r.Sleeps.Add(ms); _now += TimeSpan.FromMilliseconds(ms); });

    [Fact]
    public void With_a_wake_the_library_sleep_is_skipped_and_the_pacer_sleeps_one_frame_then_one_idle_period()
    {
        using IApplication app = Headless.Create(80, 24);
        ushort before = Application.MaximumIterationsPerSecond;
        using LoopWake wake = new();
        Recorder r = new();
        using (IdlePacer pacer = Wakeable(app, wake, r))
        {
            Assert.True(pacer.Wakeable);
            app.RaiseIteration();
            // The library computes 1000 / rate = 0 ms for its own sleep: only the pacer sleeps.
            Assert.Equal(IdlePacer.Unthrottled, Application.MaximumIterationsPerSecond);
            Assert.Equal(0, 1000 / Application.MaximumIterationsPerSecond);
            Assert.Equal([1000 / before], r.Waits); // start-up counts as input: one frame

            _now += TimeSpan.FromSeconds(3);
            app.RaiseIteration();
            Assert.True(pacer.Idle);
            Assert.Equal(200, r.Waits[^1]); // 1 / IdleRate
            Assert.Empty(r.Sleeps); // timed out: no floor needed
        }
        Assert.Equal(before, Application.MaximumIterationsPerSecond);
    }

    [Fact]
    public void With_a_wake_queued_input_is_handled_without_waiting_but_iterations_stay_one_frame_apart()
    {
        using IApplication app = Headless.Create(80, 24);
        ushort before = Application.MaximumIterationsPerSecond;
        using LoopWake wake = new();
        Recorder r = new();
        using IdlePacer pacer = Wakeable(app, wake, r);
        _now += TimeSpan.FromSeconds(3);
        app.RaiseIteration(); // idle: waited 200 ms, started at _now
        int waits = r.Waits.Count;

        // A key queued long after the last iteration started: no wait, no floor.
        ConcurrentQueueOf input = Input(app);
        _now += TimeSpan.FromSeconds(1);
        input.Queue.Enqueue('j');
        app.RaiseIteration();
        Assert.Equal(waits, r.Waits.Count);
        Assert.Empty(r.Sleeps);
        Assert.False(pacer.Idle);
        input.Processor.ProcessQueue();

        // The next key 10 ms after that iteration started: it waits out the rest of the frame.
        _now += TimeSpan.FromMilliseconds(10);
        input.Queue.Enqueue('k');
        app.RaiseIteration();
        Assert.Equal([1000 / before - 10], r.Sleeps);
        input.Processor.ProcessQueue();

        // Woken by a signal 5 ms into a frame wait: the floor sleeps the rest of the frame.
        r.Sleeps.Clear();
        r.WokenBy = true;
        r.Spent = TimeSpan.FromMilliseconds(5);
        app.RaiseIteration();
        Assert.Equal(1000 / before, r.Waits[^1]);
        Assert.Equal([1000 / before - 5], r.Sleeps);
    }

    [Fact]
    public void With_a_wake_the_sleep_ends_at_the_next_timer_and_a_held_escape_keeps_frames()
    {
        using IApplication app = Headless.Create(80, 24);
        using LoopWake wake = new();
        Recorder r = new();
        using IdlePacer pacer = Wakeable(app, wake, r);
        _now += TimeSpan.FromSeconds(3);
        object? timer = app.AddTimeout(TimeSpan.FromMilliseconds(120), () => true);
        try
        {
            app.RaiseIteration();
            Assert.InRange(r.Waits[^1], 0, 121); // not the 200 ms idle period: the timer is due first
        }
        finally
        {
            app.RemoveTimeout(timer!);
        }

        ConcurrentQueueOf input = Input(app);
        input.Queue.Enqueue('\u001b');
        input.Processor.ProcessQueue(); // the parser holds Esc until a later iteration releases it
        _now += TimeSpan.FromSeconds(10);
        app.RaiseIteration();
        Assert.Equal(1000 / pacer.ActiveRate, r.Waits[^1]);
    }

    [Fact]
    public void The_wake_is_set_by_a_timeout_or_invoke_added_from_another_thread_and_by_a_stop_request()
    {
        using IApplication app = Headless.Create(80, 24);
        using LoopWake wake = new();
        using IdlePacer pacer = new(app, 5, TimeSpan.FromSeconds(2), () => _now, wake);

        wake.Reset();
        Assert.True(OnAnotherThread(() => app.Invoke(() => { })));
        Assert.True(wake.Wait(0), "an Invoke from another thread did not set the wake");

        wake.Reset();
        object? timer = app.AddTimeout(TimeSpan.FromMinutes(1), () => false);
        Assert.True(wake.Wait(0), "a new timeout did not set the wake");
        app.RemoveTimeout(timer!);

        wake.Reset();
        pacer.Wake();
        Assert.True(wake.Wait(0));

        pacer.Dispose();
        wake.Reset();
        Assert.True(OnAnotherThread(() => app.Invoke(() => { })));
        Assert.False(wake.Wait(0), "a disposed pacer still listens to the timer list");
    }

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static bool OnAnotherThread(Action action)
    {
        Thread thread = new(() => action()) { IsBackground = true };
        thread.Start();
        return thread.Join(Limit);
    }

    private sealed record ConcurrentQueueOf(InputProcessorImpl<char> Processor)
    {
        public System.Collections.Concurrent.ConcurrentQueue<char> Queue => Processor.InputQueue;
    }
}
