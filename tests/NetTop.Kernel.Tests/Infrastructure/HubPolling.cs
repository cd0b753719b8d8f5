using System.Diagnostics;
using System.Text;
using NetTop.Capture;
using NetTop.Model.Snapshot;

namespace NetTop.Kernel.Tests.Infrastructure;

/// <summary>Refreshes a hub until a predicate holds, bounded in count and time, then lets the test assert.</summary>
internal static class HubPolling
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>One refresh of a namespace with a handful of sockets takes milliseconds; this only catches a hang.</summary>
    private static readonly TimeSpan RefreshLimit = TimeSpan.FromSeconds(10);

    /// <summary>One refresh that fails the test instead of hanging it.</summary>
    public static Task<HostSnapshot> RefreshBoundedAsync(this CaptureHub hub) => hub.RefreshAsync().WaitAsync(RefreshLimit);

    /// <summary>
    /// Refreshes until <paramref name="done"/> holds for a snapshot or the deadline passes, and returns the last
    /// snapshot either way (the caller asserts on it, so a failure shows what was there).
    /// <paramref name="observe"/> sees every snapshot, for facts that hold on one refresh only (rates).
    /// </summary>
    public static async Task<HostSnapshot> RefreshUntilAsync(this CaptureHub hub, Func<HostSnapshot, bool> done,
        TimeSpan? timeout = null, TimeSpan? interval = null, Action<HostSnapshot>? observe = null)
    {
        TimeSpan limit = timeout ?? DefaultTimeout;
        TimeSpan step = interval ?? DefaultInterval;
        int maxRefreshes = (int)Math.Ceiling(limit / step) + 1;
        long start = Stopwatch.GetTimestamp();
        HostSnapshot snapshot = await hub.RefreshBoundedAsync();
        observe?.Invoke(snapshot);
        for (int i = 1; i < maxRefreshes && !done(snapshot) && Stopwatch.GetElapsedTime(start) < limit; i++)
        {
            await Task.Delay(step);
            snapshot = await hub.RefreshBoundedAsync();
            observe?.Invoke(snapshot);
        }
        return snapshot;
    }

    public static ListenerRow? Listener(this HostSnapshot s, int port) =>
        s.Listeners.FirstOrDefault(l => l.Local.Port == port && !l.IsGone);

    public static IReadOnlyList<HalfOpenRow> HalfOpenTo(this HostSnapshot s, HalfOpenState state, int port) =>
        s.HalfOpen.Where(h => h.State == state && (state == HalfOpenState.SynSent ? h.Remote.Port : h.Local.Port) == port).ToList();

    /// <summary>The snapshot as the JSON contract, for assertion messages.</summary>
    public static string Dump(this HostSnapshot s) => Encoding.UTF8.GetString(SnapshotJson.Serialize(s));
}
