namespace NetTop.Model;

/// <summary>Where a rate stands (htop's habit: every rate has a state, never a made-up number).</summary>
public enum RateState : byte
{
    NoData,
    /// <summary>One sample: a value but no rate yet.</summary>
    FirstSample,
    Data,
    /// <summary>The counter went down (reset, wrap, namespace re-created): rate restarts from this sample.</summary>
    CounterReset,
}

/// <summary>Turns successive readings of a monotonically increasing counter into a per-second rate.</summary>
public struct RateTracker
{
    private ulong _last;
    private TimeSpan _lastAt;

    public RateState State { get; private set; }
    public double PerSec { get; private set; }

    /// <summary>The rate, or null while there is none (first sample, counter reset).</summary>
    public readonly double? Rate => State == RateState.Data ? PerSec : null;

    public void Update(ulong value, TimeSpan at)
    {
        if (State == RateState.NoData)
        {
            State = RateState.FirstSample;
        }
        else if (value < _last)
        {
            State = RateState.CounterReset;
            PerSec = 0;
        }
        else if (at > _lastAt)
        {
            State = RateState.Data;
            PerSec = (value - _last) / (at - _lastAt).TotalSeconds;
        }
        else if (at < _lastAt)
        {
            return;
        }
        _last = value;
        _lastAt = at;
    }
}
