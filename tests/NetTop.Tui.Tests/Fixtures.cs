using System.Collections.Immutable;
using NetTop.Model;
using NetTop.Model.Counters;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;

namespace NetTop.Tui.Tests;

/// <summary>Snapshots built in code: the scenario rows go through the real SnapshotBuilder.</summary>
internal static class Fixtures
{
    public static NetEndpoint Ep(string text) =>
        NetEndpoint.TryParse(text, out NetEndpoint e) ? e : throw new ArgumentException(text);

    /// <summary>
    /// Listener 127.0.0.1:8080 with 3 connections waiting for accept() over a backlog of 2 (full), one client
    /// in SYN_RECV on it, and our own connect() to 192.0.2.1:443 in SYN_SENT after 2 SYN retransmits.
    /// </summary>
    public static HostSnapshot Scenario(SocketsOrigin origin = SocketsOrigin.SockDiag, params SourceStatus[] sources)
    {
        bool diag = origin == SocketsOrigin.SockDiag;
        List<TcpSocket> sockets =
        [
            new TcpSocket
            {
                Family = IpFamily.V4, State = TcpState.Listen, Local = Ep("127.0.0.1:8080"), Remote = Ep("0.0.0.0:0"),
                RQueue = 3, WQueue = diag ? 2u : 0u, BacklogKnown = diag, Cookie = diag ? 0x1001UL : 0, Inode = 5001,
            },
            new TcpSocket
            {
                Family = IpFamily.V4, State = TcpState.Listen, Local = Ep("0.0.0.0:22"), Remote = Ep("0.0.0.0:0"),
                RQueue = 0, WQueue = diag ? 128u : 0u, BacklogKnown = diag, Cookie = diag ? 0x1002UL : 0, Inode = 5002,
            },
            new TcpSocket
            {
                Family = IpFamily.V4, State = TcpState.SynSent, Local = Ep("10.0.0.5:41000"), Remote = Ep("192.0.2.1:443"),
                Retrans = 2, ExpiresMs = 1500, Cookie = diag ? 0x2001UL : 0, Inode = 6001,
            },
            new TcpSocket
            {
                Family = IpFamily.V4, State = TcpState.NewSynRecv, Local = Ep("127.0.0.1:8080"), Remote = Ep("127.0.0.1:52000"),
                Retrans = 0, ExpiresMs = 800, Cookie = diag ? 0x3001UL : 0, IsRequest = true,
            },
        ];
        SnapshotBuilder builder = new("web01", "6.18.0", "host");
        return builder.Build(new SnapshotInputs
        {
            At = TimeSpan.FromSeconds(10),
            Now = DateTimeOffset.UnixEpoch.AddDays(20000),
            Sockets = new SocketsSample(TimeSpan.FromSeconds(10), origin, sockets, 0, false,
                diag ? null : "sock_diag: permission denied"),
            Counters = new CountersSample(TimeSpan.FromSeconds(10),
                new Dictionary<string, ulong> { ["ListenOverflows"] = 12, ["ListenDrops"] = 12 }, 0),
            Sources = sources.Length > 0 ? [.. sources] : [SourceStatus.Ok("sockets", "sock_diag"), SourceStatus.Ok("counters", "netstat")],
            Owners = new Owners(),
        });
    }

    public static HostSnapshot Empty(long sequence = 1) => HostSnapshot.Empty("web01", "6.18.0", "host") with
    {
        Sequence = sequence,
        Sources = [SourceStatus.Ok("sockets", "sock_diag")],
    };

    public static ListenerRow Listener(ulong key, string local, uint acceptQ, uint? backlog, DateTimeOffset? goneAt = null,
        double? dropsPerSec = null) => new()
        {
            Key = key,
            Family = IpFamily.V4,
            Local = Ep(local),
            AcceptQueue = acceptQ,
            Backlog = backlog,
            PeakAcceptQueue = acceptQ,
            SynRecv = 0,
            GoneAt = goneAt,
            DropsPerSec = dropsPerSec,
        };

    public static HostSnapshot WithListeners(long sequence, params ListenerRow[] rows) => Empty(sequence) with
    {
        Listeners = [.. rows],
    };

    private sealed class Owners : IProcessOwners
    {
        public bool TryGet(ulong inode, out ProcessOwner? owner)
        {
            owner = inode switch
            {
                5001 => new ProcessOwner(1234, "nginx"),
                6001 => new ProcessOwner(777, "curl"),
                _ => null,
            };
            return owner is not null;
        }
    }
}
