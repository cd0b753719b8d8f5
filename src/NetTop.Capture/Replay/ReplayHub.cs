using NetTop.Capture.Recording;
using NetTop.Capture.Sockets;
using NetTop.Model.Snapshot;
using Nito.AsyncEx;

namespace NetTop.Capture.Replay;

/// <summary>
/// `nettop replay DIR`: a <see cref="CaptureHub"/> whose sources read a recording instead of the kernel, advanced
/// one recorded tick per <see cref="StepAsync"/>. The sources, parsers (sock_diag, /proc, iptables-save, nft, perf,
/// packets) and the snapshot builder are the live ones, so a replayed tick yields the snapshot the live hub
/// published at that tick. Pacing (real time, speed, pause) is the caller's: <see cref="DelayBeforeNext"/> says
/// how far apart the recorded ticks were.
/// </summary>
public sealed class ReplayHub : IAsyncDisposable
{
    private readonly ReplaySession _session;
    private readonly CaptureHub _hub;
    private readonly AsyncLock _step = new();

    private ReplayHub(ReplaySession session, CaptureHub hub)
    {
        _session = session;
        _hub = hub;
    }

    /// <summary>Reads the recording in <paramref name="directory"/>; throws <see cref="RecordingException"/> when it is not one.</summary>
    /// <param name="tombstone">How long vanished listeners stay (the user's setting; everything else is as recorded).</param>
    public static ReplayHub Open(string directory, TimeSpan? tombstone = null)
    {
        Recording recording = Recording.Open(directory);
        RecordingMeta m = recording.Meta;
        ReplaySession session = new(recording);
        CaptureOptions options = new()
        {
            // Another namespace's resets were left out live (--netns); the replay leaves them out too.
            Netns = m.Netns == "host" ? null : m.Netns,
            RefreshInterval = m.TickInterval,
            Sockets = Enum.TryParse(m.Sockets, ignoreCase: true, out SocketsMode mode) ? mode : SocketsMode.Auto,
            TcpInfo = m.TcpInfo,
            Firewall = m.Firewall,
            Resets = m.Resets,
            Packets = m.Packets,
            ProcessOwners = false, // answered from the recorded lookups
            Tombstone = tombstone ?? TimeSpan.FromSeconds(5),
        };
        return new ReplayHub(session, CaptureHub.CreateReplay(options, session));
    }

    public RecordingMeta Meta => _session.Meta;
    public RecordingDamage Damage => _session.Recording.Damage;
    public string Directory => _session.Recording.Directory;

    /// <summary>Complete ticks in the recording.</summary>
    public int TickCount => _session.Count;

    /// <summary>Ticks replayed so far (0 before the first step).</summary>
    public int Position => _session.Position;

    public bool AtEnd => _session.Position >= _session.Count;

    /// <summary>The last replayed snapshot (an empty one before the first step).</summary>
    public HostSnapshot Latest => _hub.Latest;

    /// <summary>The recorded time between the current tick and the next (the refresh interval before the first).</summary>
    public TimeSpan DelayBeforeNext
    {
        get
        {
            int next = _session.Position;
            if (next >= _session.Count) return TimeSpan.Zero;
            if (next == 0) return TimeSpan.Zero;
            TimeSpan d = _session.Recording.Ticks[next].At - _session.Recording.Ticks[next - 1].At;
            return d > TimeSpan.Zero ? d : Meta.TickInterval;
        }
    }

    /// <summary>Replays the next recorded tick and returns its snapshot, or null at the end. Calls are serialized.</summary>
    public async Task<HostSnapshot?> StepAsync(CancellationToken ct = default)
    {
        using (await _step.LockAsync(ct).ConfigureAwait(false))
        {
            if (!_session.Advance())
            {
                return null;
            }
            return await _hub.RefreshAsync(ct).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _hub.DisposeAsync();
}
