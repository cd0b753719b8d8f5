namespace NetTop.Tui.Input;

/// <summary>
/// What the main loop sleeps on between two iterations when NetTop paces it (<see cref="IdlePacer"/>): set by the
/// input thread when it queues a byte, by Terminal.Gui's timer list when something is added to it (every
/// <c>Invoke</c> from another thread goes through it), by SIGWINCH and by a stop request. Why: Terminal.Gui 2.5
/// sleeps a fixed period with <c>Task.Delay(..).Wait()</c> that nothing can cut short, so an idle loop had to choose
/// between waking often (CPU) and answering late (the first key after a quiet spell); with every source of work
/// able to wake it, the loop can sleep until the next timer is due and still answer a key at once.
/// <para>
/// Set is a volatile write when nobody waits, so the input thread and the timer list may call it freely. The event
/// does not spin (spin count 0): an idle wait goes straight to the kernel, which is the point.
/// </para>
/// </summary>
internal sealed class LoopWake : IDisposable
{
    private readonly ManualResetEventSlim _event = new(initialState: false, spinCount: 0);
    private int _disposed;

    /// <summary>Wakes the loop's current or next wait.</summary>
    public void Set()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _event.Set();
            }
            catch (ObjectDisposedException)
            {
                // a late signal from the input thread while the application shuts down
            }
        }
    }

    /// <summary>Forgets signals given before now; the caller then looks at the work itself before it waits.</summary>
    public void Reset() => _event.Reset();

    /// <summary>Sleeps until <see cref="Set"/> or <paramref name="milliseconds"/>; true when woken by a signal.</summary>
    public bool Wait(int milliseconds) => _event.Wait(milliseconds);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _event.Dispose();
        }
    }
}
