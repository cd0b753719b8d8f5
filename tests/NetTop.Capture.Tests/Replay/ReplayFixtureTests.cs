using NetTop.Capture.Recording;
using NetTop.Capture.Replay;
using NetTop.Model;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;

namespace NetTop.Capture.Tests.Replay;

/// <summary>
/// tests/fixtures/record/scenario (tests/fixtures/record/record.sh: `nettop record` of a namespace with a full
/// accept queue on 8080, a connect to 7100 behind an iptables DROP rule, refused connects to 7200 and linger-0
/// aborts on 7000) replayed without root through the live sources, parsers and snapshot builder.
/// </summary>
public sealed class ReplayFixtureTests
{
    private const string Scenario = "record/scenario";

    private static async Task<List<HostSnapshot>> ReplayAllAsync(string dir)
    {
        await using ReplayHub hub = ReplayHub.Open(dir);
        List<HostSnapshot> all = [];
        for (int i = 0; i < 1000 && await hub.StepAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } s; i++)
        {
            all.Add(s);
        }
        Assert.True(hub.AtEnd);
        return all;
    }

    [Fact]
    public async Task The_recorded_scenario_replays_to_its_listener_half_open_rows_resets_and_rule()
    {
        List<HostSnapshot> ticks = await ReplayAllAsync(Fixture.Path(Scenario));
        Assert.Equal(5, ticks.Count);
        HostSnapshot last = ticks[^1];
        Assert.StartsWith("nettop-fx-", last.Netns, StringComparison.Ordinal);

        // The listener with its queue overfull (sock_diag: max backlog known) and its owner as recorded.
        ListenerRow l = Assert.Single(last.Listeners, x => x.Local.Port == 8080);
        Assert.Equal(2u, l.Backlog);
        Assert.Equal(3u, l.AcceptQueue);
        Assert.Equal("python3", l.Process);
        Assert.Null(last.BacklogUnknownReason);

        // The connect behind the DROP rule: SYN_SENT, retransmitting, with the rule as its suspect.
        HalfOpenRow stuck = Assert.Single(last.HalfOpen, h => h.Remote.Port == 7100);
        Assert.Equal(HalfOpenState.SynSent, stuck.State);
        Assert.True(stuck.Retransmits >= 1);
        Model.Firewall.Suspect suspect = Assert.Single(stuck.Suspects);
        Assert.Equal("DROP", suspect.Target);
        Assert.Contains("--dport 7100", suspect.Rule, StringComparison.Ordinal);
        Model.Firewall.FirewallRow rule = Assert.Single(last.Firewall);
        Assert.Equal(suspect.Id, rule.Id);
        Assert.True(rule.Packets >= (ulong)stuck.Retransmits + 1); // the SYN and each retransmit

        // Resets from the recorded perf records, decoded with the recorded formats and symbolized with the kallsyms subset.
        Assert.Contains(last.Resets, r => r.Event is { Direction: ResetDirection.Sent, Kind: ResetKind.Passive, Reason: "NO_SOCKET" }
            && r.Event.Local.Port == 7200 && r.Event.Stack.Any(f => f.StartsWith("tcp_v4_send_reset", StringComparison.Ordinal)));
        Assert.Contains(last.Resets, r => r.Event is { Direction: ResetDirection.Sent, Kind: ResetKind.Active } && r.Event.Remote.Port == 7000);
        Assert.Contains(last.Resets, r => r.Event.Direction == ResetDirection.Received && r.Event.Remote.Port == 7200);
        Assert.All(last.Resets, r => Assert.Null(r.Event.NetnsTag)); // other namespaces' resets stay out, as live with --netns
        Assert.True(last.ResetTotals.Sent >= 4, $"sent {last.ResetTotals.Sent}");

        // The sources' statuses are the recorded ones, plus the replay's own.
        SourceStatus replay = Assert.Single(last.Sources, s => s.Name == "replay");
        Assert.Equal(SourceHealth.Ok, replay.Health);
        Assert.Contains("tick 5 of 5", replay.Detail, StringComparison.Ordinal);
        Assert.Contains(last.Sources, s => s.Name == "packets" && s.Health == SourceHealth.Ok);
    }

    [Fact]
    public async Task The_first_tick_is_quiet_and_the_scenario_arrives_later()
    {
        List<HostSnapshot> ticks = await ReplayAllAsync(Fixture.Path(Scenario));
        Assert.DoesNotContain(ticks[0].HalfOpen, h => h.Remote.Port == 7100);
        Assert.Empty(ticks[0].Resets);
        Assert.Contains(ticks[1].HalfOpen, h => h.Remote.Port == 7100);
        // Rates exist from the second sample of a rule on.
        Assert.True(ticks.Select(t => t.TakenAt).SequenceEqual(ticks.Select(t => t.TakenAt).Order()));
    }

    [Fact]
    public async Task Replaying_twice_gives_the_same_snapshots()
    {
        List<HostSnapshot> a = await ReplayAllAsync(Fixture.Path(Scenario));
        List<HostSnapshot> b = await ReplayAllAsync(Fixture.Path(Scenario));
        Assert.Equal(a.Select(s => SnapshotJson.Serialize(s, indented: false)), b.Select(s => SnapshotJson.Serialize(s, indented: false)),
            (x, y) => x.AsSpan().SequenceEqual(y));
    }

    [Fact]
    public async Task A_recording_cut_short_replays_its_whole_ticks_and_counts_the_rest()
    {
        using TempCopy copy = new(Fixture.Path(Scenario));
        string ticks = Path.Combine(copy.Path, RecordingDirectory.Ticks);
        byte[] all = File.ReadAllBytes(ticks);
        File.WriteAllBytes(ticks, all[..^37]); // the recorder killed mid-write of the last tick record
        string perf = Path.Combine(copy.Path, RecordingDirectory.Perf);
        byte[] perfBytes = File.ReadAllBytes(perf);
        File.WriteAllBytes(perf, perfBytes[..^5]);

        await using ReplayHub hub = ReplayHub.Open(copy.Path);
        Assert.Equal(4, hub.TickCount);
        Assert.True(hub.Damage.TruncatedBytes > 0);
        Assert.True(hub.Damage.IncompleteInputs > 0, hub.Damage.ToString());
        HostSnapshot? s = null;
        while (await hub.StepAsync() is { } next)
        {
            s = next;
        }
        Assert.NotNull(s);
        Assert.Single(s.Listeners, x => x.Local.Port == 8080);
        SourceStatus replay = Assert.Single(s.Sources, x => x.Name == "replay");
        Assert.Equal(SourceHealth.Degraded, replay.Health);
        Assert.Contains("truncated", replay.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_record_is_skipped_and_counted()
    {
        using TempCopy copy = new(Fixture.Path(Scenario));
        string ticks = Path.Combine(copy.Path, RecordingDirectory.Ticks);
        byte[] all = File.ReadAllBytes(ticks);
        all[RecordFile.HeaderSize + RecordFile.FrameHeaderSize + 3] ^= 0x5a; // inside the first record's payload
        File.WriteAllBytes(ticks, all);

        await using ReplayHub hub = ReplayHub.Open(copy.Path);
        Assert.Equal(1, hub.Damage.CorruptRecords);
        Assert.Equal(5, hub.TickCount);
        while (await hub.StepAsync() is not null)
        {
        }
        Assert.Contains("1 corrupt", Assert.Single(hub.Latest.Sources, x => x.Name == "replay").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_that_is_not_a_recording_is_refused_with_the_reason()
    {
        using TempCopy empty = new(null);
        RecordingException e = Assert.Throws<RecordingException>(() => ReplayHub.Open(empty.Path));
        Assert.Contains("not a NetTop recording", e.Message, StringComparison.Ordinal);
        Assert.Contains("no such directory", Assert.Throws<RecordingException>(() => ReplayHub.Open(Path.Combine(empty.Path, "nope"))).Message,
            StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(empty.Path, RecordingDirectory.Meta), "{\"format\":\"something/else\"}");
        File.WriteAllText(Path.Combine(empty.Path, RecordingDirectory.Ticks), "");
        Assert.Contains("format 'something/else'", Assert.Throws<RecordingException>(() => ReplayHub.Open(empty.Path)).Message, StringComparison.Ordinal);
    }

    /// <summary>A copy of a recording (or an empty directory) to damage, removed on dispose.</summary>
    private sealed class TempCopy : IDisposable
    {
        public TempCopy(string? from)
        {
            Path = Directory.CreateTempSubdirectory("nettop-replay-").FullName;
            if (from is not null)
            {
                foreach (string f in Directory.GetFiles(from))
                {
                    File.Copy(f, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(f)));
                }
            }
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
