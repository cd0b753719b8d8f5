using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using NetTop.Model.Net;

namespace NetTop.Model.Firewall;

/// <summary>An address prefix (<c>-s 10.0.0.0/8</c>), possibly negated (<c>! -s …</c>).</summary>
public sealed record CidrMatch(IpFamily Family, UInt128 Address, int PrefixLength, bool Negated)
{
    public bool Contains(NetEndpoint endpoint)
    {
        NetEndpoint e = endpoint.Unmapped;
        bool inside = e.Family == Family && Masked(e.Address) == Masked(Address);
        return inside != Negated;
    }

    private UInt128 Masked(UInt128 a)
    {
        int bits = Family == IpFamily.V4 ? 32 : 128;
        int drop = bits - Math.Clamp(PrefixLength, 0, bits);
        return drop >= 128 ? UInt128.Zero : (a >> drop) << drop;
    }

    /// <summary>"10.0.0.0/8", "2001:db8::/32", a bare address as /32 or /128. Null when it is not an address.</summary>
    public static CidrMatch? TryParse(string text, bool negated)
    {
        ReadOnlySpan<char> s = text;
        int slash = s.IndexOf('/');
        ReadOnlySpan<char> addr = slash >= 0 ? s[..slash] : s;
        if (!IPAddress.TryParse(addr, out IPAddress? ip))
        {
            return null;
        }
        NetEndpoint ep = NetEndpoint.FromIPEndPoint(new IPEndPoint(ip, 0));
        int max = ep.Family == IpFamily.V4 ? 32 : 128;
        int len = max;
        if (slash >= 0)
        {
            ReadOnlySpan<char> p = s[(slash + 1)..];
            if (int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int l) && l <= max)
            {
                len = l;
            }
            else if (IPAddress.TryParse(p, out IPAddress? mask) && ep.Family == IpFamily.V4)
            {
                // A dotted mask (iptables prints non-contiguous masks this way): contiguous ones only.
                uint m = (uint)NetEndpoint.FromIPEndPoint(new IPEndPoint(mask, 0)).Address;
                len = System.Numerics.BitOperations.PopCount(m);
                if (len != 32 - System.Numerics.BitOperations.TrailingZeroCount(m == 0 ? 1UL << 32 : m))
                {
                    return null;
                }
            }
            else
            {
                return null;
            }
        }
        return new CidrMatch(ep.Family, ep.Address, len, negated);
    }
}

/// <summary>Port ranges (<c>--dport 22</c>, <c>--dport 7000:7010</c>, <c>--dports 80,443,8000:8100</c>), possibly negated.</summary>
public sealed record PortMatch(ImmutableArray<(ushort Low, ushort High)> Ranges, bool Negated)
{
    public bool Contains(ushort port)
    {
        bool inside = false;
        foreach ((ushort lo, ushort hi) in Ranges)
        {
            if (port >= lo && port <= hi)
            {
                inside = true;
                break;
            }
        }
        return inside != Negated;
    }

    /// <summary>"22", "1024:", ":1023", "7000:7010", comma lists of those. Null when any part is not a port.</summary>
    public static PortMatch? TryParse(string text, bool negated)
    {
        ImmutableArray<(ushort, ushort)>.Builder b = ImmutableArray.CreateBuilder<(ushort, ushort)>(2);
        foreach (string part in text.Split(','))
        {
            int colon = part.IndexOf(':');
            if (colon < 0)
            {
                if (!TryPort(part, 0, out ushort p))
                {
                    return null;
                }
                b.Add((p, p));
                continue;
            }
            if (!TryPort(part[..colon], 0, out ushort lo) || !TryPort(part[(colon + 1)..], ushort.MaxValue, out ushort hi))
            {
                return null;
            }
            b.Add(lo <= hi ? (lo, hi) : (hi, lo)); // iptables swaps an inverted range too
        }
        return b.Count == 0 ? null : new PortMatch(b.DrainToImmutable(), negated);
    }

    private static bool TryPort(string s, ushort empty, out ushort port)
    {
        if (s.Length == 0)
        {
            port = empty;
            return true;
        }
        return ushort.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }
}

/// <summary><c>-i eth0</c>, <c>-o veth+</c> (a trailing + matches any suffix), possibly negated.</summary>
public sealed record InterfaceMatch(string Name, bool Negated)
{
    public bool Matches(string iface)
    {
        bool hit = Name.EndsWith('+')
            ? iface.StartsWith(Name.AsSpan(0, Name.Length - 1), StringComparison.Ordinal)
            : string.Equals(iface, Name, StringComparison.Ordinal);
        return hit != Negated;
    }
}

/// <summary>Connection tracking states (<c>-m state --state</c>, <c>-m conntrack --ctstate</c>).</summary>
[Flags]
public enum ConnStates : byte
{
    None = 0,
    New = 1,
    Established = 2,
    Related = 4,
    Invalid = 8,
    Untracked = 16,
    Snat = 32,
    Dnat = 64,
}

public sealed record StateMatch(ConnStates States, bool Negated)
{
    public bool Matches(ConnStates packet) => ((States & packet) != 0) != Negated;

    public static StateMatch? TryParse(string text, bool negated)
    {
        ConnStates s = ConnStates.None;
        foreach (string part in text.Split(','))
        {
            ConnStates one = part.ToUpperInvariant() switch
            {
                "NEW" => ConnStates.New,
                "ESTABLISHED" => ConnStates.Established,
                "RELATED" => ConnStates.Related,
                "INVALID" => ConnStates.Invalid,
                "UNTRACKED" => ConnStates.Untracked,
                "SNAT" => ConnStates.Snat,
                "DNAT" => ConnStates.Dnat,
                _ => ConnStates.None,
            };
            if (one == ConnStates.None)
            {
                return null;
            }
            s |= one;
        }
        return new StateMatch(s, negated);
    }
}

/// <summary><c>--tcp-flags MASK COMP</c> (<c>--syn</c> is <c>FIN,SYN,RST,ACK SYN</c>): (flags &amp; mask) == comp.</summary>
public sealed record TcpFlagsMatch(TcpFlags Mask, TcpFlags Compare, bool Negated)
{
    public static readonly TcpFlagsMatch Syn = new(TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Ack, TcpFlags.Syn, false);

    public bool Matches(TcpFlags flags) => ((flags & Mask) == Compare) != Negated;

    public static TcpFlags? ParseList(string text)
    {
        TcpFlags f = TcpFlags.None;
        foreach (string part in text.Split(','))
        {
            switch (part.ToUpperInvariant())
            {
                case "FIN": f |= TcpFlags.Fin; break;
                case "SYN": f |= TcpFlags.Syn; break;
                case "RST": f |= TcpFlags.Rst; break;
                case "PSH": f |= TcpFlags.Psh; break;
                case "ACK": f |= TcpFlags.Ack; break;
                case "URG": f |= TcpFlags.Urg; break;
                case "ALL": f |= TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg; break;
                case "NONE": break;
                default: return null;
            }
        }
        return f;
    }
}

/// <summary>
/// What a rule matches, as far as NetTop can evaluate it against a TCP packet. Anything else the rule tests
/// (marks, rate limits, owners, sets, strings, …) is listed in <see cref="Unknown"/> and makes the rule
/// <see cref="Undecidable"/>: NetTop then never claims it matches a flow.
/// </summary>
public sealed record RuleMatch
{
    public static readonly RuleMatch Any = new();

    /// <summary>"tcp", "udp", "6", … lower-case; null for any protocol.</summary>
    public string? Protocol { get; init; }
    public bool ProtocolNegated { get; init; }
    public CidrMatch? Source { get; init; }
    public CidrMatch? Destination { get; init; }
    public PortMatch? SourcePorts { get; init; }
    public PortMatch? DestinationPorts { get; init; }
    public InterfaceMatch? InInterface { get; init; }
    public InterfaceMatch? OutInterface { get; init; }
    public StateMatch? States { get; init; }
    public TcpFlagsMatch? TcpFlags { get; init; }
    public string? Comment { get; init; }
    /// <summary>Matches NetTop cannot evaluate, as they appear in the rule ("-m mark --mark 0x1").</summary>
    public ImmutableArray<string> Unknown { get; init; } = [];

    public bool Undecidable => !Unknown.IsDefaultOrEmpty;
}
