using System.Globalization;
using NetTop.Capture.Replay;
using NetTop.Cli;
using NetTop.Tui;
using NetTop.Tui.Themes;

namespace NetTop.Modes;

/// <summary>The replay TUI: the live screen, fed by a <see cref="ReplayPlayer"/> instead of the hub's timer.</summary>
internal static class ReplayTui
{
    public static async Task<int> RunAsync(ReplayHub hub, AppOptions options, double speed, CancellationToken ct)
    {
        if (Console.IsOutputRedirected || Console.IsInputRedirected)
        {
            throw new UsageException("the replay view needs a terminal; without one use `nettop replay DIR --batch` or `--snapshot --json`");
        }
        ReplayPlayer player = new(hub, speed);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task play = Task.Run(() => player.RunAsync(stop.Token), CancellationToken.None);
        try
        {
            return TuiApp.Run(new TuiOptions
            {
                // The screen pulls often (cheap: it redraws only on a new snapshot) so fast replays show every tick.
                RefreshInterval = TimeSpan.FromMilliseconds(100),
                RefreshLabel = UiText.Interval(hub.Meta.TickInterval) + " (recorded)",
                ThemePath = options.ThemePath,
                IdleIterationsPerSecond = options.IdleRate,
                SaveSnapshot = (snapshot, screen) => SnapshotFiles.Save(options.SnapshotDirectory, snapshot, screen),
                ExtraKeys = player.Keys,
                ModeText = player.ModeText,
            }, () => hub.Latest.Sequence == 0 ? null : hub.Latest, stop.Token);
        }
        catch (ThemeException e)
        {
            throw new UsageException($"config: Theme: {e.Message}");
        }
        finally
        {
            await stop.CancelAsync();
            await play.ConfigureAwait(false);
        }
    }

    private static class UiText
    {
        public static string Interval(TimeSpan t) => t.TotalSeconds.ToString("0.0##", CultureInfo.InvariantCulture) + "s";
    }
}

/// <summary>
/// Paces a replay: steps the <see cref="ReplayHub"/> at the recorded spacing divided by the speed, or one tick per
/// `n`; `p`/Space pause, `+`/`-` double or halve the speed. Keys run on the UI thread and only set state and wake
/// the player's task, which does the stepping.
/// </summary>
internal sealed class ReplayPlayer(ReplayHub hub, double speed)
{
    public const double MinSpeed = 0.1;
    public const double MaxSpeed = 100;

    private readonly SemaphoreSlim _wake = new(0);
    private volatile bool _paused;
    private volatile bool _stepRequested;
    private double _speed = speed;

    public bool Paused => _paused;
    public double Speed => Volatile.Read(ref _speed);

    public IReadOnlyList<TuiKey> Keys =>
    [
        new TuiKey('p', "pause / resume the replay", TogglePause),
        new TuiKey(' ', "pause / resume the replay", TogglePause),
        new TuiKey('n', "next recorded tick (pauses)", Step),
        new TuiKey('+', "replay twice as fast (up to ×100)", () => SetSpeed(Speed * 2)),
        new TuiKey('-', "replay half as fast (down to ×0.1)", () => SetSpeed(Speed / 2)),
    ];

    public string ModeText() => string.Create(CultureInfo.InvariantCulture,
        $"REPLAY {hub.Position}/{hub.TickCount} ×{Speed:0.##}{(hub.AtEnd ? " END" : _paused ? " PAUSED" : "")}");

    public string TogglePause()
    {
        _paused = !_paused;
        _wake.Release();
        return _paused ? "replay paused (n: next tick, p: resume)" : $"replay resumed at ×{Speed:0.##}";
    }

    public string? Step()
    {
        if (hub.AtEnd)
        {
            return "end of the recording";
        }
        _paused = true;
        _stepRequested = true;
        _wake.Release();
        return null;
    }

    public string SetSpeed(double speed)
    {
        Volatile.Write(ref _speed, Math.Clamp(speed, MinSpeed, MaxSpeed));
        _wake.Release();
        return string.Create(CultureInfo.InvariantCulture, $"replay speed ×{Speed:0.##}");
    }

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            DateTimeOffset stepped = DateTimeOffset.MinValue;
            while (!ct.IsCancellationRequested)
            {
                // Due at the recorded spacing from the last step, at the current speed (a speed change applies at once).
                DateTimeOffset due = stepped == DateTimeOffset.MinValue ? stepped : stepped + hub.DelayBeforeNext / Speed;
                if (!hub.AtEnd && (_stepRequested || (!_paused && DateTimeOffset.UtcNow >= due)))
                {
                    _stepRequested = false;
                    await hub.StepAsync(ct).ConfigureAwait(false);
                    stepped = DateTimeOffset.UtcNow;
                    continue;
                }
                if (_paused || hub.AtEnd)
                {
                    await _wake.WaitAsync(ct).ConfigureAwait(false);
                }
                else
                {
                    TimeSpan wait = due - DateTimeOffset.UtcNow;
                    await _wake.WaitAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
