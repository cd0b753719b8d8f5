using NetTop.Capture;
using NetTop.Cli;
using NetTop.Tui;
using NetTop.Tui.Themes;

namespace NetTop.Modes;

/// <summary>Hands the TUI what it needs from the composition root: options and a cheap pull of the latest snapshot.</summary>
internal static class TuiLauncher
{
    public static int Run(AppOptions options, CaptureHub hub, CancellationToken ct)
    {
        try
        {
            return TuiApp.Run(new TuiOptions
            {
                RefreshInterval = options.RefreshInterval,
                ThemePath = options.ThemePath,
                SaveSnapshot = (snapshot, screen) => SnapshotFiles.Save(options.SnapshotDirectory, snapshot, screen),
            }, () => hub.Latest.Sequence == 0 ? null : hub.Latest, ct);
        }
        catch (ThemeException e)
        {
            throw new UsageException($"config: Theme: {e.Message}");
        }
    }
}
