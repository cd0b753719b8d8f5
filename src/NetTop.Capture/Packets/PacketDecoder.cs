using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using PacketDotNet;
using PacketDotNet.Utils;

namespace NetTop.Capture.Packets;

/// <summary>
/// Decodes a captured network-layer packet into a <see cref="PacketEvent"/> (pure; packets are untrusted: bad
/// input returns null, never throws). The family comes from sll_protocol, not the bytes. TCP over IPv4/IPv6
/// without extension headers (nearly every packet the filter passes) is read straight from the span: at a 50k/s
/// RST flood PacketDotNet's per-packet objects cost ~15 µs a packet, 16x tcpdump's CPU. Everything else (ICMP
/// errors, IPv6 extension headers) goes through PacketDotNet. For ICMP errors the quoted header of the offending
/// packet gives the inner 4-tuple.
/// </summary>
public static class PacketDecoder
{
    private const ushort EthIPv4 = 0x0800;
    private const ushort EthIPv6 = 0x86DD;

    public static PacketEvent? Decode(ReadOnlySpan<byte> data, ushort protocol, int ifIndex, byte pktType, DateTimeOffset time, int wireLength) =>
        TryDecode(data, protocol, ifIndex, pktType, time, wireLength, out PacketEvent e) ? e : null;

    /// <summary>Decodes into <paramref name="e"/>; false (and <c>default</c>) when the bytes are malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryDecode(ReadOnlySpan<byte> data, ushort protocol, int ifIndex, byte pktType, DateTimeOffset time, int wireLength, out PacketEvent e)
    {
        e = default;
        // PacketDotNet trusts its input more than a capture should: check the headers it will index first.
        if (protocol == EthIPv4)
        {
            if (data.Length < 20 || data[0] >> 4 != 4) return false;
            int ihl = (data[0] & 0x0F) * 4;
            if (ihl < 20 || ihl > data.Length) return false;
        }
        else if (protocol == EthIPv6)
        {
            if (data.Length < 40 || data[0] >> 4 != 6) return false;
        }
        else
        {
            return false;
        }
        if (FastTcp(data, protocol, ifIndex, pktType, time, wireLength, ref e, out bool ok))
        {
            return ok;
        }
        PacketEvent? slow = DecodeWithPacketDotNet(data, protocol, ifIndex, pktType, time, wireLength);
        if (slow is not { } v) return false;
        e = v;
        return true;
    }

    /// <summary>The PacketDotNet path for any packet (tests compare it with the span fast path).</summary>
    internal static PacketEvent? DecodeWithPacketDotNet(ReadOnlySpan<byte> data, ushort protocol, int ifIndex, byte pktType, DateTimeOffset time, int wireLength)
    {
        try
        {
            return DecodeCore(data.ToArray(), protocol, ifIndex, pktType, time, wireLength);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A third-party decoder over hostile bytes: any exception means "malformed", counted by the caller.
            return null;
        }
    }

    /// <summary>True when the packet is plain TCP; then <paramref name="ok"/> says whether <paramref name="e"/> was decoded
    /// (false: malformed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool FastTcp(ReadOnlySpan<byte> d, ushort protocol, int ifIndex, byte pktType, DateTimeOffset time, int wireLength,
        ref PacketEvent e, out bool ok)
    {
        ok = false;
        int l4;
        NetEndpoint src, dst;
        IpFamily family;
        if (protocol == EthIPv4)
        {
            if (d[9] != 6) return false;
            l4 = (d[0] & 0x0F) * 4;
            if ((BinaryPrimitives.ReadUInt16BigEndian(d[6..]) & 0x1FFF) != 0) return true; // a later fragment: no TCP header
            if (d.Length < l4 + 20) return true;
            family = IpFamily.V4;
            src = NetEndpoint.FromV4Bytes(d.Slice(12, 4), BinaryPrimitives.ReadUInt16BigEndian(d[l4..]));
            dst = NetEndpoint.FromV4Bytes(d.Slice(16, 4), BinaryPrimitives.ReadUInt16BigEndian(d[(l4 + 2)..]));
        }
        else
        {
            if (d[6] != 6) return false; // extension headers or not TCP: PacketDotNet walks them
            l4 = 40;
            if (d.Length < l4 + 20) return true;
            family = IpFamily.V6;
            src = NetEndpoint.FromV6Bytes(d.Slice(8, 16), BinaryPrimitives.ReadUInt16BigEndian(d[l4..]));
            dst = NetEndpoint.FromV6Bytes(d.Slice(24, 16), BinaryPrimitives.ReadUInt16BigEndian(d[(l4 + 2)..]));
        }
        if (d[l4 + 12] >> 4 < 5) return true; // data offset below the minimum header
        e = new PacketEvent
        {
            Time = time, IfIndex = ifIndex, Direction = pktType == 4 ? PacketDirection.Out : PacketDirection.In,
            Family = family, Protocol = 6, Source = src, Destination = dst,
            Flags = (TcpFlags)d[l4 + 13],
            Seq = BinaryPrimitives.ReadUInt32BigEndian(d[(l4 + 4)..]),
            Ack = BinaryPrimitives.ReadUInt32BigEndian(d[(l4 + 8)..]),
            Length = wireLength,
        };
        ok = true;
        return true;
    }

    private static PacketEvent? DecodeCore(byte[] bytes, ushort protocol, int ifIndex, byte pktType, DateTimeOffset time, int wireLength)
    {
        ByteArraySegment seg = new(bytes);
        IPPacket ip = protocol == EthIPv4 ? new IPv4Packet(seg) : new IPv6Packet(seg);
        IpFamily family = protocol == EthIPv4 ? IpFamily.V4 : IpFamily.V6;
        int l4 = protocol == EthIPv4 ? (bytes[0] & 0x0F) * 4 : 40;
        byte proto = (byte)ip.Protocol;
        PacketDirection dir = pktType == 4 ? PacketDirection.Out : PacketDirection.In;
        NetEndpoint src = Address(ip.SourceAddress, 0), dst = Address(ip.DestinationAddress, 0);
        if (proto == 6)
        {
            if (bytes.Length < l4 + 20) return null;
            TcpPacket? tcp = ip.PayloadPacket as TcpPacket ?? new TcpPacket(new ByteArraySegment(bytes, l4, bytes.Length - l4));
            return new PacketEvent
            {
                Time = time, IfIndex = ifIndex, Direction = dir, Family = family, Protocol = proto,
                Source = Address(ip.SourceAddress, tcp.SourcePort),
                Destination = Address(ip.DestinationAddress, tcp.DestinationPort),
                Flags = (TcpFlags)(byte)tcp.Flags,
                Seq = tcp.SequenceNumber,
                Ack = tcp.AcknowledgmentNumber,
                Length = wireLength,
            };
        }
        if (proto is 1 or 58)
        {
            if (bytes.Length < l4 + 8) return null;
            byte type, code;
            if (proto == 1)
            {
                IcmpV4Packet icmp = ip.PayloadPacket as IcmpV4Packet ?? new IcmpV4Packet(new ByteArraySegment(bytes, l4, bytes.Length - l4));
                type = (byte)((ushort)icmp.TypeCode >> 8);
                code = (byte)((ushort)icmp.TypeCode & 0xFF);
            }
            else
            {
                IcmpV6Packet icmp = ip.PayloadPacket as IcmpV6Packet ?? new IcmpV6Packet(new ByteArraySegment(bytes, l4, bytes.Length - l4));
                type = (byte)icmp.Type;
                code = icmp.Code;
            }
            bool error = proto == 1 ? type is 3 or 4 or 5 or 11 or 12 : type < 128;
            PacketEvent e = new()
            {
                Time = time, IfIndex = ifIndex, Direction = dir, Family = family, Protocol = proto,
                Source = src, Destination = dst, IcmpType = type, IcmpCode = code, IsIcmpError = error, Length = wireLength,
            };
            return error ? WithQuote(e, bytes.AsSpan(l4 + 8), proto == 1) : e;
        }
        return new PacketEvent
        {
            Time = time, IfIndex = ifIndex, Direction = dir, Family = family, Protocol = proto,
            Source = src, Destination = dst, Length = wireLength,
        };
    }

    /// <summary>The quoted IP header (+ at least 8 bytes of transport) of an ICMP error; ports 0 when cut short.</summary>
    private static PacketEvent WithQuote(PacketEvent e, ReadOnlySpan<byte> q, bool v4)
    {
        if (v4)
        {
            if (q.Length < 20 || q[0] >> 4 != 4) return e;
            int ihl = (q[0] & 0x0F) * 4;
            if (ihl < 20 || ihl > q.Length) return e;
            (ushort sp, ushort dp) = Ports(q[ihl..]);
            return e with
            {
                InnerProtocol = q[9],
                InnerSource = NetEndpoint.FromV4Bytes(q.Slice(12, 4), sp),
                InnerDestination = NetEndpoint.FromV4Bytes(q.Slice(16, 4), dp),
            };
        }
        if (q.Length < 40 || q[0] >> 4 != 6) return e;
        (ushort s6, ushort d6) = Ports(q[40..]);
        return e with
        {
            InnerProtocol = q[6],
            InnerSource = NetEndpoint.FromV6Bytes(q.Slice(8, 16), s6),
            InnerDestination = NetEndpoint.FromV6Bytes(q.Slice(24, 16), d6),
        };
    }

    private static (ushort, ushort) Ports(ReadOnlySpan<byte> l4) =>
        l4.Length < 4 ? ((ushort)0, (ushort)0) : (BinaryPrimitives.ReadUInt16BigEndian(l4), BinaryPrimitives.ReadUInt16BigEndian(l4[2..]));

    private static NetEndpoint Address(System.Net.IPAddress a, ushort port)
    {
        Span<byte> b = stackalloc byte[16];
        return a.TryWriteBytes(b, out int n) && n == 4 ? NetEndpoint.FromV4Bytes(b[..4], port) : NetEndpoint.FromV6Bytes(b, port);
    }
}
