using System.Globalization;
using NetTop.Capture.Perf;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Tests.Resets;

/// <summary>
/// Real perf ring records (tests/fixtures/perf, recorded on 6.18 by RecordPerfFixtures) through the same parser,
/// tracepoint layout, decoder and symbolizer the source uses.
/// </summary>
public sealed class PerfFixtureTests
{
    internal static readonly byte[] Records = Fixture.Bytes("perf/resets.bin");
    internal static readonly ulong SampleType = ulong.Parse(Fixture.Text("perf/sample_type").Trim(), CultureInfo.InvariantCulture);
    private static readonly Dictionary<string, int> s_ports = Fixture.Text("perf/resets.ports").Trim().Split(' ')
        .Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => int.Parse(kv[1], CultureInfo.InvariantCulture));

    internal static ResetRecordDecoder Decoder()
    {
        TracepointFormat send = TracepointFormatParser.Parse(Fixture.Text("perf/tcp_send_reset.format"))!;
        TracepointFormat receive = TracepointFormatParser.Parse(Fixture.Text("perf/tcp_receive_reset.format"))!;
        ResetTracepointLayout layout = ResetTracepointLayout.Create(send, receive, out string? problem)!;
        Assert.Null(problem);
        using StringReader kallsyms = new(Fixture.Text("perf/kallsyms-subset.txt"));
        return new ResetRecordDecoder(layout, new StackSymbolizer(KallsymsSymbolizer.Parse(kallsyms)));
    }

    private static List<ResetEvent> DecodeAll(out PerfParseStats stats)
    {
        ResetRecordDecoder decoder = Decoder();
        List<ResetEvent> events = [];
        stats = PerfRecordParser.Walk(Records, SampleType, (ref PerfSample s) =>
        {
            if (decoder.Decode(ref s, wallOffsetNs: 0) is { } e) events.Add(e);
        });
        return events;
    }

    [Fact]
    public void Every_recorded_record_is_a_sample_and_decodes()
    {
        List<ResetEvent> events = DecodeAll(out PerfParseStats stats);
        Assert.Equal(0, stats.Malformed);
        Assert.Equal(0, stats.LostEvents);
        Assert.True(stats.Samples >= 6, $"{stats.Samples} samples");
        Assert.Equal(stats.Samples, events.Count);
        Assert.All(events, e => Assert.NotEmpty(e.Stack));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.MonotonicNs <= p.Second.MonotonicNs || p.First.Cpu != p.Second.Cpu));
    }

    [Theory]
    [InlineData("refused_v4", IpFamily.V4, "tcp_v4_send_reset")]
    [InlineData("refused_v6", IpFamily.V6, "tcp_v6_send_reset")]
    public void Closed_port_is_sent_passive_NO_SOCKET(string key, IpFamily family, string frame)
    {
        ResetEvent e = Assert.Single(DecodeAll(out _), e => e.Direction == ResetDirection.Sent && e.Local.Port == s_ports[key]);
        Assert.Equal(ResetKind.Passive, e.Kind);
        Assert.Equal("NO_SOCKET", e.Reason);
        Assert.Equal(family, e.Local.Family);
        Assert.Equal(TcpState.Unknown, e.State);
        Assert.Null(e.Pid);
        Assert.StartsWith(frame + "+0x", e.Stack[0], StringComparison.Ordinal);
        Assert.Equal(ResetReasons.Explain("NO_SOCKET"), e.Explanation);
    }

    [Fact]
    public void Linger_zero_is_active_TCP_STATE_and_the_peer_receives_it_with_a_cookie()
    {
        List<ResetEvent> events = DecodeAll(out _);
        ResetEvent sent = Assert.Single(events, e => e.Direction == ResetDirection.Sent && e.Local.Port == s_ports["linger_client"]);
        Assert.Equal(ResetKind.Active, sent.Kind);
        Assert.Equal("TCP_STATE", sent.Reason);
        Assert.Equal(TcpState.Close, sent.State);
        Assert.Contains(sent.Stack, f => f.StartsWith("tcp_send_active_reset+", StringComparison.Ordinal));
        Assert.NotNull(sent.Pid);
        Assert.Equal(s_ports["linger_server"], sent.Remote.Port);

        ResetEvent received = Assert.Single(events, e => e.Direction == ResetDirection.Received && e.Local.Port == s_ports["linger_server"]);
        Assert.Equal(s_ports["linger_client"], received.Remote.Port);
        Assert.NotEqual(0UL, received.Cookie);
        Assert.Equal(ResetKind.Unknown, received.Kind);
        Assert.Contains(received.Stack, f => f.StartsWith("tcp_reset+", StringComparison.Ordinal));
    }

    [Fact]
    public void Unread_data_close_is_active_TCP_ABORT_ON_CLOSE()
    {
        ResetEvent e = Assert.Single(DecodeAll(out _), e => e.Direction == ResetDirection.Sent && e.Local.Port == s_ports["unread_server"]);
        Assert.Equal(ResetKind.Active, e.Kind);
        Assert.Equal("TCP_ABORT_ON_CLOSE", e.Reason);
        Assert.Equal(s_ports["unread_client"], e.Remote.Port);
    }

    [Fact]
    public void Identical_stacks_share_one_array_from_the_symbolizer_cache()
    {
        ResetRecordDecoder decoder = Decoder();
        List<ResetEvent> twice = [];
        for (int round = 0; round < 2; round++)
        {
            PerfRecordParser.Walk(Records, SampleType, (ref PerfSample s) => twice.Add(decoder.Decode(ref s, 0)!));
        }
        int n = twice.Count / 2;
        for (int i = 0; i < n; i++)
        {
            Assert.True(twice[i].Stack == twice[i + n].Stack, "a repeated stack was symbolized again");
        }
    }

    [Fact]
    public void Wall_time_is_monotonic_time_plus_the_offset()
    {
        ResetRecordDecoder decoder = Decoder();
        long offset = 1_700_000_000_000_000_000;
        ResetEvent? first = null;
        PerfRecordParser.Walk(Records, SampleType, (ref PerfSample s) => first ??= decoder.Decode(ref s, offset));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks((first!.MonotonicNs + offset) / 100), first.Wall);
    }
}
