using CsCheck;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Sockets;

namespace NetTop.Model.Tests.Resets;

public sealed class WireAndAttributionTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    internal static readonly NetEndpoint Client = NetEndpoint.FromV4Bytes([10, 0, 0, 2], 40000);
    internal static readonly NetEndpoint Server = NetEndpoint.FromV4Bytes([10, 0, 0, 1], 80);

    internal static PacketEvent Tcp(NetEndpoint src, NetEndpoint dst, TcpFlags flags, uint seq, uint ack, PacketDirection dir, int ifIndex = 2) => new()
    {
        Time = T0, IfIndex = ifIndex, Direction = dir, Family = IpFamily.V4, Protocol = 6,
        Source = src, Destination = dst, Flags = flags, Seq = seq, Ack = ack,
    };

    [Fact]
    public void Rst_ack_answering_a_seen_syn_is_passive_connection_refused()
    {
        WireResetClassifier wire = new();
        List<ResetEvent> r = [];
        wire.Classify(Tcp(Client, Server, TcpFlags.Syn, 1000, 0, PacketDirection.In), r);
        Assert.Equal(1, wire.TrackedSyns);
        wire.Classify(Tcp(Server, Client, TcpFlags.Rst | TcpFlags.Ack, 0, 1001, PacketDirection.Out), r);
        ResetEvent e = Assert.Single(r);
        Assert.Equal((ResetDirection.Sent, ResetKind.Passive), (e.Direction, e.Kind));
        Assert.Equal((Server, Client), (e.Local, e.Remote));
        Assert.Contains("refused", e.Explanation, StringComparison.Ordinal);
        Assert.Equal("wire", e.Source);
    }

    [Fact]
    public void Rst_without_ack_is_passive_and_other_rst_ack_is_active()
    {
        WireResetClassifier wire = new();
        List<ResetEvent> r = [];
        wire.Classify(Tcp(Server, Client, TcpFlags.Rst, 5555, 0, PacketDirection.In), r);
        wire.Classify(Tcp(Server, Client, TcpFlags.Rst | TcpFlags.Ack, 777, 888, PacketDirection.In), r);
        Assert.Equal(2, r.Count);
        Assert.Equal((ResetDirection.Received, ResetKind.Passive), (r[0].Direction, r[0].Kind));
        Assert.Equal((ResetDirection.Received, ResetKind.Active), (r[1].Direction, r[1].Kind));
        Assert.Equal((Client, Server), (r[1].Local, r[1].Remote));
    }

    [Fact]
    public void Loopback_rst_is_both_sent_and_received_and_non_rst_packets_give_nothing()
    {
        WireResetClassifier wire = new();
        List<ResetEvent> r = [];
        Assert.Equal(0, wire.Classify(Tcp(Client, Server, TcpFlags.Fin | TcpFlags.Ack, 1, 1, PacketDirection.In), r));
        Assert.Equal(2, wire.Classify(Tcp(Server, Client, TcpFlags.Rst | TcpFlags.Ack, 9, 9, PacketDirection.In, ifIndex: 1), r));
        Assert.Equal([ResetDirection.Sent, ResetDirection.Received], r.Select(e => e.Direction));
    }

    [Fact]
    public void Syn_memory_is_bounded()
    {
        Gen.Int.Array[1, 500].Sample(ports =>
        {
            WireResetClassifier wire = new(synCapacity: 100); // CsCheck samples in parallel: one classifier each
            List<ResetEvent> r = [];
            foreach (int p in ports) wire.Classify(Tcp(NetEndpoint.FromV4Bytes([1, 2, 3, 4], (ushort)p), Server, TcpFlags.Syn, (uint)p, 0, PacketDirection.In), r);
            return wire.TrackedSyns <= 100;
        }, iter: 200);
    }

    private static SocketTable Table(ulong cookie)
    {
        SocketTableBuilder b = new();
        ref TcpSocket s = ref b.Add();
        s.Cookie = cookie;
        s.Local = Server;
        s.Remote = Client;
        return b.Build();
    }

    private static ResetEvent Traced(ulong cookie = 0, ulong? inode = null, double at = 0) => new()
    {
        Wall = T0.AddSeconds(at), Direction = ResetDirection.Received, Kind = ResetKind.Unknown,
        Local = Server, Remote = Client, Cookie = cookie, NetnsInode = inode,
    };

    [Fact]
    public void With_times_a_gone_socket_is_remembered_for_the_retention_however_fast_the_snapshots_come()
    {
        ResetNetnsAttributor a = new(watchedNetnsInode: 1);
        DateTimeOffset t0 = DateTimeOffset.UnixEpoch.AddDays(20_000);
        a.ObserveSockets(Table(0x42fe), t0);
        // Fast ticks (a test polling, or a 0.2 s refresh): many snapshots within the retention.
        for (int i = 1; i <= 10; i++) a.ObserveSockets(SocketTable.Empty, t0.AddMilliseconds(100 * i));
        Assert.True(a.TryGetSocketState(0x42fe, out _));
        Assert.True(a.Belongs(Traced(cookie: 0x42fe)));
        a.ObserveSockets(SocketTable.Empty, t0 + ResetNetnsAttributor.CookieRetention + TimeSpan.FromMilliseconds(1));
        Assert.False(a.Belongs(Traced(cookie: 0x42fe)));
        Assert.Equal(0, a.TrackedCookies);
    }

    [Fact]
    public void Attribution_by_cookie_process_netns_and_wire_match()
    {
        ResetNetnsAttributor a = new(watchedNetnsInode: 4026532454);
        a.ObserveSockets(Table(0x42fe));
        Assert.True(a.Belongs(Traced(cookie: 0x42fe)));
        Assert.False(a.Belongs(Traced(cookie: 0x9999)));
        Assert.True(a.Belongs(Traced(inode: 4026532454)));
        Assert.False(a.Belongs(Traced(inode: 4026531840)));
        Assert.Equal(ResetEvent.OtherNetns, a.Attribute(Traced()).NetnsTag);

        // cookies of older snapshots are forgotten after a few generations
        for (int i = 0; i < ResetNetnsAttributor.CookieGenerations - 1; i++) a.ObserveSockets(SocketTable.Empty);
        Assert.True(a.Belongs(Traced(cookie: 0x42fe)));
        a.ObserveSockets(SocketTable.Empty);
        Assert.False(a.Belongs(Traced(cookie: 0x42fe)));
        Assert.Equal(0, a.TrackedCookies);

        // a RST of the same 4-tuple (either orientation) seen by this namespace's capture, within the window
        a.ObservePackets([Tcp(Client, Server, TcpFlags.Rst, 1, 0, PacketDirection.In)]);
        Assert.True(a.Belongs(Traced(at: 1.5)));
        Assert.False(a.Belongs(Traced(at: 3)));
        Assert.True(a.Belongs(Traced() with { Origin = ResetOrigin.Wire, Remote = NetEndpoint.FromV4Bytes([9, 9, 9, 9], 1) }));
        a.Prune(T0.AddSeconds(10));
        Assert.Equal(0, a.TrackedRsts);
    }

    [Fact]
    public void Settled_attribution_waits_for_the_packet_then_tags()
    {
        ResetNetnsAttributor a = new(watchedNetnsInode: 1);
        List<ResetEvent> output = [];
        a.AttributeSettled([Traced(at: 0)], T0.AddMilliseconds(100), output);
        Assert.Empty(output);
        Assert.Equal(1, a.Pending);
        a.ObservePackets([Tcp(Server, Client, TcpFlags.Rst, 1, 0, PacketDirection.Out)]);
        a.AttributeSettled([Traced(at: 0.2) with { Remote = NetEndpoint.FromV4Bytes([8, 8, 8, 8], 1) }], T0.AddMilliseconds(300), output);
        ResetEvent ours = Assert.Single(output);
        Assert.Null(ours.NetnsTag);
        a.AttributeSettled([], T0.AddSeconds(3), output);
        Assert.Equal(2, output.Count);
        Assert.Equal(ResetEvent.OtherNetns, output[1].NetnsTag);
        Assert.Equal(0, a.Pending);
    }
}
