using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Model.Tests;

/// <summary>Sockets and endpoints built in code for the builder tests.</summary>
internal static class Sockets
{
    public static NetEndpoint Ep(string text) =>
        NetEndpoint.TryParse(text, out NetEndpoint e) ? e : throw new ArgumentException($"not an endpoint: {text}");

    public static TcpSocket Listener(string local, ulong cookie, uint acceptQueue = 0, uint? backlog = 128,
        ulong inode = 0, uint? drops = null)
    {
        NetEndpoint l = Ep(local);
        return new TcpSocket
        {
            Family = l.Family,
            State = TcpState.Listen,
            Local = l,
            Remote = new NetEndpoint(l.Family, 0, 0),
            RQueue = acceptQueue,
            WQueue = backlog ?? 0,
            BacklogKnown = backlog is not null,
            Cookie = cookie,
            Inode = inode,
            HasSkMem = drops is not null,
            SkMem = new SkMemInfo { Drops = drops ?? 0 },
        };
    }

    public static TcpSocket SynRecv(string local, string remote, ulong cookie, byte retrans = 0, uint expiresMs = 1000)
    {
        NetEndpoint l = Ep(local);
        return new TcpSocket
        {
            Family = l.Family,
            State = TcpState.SynRecv,
            Local = l,
            Remote = Ep(remote),
            Retrans = retrans,
            ExpiresMs = expiresMs,
            Timer = TcpTimer.Retransmit,
            Cookie = cookie,
            IsRequest = true,
        };
    }

    public static TcpSocket SynSent(string local, string remote, ulong cookie, byte retrans = 0, uint expiresMs = 1000,
        ulong inode = 0, uint? rtoUs = null, byte backoff = 0)
    {
        NetEndpoint l = Ep(local);
        return new TcpSocket
        {
            Family = l.Family,
            State = TcpState.SynSent,
            Local = l,
            Remote = Ep(remote),
            Retrans = retrans,
            ExpiresMs = expiresMs,
            Timer = TcpTimer.Retransmit,
            Cookie = cookie,
            Inode = inode,
            HasTcpInfo = rtoUs is not null,
            Info = new TcpInfo { RtoUs = rtoUs ?? 0, Backoff = backoff },
        };
    }

    public static SocketsSample Sample(TimeSpan at, params TcpSocket[] sockets) =>
        new(at, SocketsOrigin.SockDiag, sockets, 0, false, null);
}

/// <summary>An owner table keyed by inode.</summary>
internal sealed class FakeOwners(Dictionary<ulong, ProcessOwner> owners) : IProcessOwners
{
    public List<ulong> Asked { get; } = [];

    public bool TryGet(ulong inode, out ProcessOwner? owner)
    {
        Asked.Add(inode);
        return owners.TryGetValue(inode, out owner);
    }
}
