using System.Buffers.Binary;
using System.Collections.Immutable;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Perf;

/// <summary>Where each needed field of tcp_send_reset / tcp_receive_reset sits, read from their format files.</summary>
public sealed class ResetTracepointLayout
{
    public const string SendName = "tcp_send_reset";
    public const string ReceiveName = "tcp_receive_reset";

    private ResetTracepointLayout() { }

    public uint SendId { get; private init; }
    public uint? ReceiveId { get; private init; }
    /// <summary>enum sk_rst_reason names by number, from the print fmt (or the 6.18 table); null before 6.10 (no reason field).</summary>
    public IReadOnlyList<string>? Reasons { get; private init; }

    internal int SkbAddr { get; private init; }
    internal int SkAddr { get; private init; }
    internal int State { get; private init; } = -1;
    internal int Reason { get; private init; } = -1;
    internal int SAddr { get; private init; }
    internal int DAddr { get; private init; }
    internal int SockaddrSize { get; private init; }
    internal int SendMinSize { get; private init; }

    internal int RSport { get; private init; }
    internal int RDport { get; private init; }
    internal int RFamily { get; private init; }
    internal int RSaddr { get; private init; }
    internal int RDaddr { get; private init; }
    internal int RSaddrV6 { get; private init; }
    internal int RDaddrV6 { get; private init; }
    internal int RCookie { get; private init; } = -1;
    internal int ReceiveMinSize { get; private init; }

    /// <summary>The layout, or null with the reason when a needed field is missing or oddly sized.</summary>
    public static ResetTracepointLayout? Create(TracepointFormat send, TracepointFormat? receive, out string? problem)
    {
        problem = null;
        TracepointField? skb = send.Field("skbaddr"), sk = send.Field("skaddr"), sa = send.Field("saddr"), da = send.Field("daddr");
        if (skb is not { Size: 8 } || sk is not { Size: 8 } || sa is null || da is null || sa.Size < 28 || da.Size < 28)
        {
            problem = "tcp:tcp_send_reset has no skbaddr/skaddr/saddr/daddr fields of the expected sizes (kernel older than 5.x?)";
            return null;
        }
        TracepointField? state = send.Field("state");
        TracepointField? reason = send.Field("reason");
        int receiveMin = 0;
        int rs = 0, rd = 0, rf = 0, r4s = 0, r4d = 0, r6s = 0, r6d = 0, rc = -1;
        uint? receiveId = null;
        if (receive is not null)
        {
            TracepointField? sport = receive.Field("sport"), dport = receive.Field("dport"), fam = receive.Field("family"),
                s4 = receive.Field("saddr"), d4 = receive.Field("daddr"), s6 = receive.Field("saddr_v6"), d6 = receive.Field("daddr_v6");
            if (sport is { Size: 2 } && dport is { Size: 2 } && fam is { Size: 2 } && s4 is { Size: 4 } && d4 is { Size: 4 }
                && s6 is { Size: 16 } && d6 is { Size: 16 })
            {
                (rs, rd, rf, r4s, r4d, r6s, r6d) = (sport.Offset, dport.Offset, fam.Offset, s4.Offset, d4.Offset, s6.Offset, d6.Offset);
                rc = receive.Field("sock_cookie") is { Size: 8 } c ? c.Offset : -1;
                receiveId = receive.Id;
                receiveMin = receive.MinRawSize;
            }
            else
            {
                problem = "tcp:tcp_receive_reset lacks the expected address fields: received resets come from the wire only";
            }
        }
        return new ResetTracepointLayout
        {
            SendId = send.Id,
            ReceiveId = receiveId,
            Reasons = reason is { Size: 4 } ? send.SymbolTable("reason") ?? ResetReasons.Fallback618 : null,
            SkbAddr = skb.Offset,
            SkAddr = sk.Offset,
            State = state is { Size: 4 } ? state.Offset : -1,
            Reason = reason is { Size: 4 } ? reason.Offset : -1,
            SAddr = sa.Offset,
            DAddr = da.Offset,
            SockaddrSize = Math.Min(sa.Size, da.Size),
            SendMinSize = send.MinRawSize,
            RSport = rs, RDport = rd, RFamily = rf, RSaddr = r4s, RDaddr = r4d, RSaddrV6 = r6s, RDaddrV6 = r6d, RCookie = rc,
            ReceiveMinSize = receiveMin,
        };
    }
}

/// <summary>What the reader knows about the task of a process-context event.</summary>
public readonly record struct TaskInfo(string? Comm, ulong? NetnsInode);

/// <summary>
/// Builds <see cref="ResetEvent"/>s from samples of the two reset tracepoints (pure given its inputs; never
/// throws). Classification: on tcp_send_reset, skbaddr == 0 means tcp_send_active_reset (the host aborted:
/// close with unread data, SO_LINGER {1,0}, keepalive timeout, memory pressure); skbaddr != 0 means a reply to
/// a received segment (tcp_v4/v6_send_reset). Only active resets run in the owning process's context: a reply
/// runs in softirq, whose pid is whichever task the interrupt hit, so no pid is reported for it.
/// </summary>
public sealed class ResetRecordDecoder(ResetTracepointLayout layout, StackSymbolizer? stacks)
{
    private const ushort AF_INET = 2;
    private const ushort AF_INET6 = 10;

    public ResetTracepointLayout Layout => layout;

    /// <summary>The event, or null when the raw record is not one of ours or is malformed.</summary>
    /// <param name="wallOffsetNs">Unix-epoch ns minus CLOCK_MONOTONIC ns, to turn sample times into wall times.</param>
    /// <param name="task">Looks up comm and netns of a task (pid, tid); null in tests.</param>
    public ResetEvent? Decode(ref PerfSample s, long wallOffsetNs, Func<int, int, TaskInfo>? task = null)
    {
        ReadOnlySpan<byte> raw = s.Raw;
        if (raw.Length < 8) return null;
        ushort commonType = BinaryPrimitives.ReadUInt16LittleEndian(raw);
        DateTimeOffset wall = Wall((long)s.Time, wallOffsetNs);
        if (commonType == layout.SendId)
        {
            return DecodeSend(ref s, raw, wall, task);
        }
        if (layout.ReceiveId is { } rid && commonType == rid)
        {
            return DecodeReceive(ref s, raw, wall);
        }
        return null;
    }

    private ResetEvent? DecodeSend(ref PerfSample s, ReadOnlySpan<byte> raw, DateTimeOffset wall, Func<int, int, TaskInfo>? task)
    {
        if (raw.Length < layout.SendMinSize) return null;
        ulong skb = BinaryPrimitives.ReadUInt64LittleEndian(raw.Slice(layout.SkbAddr, 8));
        if (!Sockaddr(raw.Slice(layout.SAddr, layout.SockaddrSize), out NetEndpoint local)
            || !Sockaddr(raw.Slice(layout.DAddr, layout.SockaddrSize), out NetEndpoint remote))
        {
            return null;
        }
        int state = layout.State >= 0 ? BinaryPrimitives.ReadInt32LittleEndian(raw.Slice(layout.State, 4)) : 0;
        string reason = ResetReasons.Unknown;
        if (layout.Reason >= 0)
        {
            reason = ResetReasons.Name(BinaryPrimitives.ReadUInt32LittleEndian(raw.Slice(layout.Reason, 4)), layout.Reasons);
        }
        bool active = skb == 0;
        TaskInfo info = active && task is not null && s.Tid > 0 ? task(s.Pid, s.Tid) : default;
        return new ResetEvent
        {
            MonotonicNs = (long)s.Time,
            Wall = wall,
            Direction = ResetDirection.Sent,
            Kind = active ? ResetKind.Active : ResetKind.Passive,
            Reason = reason,
            Explanation = ResetReasons.Explain(reason),
            State = state is > 0 and < 14 ? (TcpState)state : TcpState.Unknown,
            Local = local,
            Remote = remote,
            Pid = active && s.Pid > 0 ? s.Pid : null,
            Tid = active && s.Tid > 0 ? s.Tid : null,
            Comm = info.Comm,
            NetnsInode = info.NetnsInode,
            Stack = stacks?.Symbolize(ref s) ?? [],
            Origin = ResetOrigin.Tracepoint,
            Cpu = (int)s.Cpu,
        };
    }

    private ResetEvent? DecodeReceive(ref PerfSample s, ReadOnlySpan<byte> raw, DateTimeOffset wall)
    {
        if (raw.Length < layout.ReceiveMinSize) return null;
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(layout.RFamily, 2));
        ushort sport = BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(layout.RSport, 2)); // host order
        ushort dport = BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(layout.RDport, 2));
        NetEndpoint local, remote;
        if (family == AF_INET)
        {
            local = NetEndpoint.FromV4Bytes(raw.Slice(layout.RSaddr, 4), sport);
            remote = NetEndpoint.FromV4Bytes(raw.Slice(layout.RDaddr, 4), dport);
        }
        else if (family == AF_INET6)
        {
            local = NetEndpoint.FromV6Bytes(raw.Slice(layout.RSaddrV6, 16), sport).Unmapped;
            remote = NetEndpoint.FromV6Bytes(raw.Slice(layout.RDaddrV6, 16), dport).Unmapped;
        }
        else
        {
            return null;
        }
        ulong cookie = layout.RCookie >= 0 ? BinaryPrimitives.ReadUInt64LittleEndian(raw.Slice(layout.RCookie, 8)) : 0;
        return new ResetEvent
        {
            MonotonicNs = (long)s.Time,
            Wall = wall,
            Direction = ResetDirection.Received,
            Kind = ResetKind.Unknown, // the peer's reason never travels with the RST
            Reason = ResetReasons.Unknown,
            Explanation = "the peer reset the connection (its reason is not on the wire)",
            Local = local,
            Remote = remote,
            Cookie = cookie,
            Stack = stacks?.Symbolize(ref s) ?? [],
            Origin = ResetOrigin.Tracepoint,
            Cpu = (int)s.Cpu,
        };
    }

    /// <summary>sockaddr_in / sockaddr_in6 as the tracepoint stores them: family in host order, port in network order.</summary>
    private static bool Sockaddr(ReadOnlySpan<byte> sa, out NetEndpoint ep)
    {
        ep = default;
        if (sa.Length < 24) return false;
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(sa);
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(sa.Slice(2, 2));
        if (family == AF_INET)
        {
            ep = NetEndpoint.FromV4Bytes(sa.Slice(4, 4), port);
            return true;
        }
        if (family == AF_INET6)
        {
            ep = NetEndpoint.FromV6Bytes(sa.Slice(8, 16), port).Unmapped;
            return true;
        }
        return false;
    }

    private static DateTimeOffset Wall(long monotonicNs, long wallOffsetNs)
    {
        long unixNs = monotonicNs + wallOffsetNs;
        long ticks = unixNs / 100;
        long max = DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return ticks < 0 || ticks > max ? DateTimeOffset.UnixEpoch : DateTimeOffset.UnixEpoch.AddTicks(ticks);
    }
}
