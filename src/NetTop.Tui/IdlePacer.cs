using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;

namespace NetTop.Tui;

/// <summary>
/// Runs Terminal.Gui's main loop slower while nobody types. Why: Terminal.Gui 2.5 sleeps a fixed
/// 1/<see cref="Application.MaximumIterationsPerSecond"/> between two iterations with <c>Task.Delay(..).Wait()</c>
/// (a timer-thread, a pool-worker and a main-thread wake-up each): measured ~0.3 ms of CPU per iteration on this
/// class of VM, at the default 25 Hz about a third of an idle TUI's CPU, while htop wakes once a second
/// (docs/benchmarks.md, tui). The library offers no way to wake that sleep early, so a lower rate for good would
/// make every key wait up to one longer sleep. Instead the loop drops to <see cref="IdleRate"/> only after
/// <see cref="QuietTime"/> without input, and an iteration that starts with input waiting (bytes in the driver's
/// queue, or an escape sequence the parser still holds) switches back to the active rate before the library
/// computes that iteration's sleep: only the first key after a quiet spell waits up to one idle period; the
/// keys after it, a lone Esc's release and a drag are paced as before.
/// </summary>
internal sealed class IdlePacer : IDisposable
{
    private readonly IApplication _app;
    private readonly Func<TimeSpan> _clock;
    private readonly ushort _restore;
    private TimeSpan _lastInput;
    private bool _disposed;

    /// <param name="app">An initialized application (its driver, keyboard and mouse exist).</param>
    /// <param name="idleRate">Iterations per second after <paramref name="quietTime"/> without input.</param>
    /// <param name="quietTime">How long the loop keeps the active rate after the last input.</param>
    /// <param name="clock">Monotonic time; tests pass their own.</param>
    public IdlePacer(IApplication app, ushort idleRate, TimeSpan quietTime, Func<TimeSpan>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentOutOfRangeException.ThrowIfZero(idleRate);
        _app = app;
        _clock = clock ?? (() => TimeSpan.FromMilliseconds(Environment.TickCount64));
        _restore = Application.MaximumIterationsPerSecond;
        ActiveRate = _restore;
        IdleRate = Math.Min(idleRate, ActiveRate);
        QuietTime = quietTime;
        _lastInput = _clock(); // start-up (first draw, the terminal's answers to the driver's queries) counts as input
        app.Iteration += OnIteration;
        app.Keyboard.KeyDown += OnKey;
        app.Mouse.MouseEvent += OnMouse;
    }

    /// <summary>The rate while input comes in: the one set when the pacer was made (Terminal.Gui's 25 by default).</summary>
    public ushort ActiveRate { get; }

    public ushort IdleRate { get; }

    public TimeSpan QuietTime { get; }

    /// <summary>True while the loop runs at <see cref="IdleRate"/>.</summary>
    public bool Idle => Application.MaximumIterationsPerSecond == IdleRate && IdleRate != ActiveRate;

    /// <summary>
    /// Raised at the start of every iteration, before the library reads the rate for that iteration's sleep.
    /// </summary>
    private void OnIteration(object? sender, EventArgs<IApplication?> e)
    {
        TimeSpan now = _clock();
        if (InputWaiting())
        {
            _lastInput = now;
        }
        Application.MaximumIterationsPerSecond = now - _lastInput >= QuietTime ? IdleRate : ActiveRate;
    }

    private void OnKey(object? sender, Key e) => _lastInput = _clock();

    private void OnMouse(object? sender, Mouse e) => _lastInput = _clock();

    private bool InputWaiting()
    {
        IInputProcessor? processor = _app.Driver?.GetInputProcessor();
        return processor switch
        {
            null => false,
            // The ansi driver (NetTop's on Linux) and the dotnet one: what the input thread queued since the
            // last iteration. Other drivers still count through the key and mouse events.
            InputProcessorImpl<char> ansi when !ansi.InputQueue.IsEmpty => true,
            InputProcessorImpl<ConsoleKeyInfo> net when !net.InputQueue.IsEmpty => true,
            // A lone Esc or a split sequence waits in the parser until a later iteration releases it.
            _ => processor.GetParser().State != AnsiResponseParserState.Normal,
        };
    }

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
        Application.MaximumIterationsPerSecond = _restore;
    }
}
