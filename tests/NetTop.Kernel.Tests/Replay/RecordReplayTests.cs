using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTop.Capture;
using NetTop.Capture.Recording;
using NetTop.Capture.Replay;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;

namespace NetTop.Kernel.Tests.Replay;

/// <summary>
/// `nettop record` of a live namespace scenario, then `nettop replay` of it: every replayed tick must be the snapshot
/// the live hub published at that tick (listeners, half-open rows with suspects, resets with stacks, rule counters,
/// counters and rates: the whole JSON contract except the sources' statuses, which the replay reports as recorded
/// plus its own).
/// </summary>
public sealed class RecordReplayTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [RootFact("iptables")]
    public async Task A_recorded_namespace_replays_to_the_snapshots_the_live_hub_published()
    {
        using TestNamespace ns = TestNamespace.Create();
        int listenPort = TestNamespace.RandomPort();
        int dropPort = listenPort + 1;
        int closedPort = listenPort + 2;
        string drop = dropPort.ToString(CultureInfo.InvariantCulture);
        ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", drop, "--syn", "-j", "DROP");
        await ns.ListenAsync(IPAddress.Loopback, listenPort, backlog: 1);
        string dir = Path.Combine(Path.GetTempPath(), $"nettop-rec-{Guid.NewGuid():N}");
        try
        {
            List<HostSnapshot> live = [];
            using (CaptureRecording recording = CaptureRecording.Create(dir))
            {
                await using (CaptureHub hub = CaptureHub.Create(new CaptureOptions { Netns = ns.Name }, recording))
                {
                    await hub.StartedAsync().WaitAsync(Wait);
                    live.Add(await hub.RefreshBoundedAsync());
                    for (int i = 0; i < 4; i++)
                    {
                        await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, listenPort)); // accept queue overflows
                    }
                    await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, dropPort));
                    await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, closedPort));
                    HostSnapshot last = await hub.RefreshUntilAsync(s =>
                            s.HalfOpenTo(HalfOpenState.SynSent, dropPort) is [{ Suspects.IsEmpty: false }]
                            && s.Resets.Any(r => r.Event.Direction == ResetDirection.Sent && r.Event.Local.Port == closedPort),
                        Wait, TimeSpan.FromMilliseconds(300), live.Add);
                    Assert.True(last.HalfOpenTo(HalfOpenState.SynSent, dropPort) is [{ Suspects.IsEmpty: false }], last.Dump());
                }
                recording.Complete(DateTimeOffset.UtcNow);
                Assert.Equal(live.Count, recording.TicksWritten);
            }
            AssertPrivate(dir);

            List<HostSnapshot> replayed = [];
            await using (ReplayHub replay = ReplayHub.Open(dir))
            {
                Assert.False(replay.Damage.Any, replay.Damage.ToString());
                for (int i = 0; i < 1000 && await replay.StepAsync().WaitAsync(Wait) is { } s; i++)
                {
                    replayed.Add(s);
                }
            }
            Assert.Equal(live.Count, replayed.Count);
            for (int i = 0; i < live.Count; i++)
            {
                string expected = WithoutSources(live[i]), actual = WithoutSources(replayed[i]);
                if (expected != actual)
                {
                    Assert.Fail($"tick {i + 1} of {live.Count} differs at: {FirstDifference(expected, actual)}");
                }
            }
            HostSnapshot end = replayed[^1];
            Assert.Equal((uint)1, end.Listener(listenPort)!.Backlog);
            Assert.Contains(end.Resets, r => r.Event.Direction == ResetDirection.Sent && r.Event.Local.Port == closedPort && !r.Event.Stack.IsEmpty);
            Assert.Contains(end.Firewall, r => r.Rule.Rule.Contains($"--dport {drop}", StringComparison.Ordinal) && r.Packets >= 1);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>The recording is the host's evidence: a 0700 directory of 0600 files.</summary>
    private static void AssertPrivate(string dir)
    {
        Assert.Equal(RecordingDirectory.DirectoryMode, File.GetUnixFileMode(dir));
        foreach (string f in Directory.GetFiles(dir))
        {
            Assert.True(File.GetUnixFileMode(f) == RecordingDirectory.FileMode, $"{f}: {File.GetUnixFileMode(f)}");
        }
        Assert.True(File.Exists(Path.Combine(dir, RecordingDirectory.SendFormat)));
        Assert.True(new FileInfo(Path.Combine(dir, RecordingDirectory.Kallsyms)).Length > 0);
        Assert.True(new FileInfo(Path.Combine(dir, RecordingDirectory.Packets)).Length > 24); // a pcap header and packets
        RecordingMeta meta = RecordingMeta.Read(Path.Combine(dir, RecordingDirectory.Meta));
        Assert.True(meta.Complete);
        Assert.NotNull(meta.NetnsInode);
    }

    private static string WithoutSources(HostSnapshot s)
    {
        JsonObject o = JsonNode.Parse(SnapshotJson.Serialize(s))!.AsObject();
        o.Remove("sources");
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string FirstDifference(string a, string b)
    {
        string[] x = a.Split('\n'), y = b.Split('\n');
        for (int i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            string l = i < x.Length ? x[i] : "<end>", r = i < y.Length ? y[i] : "<end>";
            if (l != r)
            {
                return $"line {i + 1}: live '{l.Trim()}' replay '{r.Trim()}'";
            }
        }
        return "?";
    }
}
