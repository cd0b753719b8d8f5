using System.Collections.Immutable;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Sockets;
using NetTop.Model.Tables;

namespace NetTop.Model.Tests.Resets;

public sealed class ResetFeedTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    internal static ResetEvent Rst(double atSec, int localPort = 80, int remotePort = 40000, ResetDirection dir = ResetDirection.Sent,
        ResetKind kind = ResetKind.Passive, string reason = "NO_SOCKET", int? pid = null, ImmutableArray<string>? stack = null) => new()
    {
        Wall = T0.AddSeconds(atSec),
        Direction = dir,
        Kind = kind,
        Reason = reason,
        Local = NetEndpoint.FromV4Bytes([127, 0, 0, 1], (ushort)localPort),
        Remote = NetEndpoint.FromV4Bytes([127, 0, 0, 1], (ushort)remotePort),
        Pid = pid,
        Stack = stack ?? ["tcp_v4_send_reset+0x733", "tcp_v4_rcv+0x1c"],
    };

    [Fact]
    public void Identical_resets_within_a_second_collapse_into_one_row_newest_first()
    {
        ResetFeed feed = new();
        feed.Add(Rst(0));
        feed.Add(Rst(0.5));
        feed.Add(Rst(0.9));
        feed.Add(Rst(0.95, remotePort: 40001));
        feed.Add(Rst(1.5)); // more than a second after the row's first: a new row
        ImmutableArray<ResetRow> rows = feed.Rows();
        Assert.Equal(3, rows.Length);
        Assert.Equal((1L, 1.5), (rows[0].Count, (rows[0].Wall - T0).TotalSeconds));
        Assert.Equal(40001, rows[1].Event.Remote.Port);
        Assert.Equal(3, rows[2].Count);
        Assert.Equal(T0.AddSeconds(0.9), rows[2].LastWall);
        Assert.Equal(5, feed.TotalSent);
        Assert.Equal(0, feed.TotalReceived);
    }

    [Fact]
    public void Different_pid_kind_direction_or_reason_do_not_collapse()
    {
        ResetFeed feed = new();
        feed.Add(Rst(0));
        feed.Add(Rst(0, pid: 10));
        feed.Add(Rst(0, kind: ResetKind.Active));
        feed.Add(Rst(0, dir: ResetDirection.Received));
        feed.Add(Rst(0, reason: "TCP_STATE"));
        feed.Add(Rst(0) with { State = TcpState.Close });
        Assert.Equal(6, feed.RowCount);
        Assert.Equal(1, feed.TotalReceived);
    }

    [Fact]
    public void The_feed_is_bounded_and_counts_evictions()
    {
        ResetFeed feed = new(capacity: 100);
        for (int i = 0; i < 10_000; i++) feed.Add(Rst(i * 0.001, remotePort: 10_000 + i));
        Assert.Equal(100, feed.RowCount);
        Assert.Equal(100, feed.Rows().Length);
        Assert.Equal(9_900, feed.RowsEvicted);
        Assert.Equal(10_000, feed.Total);
        Assert.Equal(10_000 + 9_999, feed.Rows()[0].Event.Remote.Port);
        // An evicted row no longer collapses new resets into itself.
        feed.Add(Rst(0, remotePort: 10_000));
        Assert.Equal(1, feed.Rows()[0].Count);
    }

    [Fact]
    public void Top_stacks_group_by_kind_reason_and_stack_most_frequent_first()
    {
        ResetFeed feed = new(stackCapacity: 3);
        ImmutableArray<string> active = ["tcp_send_active_reset+0x10", "__tcp_close+0x2"];
        for (int i = 0; i < 5; i++) feed.Add(Rst(i, remotePort: 1000 + i));
        for (int i = 0; i < 3; i++) feed.Add(Rst(i, kind: ResetKind.Active, reason: "TCP_STATE", stack: [.. active]));
        feed.Add(Rst(9, kind: ResetKind.Active, reason: "TCP_ABORT_ON_CLOSE", stack: [.. active]));
        ImmutableArray<ResetStackRow> top = feed.TopStacks();
        Assert.Equal(3, top.Length); // the third distinct group went to "(other stacks)" (capacity 3)
        Assert.Equal((5L, "NO_SOCKET"), (top[0].Count, top[0].Reason));
        Assert.Equal((3L, "TCP_STATE", ResetKind.Active), (top[1].Count, top[1].Reason, top[1].Kind));
        Assert.Equal(ResetFeed.OtherStacks, top[2].Stack);
        Assert.Single(feed.TopStacks(1));
    }

    [Fact]
    public void Columns_render_a_row_and_the_detail_shows_the_whole_stack()
    {
        ResetRow row = new(Rst(0, pid: 42) with { Comm = "curl", Kind = ResetKind.Active, Reason = "TCP_STATE", State = TcpState.Close,
            Explanation = ResetReasons.Explain("TCP_STATE") }, 3, T0.AddSeconds(0.5));
        string[] cells = ResetTables.Feed.Select(c => c.Cell(row)).ToArray();
        Assert.Equal(["TIME", "DIR", "KIND", "REASON", "STATE", "LOCAL ↔ REMOTE", "PROCESS", "COUNT"], ResetTables.Feed.Select(c => c.Header));
        Assert.Equal(ResetTables.Time(T0), cells[0]);
        Assert.Equal(["sent", "active", "TCP_STATE", "CLOSE", "127.0.0.1:80 ↔ 127.0.0.1:40000", "curl/42", "3"], cells[1..]);
        Assert.Equal("-", ResetTables.Process(Rst(0)));
        Assert.Equal("- [other netns]", ResetTables.Process(Rst(0) with { NetnsTag = ResetEvent.OtherNetns }));
        IReadOnlyList<string> detail = ResetTables.Detail(row);
        Assert.Contains(detail, l => l.Contains("SO_LINGER", StringComparison.Ordinal));
        Assert.Contains("  tcp_v4_rcv+0x1c", detail);
        ResetStackRow s = new(ResetDirection.Sent, ResetKind.Passive, "NO_SOCKET", ["tcp_v4_send_reset+0x733", "tcp_v4_rcv+0x1c"], 12);
        Assert.Equal(["12", "sent", "passive", "NO_SOCKET", "tcp_v4_send_reset ← tcp_v4_rcv"], ResetTables.Stacks.Select(c => c.Cell(s)));
    }

    [Fact]
    public void Every_618_reason_has_an_explanation_and_names_resolve()
    {
        foreach (string r in ResetReasons.Fallback618)
        {
            Assert.DoesNotContain("kernel reason", ResetReasons.Explain(r), StringComparison.Ordinal);
        }
        Assert.Equal("NO_SOCKET", ResetReasons.Name(1));
        Assert.Equal("REASON_99", ResetReasons.Name(99));
        Assert.Equal("kernel reason FOO", ResetReasons.Explain("FOO"));
    }
}
