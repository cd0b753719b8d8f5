using NetTop.Model.Export;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;

namespace NetTop.Model.Tests;

public sealed class PrometheusTextTests
{
    [Theory]
    [InlineData("ListenOverflows", "listen_overflows")]
    [InlineData("TCPReqQFullDrop", "tcp_req_q_full_drop")]
    [InlineData("TCPReqQFullDoCookies", "tcp_req_q_full_do_cookies")]
    [InlineData("TcpOutRsts", "tcp_out_rsts")]
    [InlineData("SyncookiesSent", "syncookies_sent")]
    [InlineData("TCPAbortOnData", "tcp_abort_on_data")]
    public void Kernel_counter_names_become_snake_case(string kernel, string metric) =>
        Assert.Equal(metric, PrometheusText.SnakeCase(kernel));

    [Fact]
    public void Label_values_escape_backslash_quote_and_newline() =>
        Assert.Equal("process=\"a\\\\b\\\"c\\nd\"", PrometheusText.Label("process", "a\\b\"c\nd"));

    private static HostSnapshot Build(params TcpSocket[] sockets)
    {
        SnapshotBuilder b = new("h", "k", "web");
        return b.Build(new SnapshotInputs
        {
            At = TimeSpan.FromSeconds(1),
            Now = DateTimeOffset.UnixEpoch.AddSeconds(100),
            Sockets = Sockets.Sample(TimeSpan.FromSeconds(1), sockets),
        });
    }

    [Fact]
    public void Listener_and_half_open_series_carry_netns_and_values()
    {
        HostSnapshot s = Build(
            Sockets.Listener("127.0.0.1:8080", cookie: 1, acceptQueue: 3, backlog: 2, drops: 7),
            Sockets.SynSent("127.0.0.1:40000", "10.0.0.1:443", cookie: 2, retrans: 2, expiresMs: 500));
        string text = PrometheusText.Render(s);
        Assert.Contains("nettop_listener_accept_queue{netns=\"web\",local=\"127.0.0.1:8080\",process=\"\"} 3\n", text);
        Assert.Contains("nettop_listener_backlog{netns=\"web\",local=\"127.0.0.1:8080\",process=\"\"} 2\n", text);
        Assert.Contains("nettop_listener_drops_total{netns=\"web\",local=\"127.0.0.1:8080\",process=\"\"} 7\n", text);
        Assert.Contains("nettop_half_open_connections{netns=\"web\",state=\"syn_sent\"} 1\n", text);
        Assert.Contains("nettop_half_open_connections{netns=\"web\",state=\"syn_recv\"} 0\n", text);
        Assert.Contains("# TYPE nettop_listener_drops_total counter\n", text);
        Assert.Contains("nettop_snapshot_timestamp_seconds{netns=\"web\"} 100\n", text);
    }

    [Fact]
    public void Listener_series_are_bounded()
    {
        TcpSocket[] many = Enumerable.Range(0, PrometheusText.MaxListeners + 25)
            .Select(i => Sockets.Listener($"127.0.0.1:{1000 + i}", cookie: (ulong)(i + 1)))
            .ToArray();
        string text = PrometheusText.Render(Build(many));
        Assert.Equal(PrometheusText.MaxListeners, text.Split('\n').Count(l => l.StartsWith("nettop_listener_accept_queue{", StringComparison.Ordinal)));
        Assert.Contains("nettop_listeners_not_exported{netns=\"web\"} 25\n", text);
    }
}
