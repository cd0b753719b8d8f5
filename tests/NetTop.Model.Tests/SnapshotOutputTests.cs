using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using NetTop.Model.Counters;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;
using static NetTop.Model.Tests.Sockets;

namespace NetTop.Model.Tests;

/// <summary>One scenario built through the real builder: two ticks so rates exist, then a listener gone.</summary>
internal static class Scenario
{
    public static readonly DateTimeOffset TakenAt = new(2025, 6, 7, 8, 9, 10, TimeSpan.FromHours(2));

    public static HostSnapshot Build(SocketsOrigin origin = SocketsOrigin.SockDiag, bool withGone = false)
    {
        SnapshotBuilder b = new("web-1", "6.8.0-test", "host", TimeSpan.FromSeconds(5));
        FakeOwners owners = new(new()
        {
            [1001] = new ProcessOwner(4321, "nginx"),
            [3003] = new ProcessOwner(555, "curl"),
        });
        ImmutableArray<SourceStatus> sources =
        [
            SourceStatus.Ok("sockets", "sock_diag: 5 sockets"),
            new SourceStatus("owners", SourceHealth.Degraded, "12 of 80 processes unreadable", "run as root"),
        ];
        bool diag = origin == SocketsOrigin.SockDiag;

        TcpSocket[] Sockets(uint drops, bool includeGone)
        {
            List<TcpSocket> list =
            [
                Listener("127.0.0.1:8080", diag ? 11UL : 0, acceptQueue: 3, backlog: diag ? 2u : null, inode: 1001,
                    drops: diag ? drops : null),
                Listener("[::1]:8080", diag ? 12UL : 0, acceptQueue: 0, backlog: diag ? 511u : null, inode: 2002,
                    drops: diag ? 0u : null),
                SynRecv("127.0.0.1:8080", "127.0.0.1:40000", 21, retrans: 2, expiresMs: 3524),
                SynSent("10.0.0.5:50000", "192.0.2.1:443", 22, retrans: 2, expiresMs: 400, inode: 3003,
                    rtoUs: diag ? 1_000_000u : null, backoff: 0),
            ];
            if (includeGone)
            {
                list.Add(Listener("0.0.0.0:9000", diag ? 13UL : 0, backlog: diag ? 128u : null));
            }
            return [.. list];
        }

        SnapshotInputs Inputs(double at, uint drops, ulong overflows, bool includeGone) => new()
        {
            At = TimeSpan.FromSeconds(at),
            Now = TakenAt,
            Owners = owners,
            Sources = sources,
            Sockets = new SocketsSample(TimeSpan.FromSeconds(at), origin, Sockets(drops, includeGone), 0, false,
                diag ? null : "sock_diag: permission denied"),
            Counters = new CountersSample(TimeSpan.FromSeconds(at),
                new Dictionary<string, ulong> { ["ListenOverflows"] = overflows, ["ListenDrops"] = 7 }, 0),
        };

        b.Build(Inputs(1, drops: 10, overflows: 100, includeGone: withGone));
        return b.Build(Inputs(3, drops: 14, overflows: 106, includeGone: false));
    }
}

public sealed class SnapshotJsonTests
{
    private static JsonElement Parse(HostSnapshot s, bool indented = true)
    {
        byte[] bytes = SnapshotJson.Serialize(s, indented);
        using JsonDocument doc = JsonDocument.Parse(bytes);
        return doc.RootElement.Clone();
    }

    private static string[] Keys(JsonElement o) => [.. o.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public void Reset_rows_say_whether_their_kind_came_from_the_wire()
    {
        SnapshotBuilder b = new("web-1", "6.18.0-test", "host", TimeSpan.FromSeconds(5));
        NetTop.Model.Resets.ResetEvent sent = Tests.Resets.ResetFeedTests.Rst(0);
        NetTop.Model.Resets.ResetEvent received = Tests.Resets.ResetFeedTests.Rst(0.2, dir: NetTop.Model.Resets.ResetDirection.Received,
            kind: NetTop.Model.Resets.ResetKind.Active, reason: "-") with { KindFromWire = true, State = TcpState.Established };
        HostSnapshot s = b.Build(new SnapshotInputs { At = TimeSpan.FromSeconds(1), Now = Scenario.TakenAt, Resets = [sent, received] });

        JsonElement[] rows = [.. Parse(s).GetProperty("resets").EnumerateArray()];
        Assert.Equal(2, rows.Length);
        JsonElement recv = rows.Single(r => r.GetProperty("direction").GetString() == "recv");
        Assert.Equal(("active", true, "ESTABLISHED", "tracepoint"), (recv.GetProperty("kind").GetString(),
            recv.GetProperty("kindFromWire").GetBoolean(), recv.GetProperty("state").GetString(), recv.GetProperty("source").GetString()));
        JsonElement sentRow = rows.Single(r => r.GetProperty("direction").GetString() == "sent");
        Assert.Equal(("passive", false, "NO_SOCKET"), (sentRow.GetProperty("kind").GetString(),
            sentRow.GetProperty("kindFromWire").GetBoolean(), sentRow.GetProperty("reason").GetString()));
        Assert.Equal(["tcp_v4_send_reset+0x733", "tcp_v4_rcv+0x1c"], sentRow.GetProperty("stack").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public void Top_level_contract()
    {
        JsonElement root = Parse(Scenario.Build());
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(["schema", "takenAt", "host", "kernel", "netns", "sources", "counters", "listeners", "halfOpen", "resetTotals", "resets", "resetStacks", "firewall"], Keys(root));
        Assert.Equal("nettop.snapshot/1", root.GetProperty("schema").GetString());
        Assert.Equal(Scenario.TakenAt, root.GetProperty("takenAt").GetDateTimeOffset());
        Assert.Equal("web-1", root.GetProperty("host").GetString());
        Assert.Equal("6.8.0-test", root.GetProperty("kernel").GetString());
        Assert.Equal("host", root.GetProperty("netns").GetString());
    }

    [Fact]
    public void The_plus_of_the_offset_is_not_escaped()
    {
        string text = Encoding.UTF8.GetString(SnapshotJson.Serialize(Scenario.Build()));
        Assert.Contains("\"takenAt\": \"2025-06-07T08:09:10.0000000+02:00\"", text);
        Assert.DoesNotContain("\\u002B", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Sources_have_name_status_detail_and_fix_only_when_there_is_one()
    {
        JsonElement[] sources = [.. Parse(Scenario.Build()).GetProperty("sources").EnumerateArray()];
        Assert.Equal(2, sources.Length);
        Assert.Equal(["name", "status", "detail"], Keys(sources[0]));
        Assert.Equal("sockets", sources[0].GetProperty("name").GetString());
        Assert.Equal("ok", sources[0].GetProperty("status").GetString());
        Assert.Equal("sock_diag: 5 sockets", sources[0].GetProperty("detail").GetString());
        Assert.Equal("degraded", sources[1].GetProperty("status").GetString());
        Assert.Equal("run as root", sources[1].GetProperty("fix").GetString());
    }

    [Fact]
    public void Counters_are_an_object_of_value_and_perSec()
    {
        JsonElement counters = Parse(Scenario.Build()).GetProperty("counters");
        Assert.Equal(["ListenOverflows", "ListenDrops"], Keys(counters));
        JsonElement ovfl = counters.GetProperty("ListenOverflows");
        Assert.Equal(["value", "perSec"], Keys(ovfl));
        Assert.Equal(106UL, ovfl.GetProperty("value").GetUInt64());
        Assert.Equal(3.0, ovfl.GetProperty("perSec").GetDouble(), 9);
        Assert.Equal(0.0, counters.GetProperty("ListenDrops").GetProperty("perSec").GetDouble());
    }

    [Fact]
    public void Counter_rate_is_json_null_on_the_first_sample()
    {
        HostSnapshot s = new SnapshotBuilder("h", "k", "host").Build(new SnapshotInputs
        {
            At = TimeSpan.FromSeconds(1),
            Now = Scenario.TakenAt,
            Counters = new CountersSample(TimeSpan.FromSeconds(1), new Dictionary<string, ulong> { ["TcpOutRsts"] = 5 }, 0),
        });
        JsonElement c = Parse(s).GetProperty("counters").GetProperty("TcpOutRsts");
        Assert.Equal(5UL, c.GetProperty("value").GetUInt64());
        Assert.Equal(JsonValueKind.Null, c.GetProperty("perSec").ValueKind);
    }

    [Fact]
    public void Listeners_contract()
    {
        JsonElement[] ls = [.. Parse(Scenario.Build()).GetProperty("listeners").EnumerateArray()];
        Assert.Equal(2, ls.Length);
        string[] keys = ["family", "local", "process", "pid", "acceptQueue", "backlog", "peakAcceptQueue", "synRecv", "drops", "dropsPerSec"];
        Assert.All(ls, l => Assert.Equal(keys, Keys(l)));

        // 127.0.0.1:8080 is full (3 > 2), so it sorts first.
        JsonElement v4 = ls[0];
        Assert.Equal("ipv4", v4.GetProperty("family").GetString());
        Assert.Equal("127.0.0.1:8080", v4.GetProperty("local").GetString());
        Assert.Equal("nginx", v4.GetProperty("process").GetString());
        Assert.Equal(4321, v4.GetProperty("pid").GetInt32());
        Assert.Equal(3, v4.GetProperty("acceptQueue").GetInt32());
        Assert.Equal(2, v4.GetProperty("backlog").GetInt32());
        Assert.Equal(3, v4.GetProperty("peakAcceptQueue").GetInt32());
        Assert.Equal(1, v4.GetProperty("synRecv").GetInt32());
        Assert.Equal(14UL, v4.GetProperty("drops").GetUInt64());
        Assert.Equal(2.0, v4.GetProperty("dropsPerSec").GetDouble(), 9);

        JsonElement v6 = ls[1];
        Assert.Equal("ipv6", v6.GetProperty("family").GetString());
        Assert.Equal("[::1]:8080", v6.GetProperty("local").GetString());
        Assert.Equal(JsonValueKind.Null, v6.GetProperty("process").ValueKind);
        Assert.Equal(JsonValueKind.Null, v6.GetProperty("pid").ValueKind);
        Assert.Equal(511, v6.GetProperty("backlog").GetInt32());
    }

    [Fact]
    public void Proc_fallback_writes_nulls_and_the_backlog_unknown_reason()
    {
        JsonElement root = Parse(Scenario.Build(SocketsOrigin.ProcNet));
        Assert.Contains("sock_diag: permission denied", root.GetProperty("backlogUnknown").GetString());
        Assert.All(root.GetProperty("listeners").EnumerateArray(), l =>
        {
            Assert.Equal(JsonValueKind.Null, l.GetProperty("backlog").ValueKind);
            Assert.Equal(JsonValueKind.Null, l.GetProperty("drops").ValueKind);
            Assert.Equal(JsonValueKind.Null, l.GetProperty("dropsPerSec").ValueKind);
        });
        JsonElement sent = root.GetProperty("halfOpen").EnumerateArray().Single(h => h.GetProperty("state").GetString() == "SYN_SENT");
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("backoff").ValueKind);
    }

    [Fact]
    public void Gone_listeners_carry_goneAt()
    {
        JsonElement gone = Parse(Scenario.Build(withGone: true)).GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("local").GetString() == "0.0.0.0:9000");
        Assert.Equal(Scenario.TakenAt, gone.GetProperty("goneAt").GetDateTimeOffset());
    }

    [Fact]
    public void HalfOpen_contract()
    {
        JsonElement[] hs = [.. Parse(Scenario.Build()).GetProperty("halfOpen").EnumerateArray()];
        Assert.Equal(2, hs.Length);
        string[] keys = ["state", "local", "remote", "process", "pid", "ageMs", "retransmits", "backoff", "suspects"];
        Assert.All(hs, h => Assert.Equal(keys, Keys(h)));
        Assert.All(hs, h => Assert.Contains(h.GetProperty("state").GetString(), new[] { "SYN_SENT", "SYN_RECV" }));

        JsonElement recv = hs.Single(h => h.GetProperty("state").GetString() == "SYN_RECV");
        Assert.Equal("127.0.0.1:8080", recv.GetProperty("local").GetString());
        Assert.Equal("127.0.0.1:40000", recv.GetProperty("remote").GetString());
        Assert.Equal("nginx", recv.GetProperty("process").GetString());
        Assert.Equal(4321, recv.GetProperty("pid").GetInt32());
        // 3476 ms estimated; the builder also saw it for 2 s, which is less.
        Assert.Equal(3476, recv.GetProperty("ageMs").GetInt64());
        Assert.Equal(2, recv.GetProperty("retransmits").GetInt32());
        Assert.Equal(JsonValueKind.Null, recv.GetProperty("backoff").ValueKind);

        JsonElement sent = hs.Single(h => h.GetProperty("state").GetString() == "SYN_SENT");
        Assert.Equal("10.0.0.5:50000", sent.GetProperty("local").GetString());
        Assert.Equal("192.0.2.1:443", sent.GetProperty("remote").GetString());
        Assert.Equal("curl", sent.GetProperty("process").GetString());
        Assert.Equal(555, sent.GetProperty("pid").GetInt32());
        Assert.Equal(2600, sent.GetProperty("ageMs").GetInt64());
        Assert.Equal(0, sent.GetProperty("backoff").GetInt32());
    }

    [Fact]
    public void Compact_and_indented_outputs_are_the_same_document()
    {
        HostSnapshot s = Scenario.Build();
        string compact = Encoding.UTF8.GetString(SnapshotJson.Serialize(s, indented: false));
        Assert.DoesNotContain('\n', compact);
        Assert.Equal(Parse(s, indented: true).GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""),
            Parse(s, indented: false).GetRawText().Replace(" ", ""));
    }

    [Fact]
    public void Empty_snapshot_is_a_valid_document()
    {
        JsonElement root = Parse(HostSnapshot.Empty("h", "k", "n"));
        Assert.Equal("nettop.snapshot/1", root.GetProperty("schema").GetString());
        Assert.Equal(0, root.GetProperty("listeners").GetArrayLength());
        Assert.Equal(0, root.GetProperty("halfOpen").GetArrayLength());
        Assert.Empty(root.GetProperty("counters").EnumerateObject());
        Assert.False(root.TryGetProperty("backlogUnknown", out _));
    }
}

public sealed class SnapshotTextTests
{
    private static string[] Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public void Renders_both_panels_with_a_row_per_listener_and_half_open_connection()
    {
        string text = SnapshotText.Render(Scenario.Build());
        string[] lines = Lines(text);
        Assert.StartsWith("NetTop web-1  netns host  kernel 6.8.0-test  at 2025-06-07 08:09:10 +02:00", lines[0]);
        Assert.Contains("== Listen queues (2)", lines);
        Assert.Contains("== Half-open (2)", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("!! ", StringComparison.Ordinal));

        int listenAt = Array.IndexOf(lines, "== Listen queues (2)");
        int halfAt = Array.IndexOf(lines, "== Half-open (2)");
        Assert.True(listenAt < halfAt);
        string header = lines[listenAt + 1];
        foreach (string h in new[] { "LOCAL", "PROCESS", "ACCEPTQ", "FILL", "PEAK", "SYN_RECV", "DROPS", "DROPS/s" })
        {
            Assert.Contains(h, header);
        }
        string v4 = lines[listenAt + 2];
        Assert.StartsWith("127.0.0.1:8080", v4);
        Assert.Contains("nginx/4321", v4);
        Assert.Contains("3/2", v4);
        Assert.Contains("██████████", v4);
        Assert.StartsWith("[::1]:8080", lines[listenAt + 3]);
        Assert.Contains("0/511", lines[listenAt + 3]);

        string halfHeader = lines[halfAt + 1];
        foreach (string h in new[] { "STATE", "LOCAL", "REMOTE", "PROCESS", "AGE", "RETX", "BACKOFF", "NEXT" })
        {
            Assert.Contains(h, halfHeader);
        }
        string[] halfRows = [lines[halfAt + 2], lines[halfAt + 3]];
        Assert.Contains(halfRows, r => r.StartsWith("SYN_RECV", StringComparison.Ordinal) && r.Contains("127.0.0.1:40000") && r.Contains("3.5s"));
        Assert.Contains(halfRows, r => r.StartsWith("SYN_SENT", StringComparison.Ordinal) && r.Contains("192.0.2.1:443") && r.Contains("curl/555") && r.Contains("2.6s"));
    }

    [Fact]
    public void Counters_and_degraded_sources_are_in_the_header()
    {
        string[] lines = Lines(SnapshotText.Render(Scenario.Build()));
        Assert.Equal("Counters: ovfl 106 (+3/s)  ldrop 7", lines[1]);
        Assert.Contains("sockets ok", lines[2]);
        Assert.Contains("owners degraded (12 of 80 processes unreadable (fix: run as root))", lines[2]);
    }

    [Fact]
    public void Gone_listeners_get_the_gone_suffix()
    {
        string[] lines = Lines(SnapshotText.Render(Scenario.Build(withGone: true)));
        string gone = Assert.Single(lines, l => l.StartsWith("0.0.0.0:9000", StringComparison.Ordinal));
        Assert.EndsWith("(gone)", gone);
        Assert.Contains(" gone ", gone);
        Assert.DoesNotContain(lines, l => l.StartsWith("127.0.0.1:8080", StringComparison.Ordinal) && l.Contains("(gone)"));
        Assert.Contains("== Listen queues (3)", lines);
    }

    [Fact]
    public void Proc_fallback_prints_the_backlog_unknown_line()
    {
        string[] lines = Lines(SnapshotText.Render(Scenario.Build(SocketsOrigin.ProcNet)));
        int listenAt = Array.IndexOf(lines, "== Listen queues (2)");
        Assert.StartsWith("!! max backlog unknown: sock_diag: permission denied", lines[listenAt + 1]);
        Assert.Contains(lines, l => l.StartsWith("127.0.0.1:8080", StringComparison.Ordinal) && l.Contains("3/?"));
    }

    [Fact]
    public void Lines_have_no_trailing_spaces()
    {
        Assert.All(Lines(SnapshotText.Render(Scenario.Build(withGone: true))), l => Assert.Equal(l.TrimEnd(' '), l));
    }

    [Fact]
    public void Empty_snapshot_renders_headers_and_no_rows()
    {
        string[] lines = Lines(SnapshotText.Render(HostSnapshot.Empty("h", "k", "n")));
        Assert.Contains("== Listen queues (0)", lines);
        Assert.Contains("== Half-open (0)", lines);
        int listenAt = Array.IndexOf(lines, "== Listen queues (0)");
        Assert.StartsWith("LOCAL", lines[listenAt + 1]);
        Assert.Equal("", lines[listenAt + 2]);
    }
}
