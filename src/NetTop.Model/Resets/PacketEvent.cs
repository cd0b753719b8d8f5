using NetTop.Model.Net;

namespace NetTop.Model.Resets;

/// <summary>Relative to the watched namespace: the kernel's pkttype OUTGOING is Out, everything else In.</summary>
public enum PacketDirection : byte
{
    In,
    Out,
}

/// <summary>
/// One captured packet that passed the capture filter (TCP SYN/FIN/RST, ICMP/ICMPv6 errors), decoded.
/// Shared by every panel that wants packets. For ICMP errors <see cref="InnerSource"/>/<see cref="InnerDestination"/>
/// are the 4-tuple quoted from the offending packet (ports 0 when the quote is too short).
/// A struct, held in arrays end to end (decoder → subscriber rings → hub): at a 50k/s RST flood one object per
/// packet made the GC's allocation clearing and page faults the largest part of the capture's CPU.
/// </summary>
public readonly record struct PacketEvent
{
    /// <summary>Loopback is always ifindex 1 in a namespace; its packets are both sent and received by the host.</summary>
    public const int LoopbackIfIndex = 1;

    public required DateTimeOffset Time { get; init; }
    public required int IfIndex { get; init; }
    public required PacketDirection Direction { get; init; }
    public required IpFamily Family { get; init; }
    /// <summary>IP protocol: 6 TCP, 1 ICMP, 58 ICMPv6.</summary>
    public required byte Protocol { get; init; }
    public required NetEndpoint Source { get; init; }
    public required NetEndpoint Destination { get; init; }
    public TcpFlags Flags { get; init; }
    public uint Seq { get; init; }
    public uint Ack { get; init; }
    public byte IcmpType { get; init; }
    public byte IcmpCode { get; init; }
    public bool IsIcmpError { get; init; }
    public byte InnerProtocol { get; init; }
    public NetEndpoint? InnerSource { get; init; }
    public NetEndpoint? InnerDestination { get; init; }
    /// <summary>The packet's length on the wire (tp_len), not the captured part.</summary>
    public int Length { get; init; }

    public bool IsLoopback => IfIndex == LoopbackIfIndex;
    public bool IsTcp => Protocol == 6;
    public bool IsRst => IsTcp && (Flags & TcpFlags.Rst) != 0;

    public string FlagsText
    {
        get
        {
            if (!IsTcp) return "";
            Span<char> c = stackalloc char[8];
            int n = 0;
            if ((Flags & TcpFlags.Syn) != 0) c[n++] = 'S';
            if ((Flags & TcpFlags.Fin) != 0) c[n++] = 'F';
            if ((Flags & TcpFlags.Rst) != 0) c[n++] = 'R';
            if ((Flags & TcpFlags.Psh) != 0) c[n++] = 'P';
            if ((Flags & TcpFlags.Ack) != 0) c[n++] = '.';
            if ((Flags & TcpFlags.Urg) != 0) c[n++] = 'U';
            return new string(c[..n]);
        }
    }
}
