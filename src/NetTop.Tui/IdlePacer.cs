using System.Diagnostics;
using System.Runtime.InteropServices;
using NetTop.Tui.Input;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;

namespace NetTop.Tui;

/// <summary>
/// Paces Terminal.Gui's main loop. Why: Terminal.Gui 2.5 sleeps a fixed 1/<see cref="Application.MaximumIterationsPerSecond"/>
/// between two iterations with <c>Task.Delay(..).Wait()</c> (a timer-thread, a pool-worker and a main-thread wake-up
/// each): measured ~0.3 ms of CPU per iteration on this class of VM, at the default 25 Hz about a third of an idle
/// TUI's CPU, while htop wakes once a second (docs/benchmarks.md, tui). That sleep cannot be woken early, so
/// slowing it down for good would make every key wait up to one longer sleep.
/// <para>
/// <b>With a <see cref="LoopWake"/></b> (NetTop's own polling input is reading the terminal) the pacer does the
/// sleeping itself, in the <c>Iteration</c> event the library raises before each iteration, and sets the library's
/// rate so high that its own sleep is skipped. It sleeps until the first of: a key or mouse byte queued by the input
/// thread, anything added to the timer list (an <c>Invoke</c> from another thread, a new timeout), SIGWINCH, a stop
/// request (<see cref="Wake"/>), the next timer falling due, or a cap: one frame (1/<see cref="ActiveRate"/>) while
/// input came in the last <see cref="QuietTime"/> or the parser holds a lone Esc, else 1/<see cref="IdleRate"/>.
/// Iterations still start at least one frame apart, as the library's own pacing had them, so a burst of events is
/// handled in frames, not one iteration each. An idle screen then wakes for its refresh timer and the cap only,
/// on one thread, and the first key after a quiet spell is handled at once.
/// </para>
/// <para>
/// <b>Without one</b> (the stock input, headless tests) the pacer only lowers the library's rate to
/// <see cref="IdleRate"/> after <see cref="QuietTime"/> without input, and an iteration that starts with input
/// waiting (bytes in the driver's queue, or an escape sequence the parser still holds) switches back to the active
/// rate before the library computes that iteration's sleep: only the first key after a quiet spell waits up to one
/// idle period.
/// </para>
/// </summary>
internal sealed class IdlePacer : IDisposable
{
    /// <summary>A rate at which the library's per-iteration sleep is 1000 / rate = 0 ms, so it sleeps not at all.</summary>
    internal const ushort Unthrottled = 10_000;

    private readonly IApplication _app;
    private readonly Func<TimeSpan> _clock;
    private readonly ushort _restore;
    private readonly LoopWake? _wake;
    private readonly Func<int, bool> _wait;
    private readonly Action<int> _sleep;
    private readonly ITimedEvents? _timers;
    private readonly PosixSignalRegistration? _winch;
    private TimeSpan _lastInput;
    private TimeSpan? _lastStart;
    private bool _disposed;

    /// <param name="app">An initialized application (its driver, keyboard and mouse exist).</param>
    /// <param name="idleRate">Iterations per second after <paramref name="quietTime"/> without input (with a
    /// <paramref name="wake"/>: at most, plus one per event).</param>
    /// <param name="quietTime">How long the loop keeps the active rate after the last input.</param>
    /// <param name="clock">Monotonic time; tests pass their own.</param>
    /// <param name="wake">The signal the input sets; null for the stock input (rate switching only).</param>
    /// <param name="wait">Sleeps on <paramref name="wake"/> for the given milliseconds, true when woken by it; tests
    /// pass their own.</param>
    /// <param name="sleep">Sleeps the given milliseconds regardless of signals (the frame floor).</param>
    public IdlePacer(IApplication app, ushort idleRate, TimeSpan quietTime, Func<TimeSpan>? clock = null,
        LoopWake? wake = null, Func<int, bool>? wait = null, Action<int>? sleep = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentOutOfRangeException.ThrowIfZero(idleRate);
        _app = app;
        _clock = clock ?? (static () => Stopwatch.GetElapsedTime(0));
        _restore = Application.MaximumIterationsPerSecond;
        ActiveRate = Math.Clamp(_restore, (ushort)1, (ushort)1000);
        IdleRate = Math.Min(idleRate, ActiveRate);
        QuietTime = quietTime;
        _lastInput = _clock(); // start-up (first draw, the terminal's answers to the driver's queries) counts as input
        _wake = wake;
        _wait = wait ?? (wake is null ? static _ => false : wake.Wait);
        _sleep = sleep ?? Thread.Sleep;
        if (wake is not null)
        {
            _timers = app.TimedEvents;
            if (_timers is not null)
            {
                _timers.Added += OnTimerAdded;
            }
            try
            {
                _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, OnResize);
            }
            catch (Exception e) when (e is PlatformNotSupportedException or IOException)
            {
                _winch = null; // a resize is then seen at the next iteration, within one idle period
            }
        }
        app.Iteration += OnIteration;
        app.Keyboard.KeyDown += OnKey;
        app.Mouse.MouseEvent += OnMouse;
    }

    /// <summary>The rate while input comes in: the one set when the pacer was made (Terminal.Gui's 25 by default).</summary>
    public ushort ActiveRate { get; }

    public ushort IdleRate { get; }

    public TimeSpan QuietTime { get; }

    /// <summary>True when the loop sleeps on a <see cref="LoopWake"/> instead of the library's fixed sleep.</summary>
    public bool Wakeable => _wake is not null;

    /// <summary>True while the loop runs at <see cref="IdleRate"/>.</summary>
    public bool Idle => IdleRate != ActiveRate && (_wake is null
        ? Application.MaximumIterationsPerSecond == IdleRate
        : _clock() - _lastInput >= QuietTime);

    /// <summary>How long the last iteration's sleep was allowed to be, for tests; -1 before the first.</summary>
    internal int LastTimeout { get; private set; } = -1;

    /// <summary>Ends the current sleep at once (a stop request from another thread). No-op without a wake.</summary>
    public void Wake() => _wake?.Set();

    /// <summary>
    /// Raised at the start of every iteration, before the library reads the rate for that iteration's sleep.
    /// </summary>
    private void OnIteration(object? sender, EventArgs<IApplication?> e)
    {
        if (_wake is not null)
        {
            SleepUntilWork();
            return;
        }
        TimeSpan now = _clock();
        if (InputWaiting())
        {
            _lastInput = now;
        }
        Application.MaximumIterationsPerSecond = now - _lastInput >= QuietTime ? IdleRate : ActiveRate;
    }

    private void SleepUntilWork()
    {
        Application.MaximumIterationsPerSecond = Unthrottled;
        // Signals before this point are forgotten: the checks below see the work they announced.
        _wake!.Reset();
        TimeSpan now = _clock();
        bool queued = InputQueued();
        bool held = ParserHolds();
        if (queued || held)
        {
            _lastInput = now;
        }
        int frame = 1000 / ActiveRate;
        int timeout = queued ? 0 : held || now - _lastInput < QuietTime ? frame : 1000 / IdleRate;
        if (timeout > 0 && _timers is TimedEvents timers && timers.CheckTimers(out int due))
        {
            // CheckTimers rounds down: one more millisecond so the timer is due when the loop runs it.
            timeout = Math.Min(timeout, due == 0 ? 0 : due + 1);
        }
        LastTimeout = timeout;
        bool woken = timeout > 0 && _wait(timeout);
        if (timeout == 0 || woken)
        {
            // Work came before the frame ended: keep iterations one frame apart, as the library's sleep did.
            int left = _lastStart is { } last ? frame - (int)(_clock() - last).TotalMilliseconds : 0;
            if (left > 0)
            {
                _sleep(left);
            }
        }
        _lastStart = _clock();
    }

    private void OnTimerAdded(object? sender, TimeoutEventArgs e) => _wake?.Set();

    private void OnResize(PosixSignalContext context) => _wake?.Set();

    private void OnKey(object? sender, Key e) => _lastInput = _clock();

    private void OnMouse(object? sender, Mouse e) => _lastInput = _clock();

    private bool InputWaiting() => InputQueued() || ParserHolds();

    /// <summary>What the input thread queued since the last iteration: the ansi driver (NetTop's on Linux) and
    /// the dotnet one. Other drivers still count through the key and mouse events.</summary>
    private bool InputQueued() => _app.Driver?.GetInputProcessor() switch
    {
        InputProcessorImpl<char> ansi => !ansi.InputQueue.IsEmpty,
        InputProcessorImpl<ConsoleKeyInfo> net => !net.InputQueue.IsEmpty,
        _ => false,
    };

    /// <summary>A lone Esc or a split sequence waits in the parser until a later iteration releases it.</summary>
    private bool ParserHolds() =>
        _app.Driver?.GetInputProcessor() is { } processor && processor.GetParser().State != AnsiResponseParserState.Normal;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _app.Iteration -= OnIteration;
        _app.Keyboard.KeyDown -= OnKey;
        _app.Mouse.MouseEvent -= OnMouse;
        if (_timers is not null)
        {
            _timers.Added -= OnTimerAdded;
        }
        _winch?.Dispose();
        Application.MaximumIterationsPerSecond = _restore;
    }
}
