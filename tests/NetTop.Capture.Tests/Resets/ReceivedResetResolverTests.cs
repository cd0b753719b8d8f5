using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Tests.Resets;

/// <summary>Received tracepoint resets get their kind from the captured segment and their state from SYN or cookie.</summary>
public sealed class ReceivedResetResolverTests
{
    private static readonly NetEndpoint Local = NetEndpoint.FromV4Bytes([10, 0, 0, 1], 40000);
    private static readonly NetEndpoint Peer = NetEndpoint.FromV4Bytes([10, 0, 0, 2], 443);
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000);

    private static PacketEvent Tcp(NetEndpoint src, NetEndpoint dst, TcpFlags flags, uint seq, uint ack, PacketDirection dir) => new()
    {
        Time = T0, IfIndex = 2, Direction = dir, Family = IpFamily.V4, Protocol = 6, Source = src, Destination = dst,
        Flags = flags, Seq = seq, Ack = ack, Length = 40,
    };

    private static ResetEvent Received(ulong cookie = 0, DateTimeOffset? at = null) => new()
    {
        Wall = at ?? T0, Direction = ResetDirection.Received, Kind = ResetKind.Unknown, Local = Local, Remote = Peer, Cookie = cookie,
    };

    private static SocketTable Table(ulong cookie, TcpState state)
    {
        SocketTableBuilder b = new();
        ref TcpSocket s = ref b.Add();
        s.Cookie = cookie;
        s.State = state;
        s.Local = Local;
        s.Remote = Peer;
        return b.Build();
    }

    [Fact]
    public void A_refused_syn_gives_passive_and_SYN_SENT()
    {
        ReceivedResetResolver r = new();
        r.ObservePackets([
            Tcp(Local, Peer, TcpFlags.Syn, 1000, 0, PacketDirection.Out),
            Tcp(Peer, Local, TcpFlags.Rst | TcpFlags.Ack, 0, 1001, PacketDirection.In),
        ]);
        List<ResetEvent> output = [];
        r.Resolve([Received()], T0, null, awaitPackets: true, output);
        ResetEvent e = Assert.Single(output);
        Assert.Equal(ResetKind.Passive, e.Kind);
        Assert.True(e.KindFromWire);
        Assert.Equal(TcpState.SynSent, e.State);
        Assert.Contains("refused", e.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void An_abort_inside_a_connection_is_active_with_the_state_of_its_socket_by_cookie()
    {
        ResetNetnsAttributor sockets = new(watchedNetnsInode: 1);
        sockets.ObserveSockets(Table(0x77, TcpState.Established));
        ReceivedResetResolver r = new();
        List<ResetEvent> output = [];
        // The event arrives first: it waits for its segment while the capture runs.
        r.Resolve([Received(cookie: 0x77)], T0, sockets, awaitPackets: true, output);
        Assert.Empty(output);
        Assert.Equal(1, r.Pending);
        r.ObservePackets([Tcp(Peer, Local, TcpFlags.Rst | TcpFlags.Ack, 5000, 6000, PacketDirection.In)]);
        r.Resolve([], T0.AddMilliseconds(300), sockets, awaitPackets: true, output);
        ResetEvent e = Assert.Single(output);
        Assert.Equal(ResetKind.Active, e.Kind);
        Assert.Equal(TcpState.Established, e.State);
        Assert.Equal(0, r.Pending);
    }

    [Fact]
    public void Without_its_segment_an_event_waits_at_most_the_settle_delay_and_keeps_the_cookie_state()
    {
        ResetNetnsAttributor sockets = new(watchedNetnsInode: 1);
        sockets.ObserveSockets(Table(0x55, TcpState.FinWait1));
        ReceivedResetResolver r = new();
        List<ResetEvent> output = [];
        // A RST of the other direction (sent by us) is no evidence for a received one.
        r.ObservePackets([Tcp(Local, Peer, TcpFlags.Rst, 1, 0, PacketDirection.Out)]);
        r.Resolve([Received(cookie: 0x55)], T0, sockets, awaitPackets: true, output);
        Assert.Empty(output);
        r.Resolve([], T0 + r.SettleDelay, sockets, awaitPackets: true, output);
        ResetEvent e = Assert.Single(output);
        Assert.Equal(ResetKind.Unknown, e.Kind);
        Assert.False(e.KindFromWire);
        Assert.Equal(TcpState.FinWait1, e.State);

        // Without a running capture nothing waits; sent and wire events pass straight through.
        output.Clear();
        ResetEvent sent = Received() with { Direction = ResetDirection.Sent, Kind = ResetKind.Passive };
        r.Resolve([Received(), sent], T0, null, awaitPackets: false, output);
        Assert.Equal(2, output.Count);
        Assert.Equal(0, r.Pending);
    }

    [Fact]
    public void The_state_is_taken_when_the_event_is_drained_so_a_socket_gone_for_many_ticks_since_keeps_it()
    {
        ResetNetnsAttributor sockets = new(null);
        sockets.ObserveSockets(Table(0x77, TcpState.Established));
        List<ResetEvent> drained = [Received(cookie: 0x77), Received(cookie: 0x78), Received(cookie: 0) with { Direction = ResetDirection.Sent }];
        ReceivedResetResolver.StampStates(drained, sockets);
        // The socket leaves the table (it received the reset) for more ticks than the attributor remembers.
        for (int i = 0; i <= ResetNetnsAttributor.CookieGenerations; i++)
        {
            sockets.ObserveSockets(Table(0x99, TcpState.Listen));
        }
        Assert.False(sockets.TryGetSocketState(0x77, out _));
        Assert.Equal([TcpState.Established, TcpState.Unknown, TcpState.Unknown], drained.Select(e => e.State));
    }
}
