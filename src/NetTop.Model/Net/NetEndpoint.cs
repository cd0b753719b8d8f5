using System.Buffers.Binary;
using System.Net;

namespace NetTop.Model.Net;

public enum IpFamily : byte
{
    V4 = 4,
    V6 = 6,
}

public static class IpFamilyExtensions
{
    public static string Name(this IpFamily f) => f == IpFamily.V4 ? "ipv4" : "ipv6";
}

/// <summary>
/// An IP address and port held by value (no <see cref="IPAddress"/> per socket on the refresh path).
/// The address is the 16 network-order bytes of an IPv6 address read as a big-endian number; IPv4 addresses
/// sit in the low 32 bits. Stored as two ulongs (24 bytes: a UInt128 field would be 16-byte aligned and make
/// the struct 48), because every socket row holds two of these.
/// </summary>
public readonly record struct NetEndpoint
{
    private readonly ulong _hi;
    private readonly ulong _lo;

    public NetEndpoint(IpFamily family, UInt128 address, ushort port)
    {
        _hi = (ulong)(address >> 64);
        _lo = (ulong)address;
        Port = port;
        Family = family;
    }

    public ushort Port { get; }

    public IpFamily Family { get; }

    public UInt128 Address => new(_hi, _lo);

    public static NetEndpoint FromV4(uint networkOrderAddress, ushort port) =>
        new(IpFamily.V4, BinaryPrimitives.ReverseEndianness(networkOrderAddress), port);

    /// <summary>From the 4 network-order bytes of an IPv4 address.</summary>
    public static NetEndpoint FromV4Bytes(ReadOnlySpan<byte> addr4, ushort port) =>
        new(IpFamily.V4, BinaryPrimitives.ReadUInt32BigEndian(addr4), port);

    /// <summary>From the 16 network-order bytes of an IPv6 address.</summary>
    public static NetEndpoint FromV6Bytes(ReadOnlySpan<byte> addr16, ushort port) =>
        new(IpFamily.V6, BinaryPrimitives.ReadUInt128BigEndian(addr16), port);

    public static NetEndpoint FromIPEndPoint(IPEndPoint ep)
    {
        Span<byte> b = stackalloc byte[16];
        ep.Address.TryWriteBytes(b, out int n);
        return n == 4 ? FromV4Bytes(b[..4], (ushort)ep.Port) : FromV6Bytes(b, (ushort)ep.Port);
    }

    public bool IsUnspecified => (_hi | _lo) == 0;

    /// <summary>True for ::ffff:a.b.c.d.</summary>
    public bool IsV4Mapped => Family == IpFamily.V6 && _hi == 0 && (_lo >> 32) == 0xFFFF;

    /// <summary>The IPv4 view of a v4-mapped IPv6 endpoint; itself otherwise.</summary>
    public NetEndpoint Unmapped => IsV4Mapped ? new(IpFamily.V4, Address & 0xFFFF_FFFF, Port) : this;

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        if (Family == IpFamily.V4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, (uint)Address);
            return new IPAddress(b[..4]);
        }
        BinaryPrimitives.WriteUInt128BigEndian(b, Address);
        return new IPAddress(b);
    }

    public string AddressText => Family == IpFamily.V4 ? FormatV4((uint)Address) : ToIPAddress().ToString();

    /// <summary><c>127.0.0.1:8080</c>, <c>[::1]:8080</c>, <c>*:22</c> is not used: wildcards print as 0.0.0.0 / [::].</summary>
    public override string ToString() =>
        Family == IpFamily.V4 ? $"{FormatV4((uint)Address)}:{Port}" : $"[{ToIPAddress()}]:{Port}";

    private static string FormatV4(uint a) => $"{a >> 24}.{(a >> 16) & 0xFF}.{(a >> 8) & 0xFF}.{a & 0xFF}";

    public static bool TryParse(string text, out NetEndpoint endpoint)
    {
        endpoint = default;
        if (!IPEndPoint.TryParse(text, out IPEndPoint? ep))
        {
            return false;
        }
        endpoint = FromIPEndPoint(ep);
        return true;
    }
}
