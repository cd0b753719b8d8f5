using NetTop.Model.Firewall;

namespace NetTop.Capture.Firewall;

/// <summary>One line of a trace monitor, parsed: a packet description, a trace step, or neither.</summary>
public readonly record struct TraceLine(TraceLineKind Kind, string TraceId, string Family, string Packet, TraceEvent? Event);

public enum TraceLineKind : byte
{
    /// <summary>Not a trace line (a startup message, an error): the caller counts it.</summary>
    Other,
    Packet,
    Event,
}

/// <summary>
/// Parses the lines of `xtables-monitor --trace` and `nft monitor trace` (formats in kernel-interfaces.md §4,
/// recorded in tests/fixtures/firewall). Pure; never throws.
/// <code>
/// PACKET: 2 26365ecf OUT=lo SRC=127.0.0.1 DST=127.0.0.1 … SPORT=45678 DPORT=1060 SYN
///  TRACE: 2 26365ecf raw:OUTPUT:rule:0x4:CONTINUE  -4 -t raw -A OUTPUT … -j TRACE
///  TRACE: 2 26365ecf raw:OUTPUT:policy:ACCEPT
///  TRACE: 2 7737ef67 filter:INPUT:rule:0x1a:DROP  -4 -t filter -A INPUT -p tcp -m tcp --dport 1060 -j DROP
/// trace id ac84c4eb inet nettop_native output packet: oif "lo" ip saddr 127.0.0.1 … tcp flags == syn …
/// trace id 8e39bc03 inet nettop_native input rule tcp dport 1061 counter packets 1 bytes 60 drop comment "x" (verdict drop)
/// trace id ac84c4eb inet nettop_native output policy accept
/// </code>
/// The number after PACKET:/TRACE: is the NFPROTO family (1 inet, 2 ipv4, 10 ipv6).
/// </summary>
public static class TraceLineParser
{
    public static TraceLine Parse(string line, TimeSpan time)
    {
        ReadOnlySpan<char> s = line.AsSpan().Trim();
        if (s.StartsWith("PACKET: ", StringComparison.Ordinal))
        {
            return Xtables(s[8..], time, packet: true);
        }
        if (s.StartsWith("TRACE: ", StringComparison.Ordinal))
        {
            return Xtables(s[7..], time, packet: false);
        }
        if (s.StartsWith("trace id ", StringComparison.Ordinal))
        {
            return Nft(s[9..], time);
        }
        return default;
    }

    private static string XtFamily(ReadOnlySpan<char> nfproto) => nfproto switch
    {
        "2" => "ipv4",
        "10" => "ipv6",
        "1" => "inet",
        "7" => "bridge",
        "3" => "arp",
        _ => new string(nfproto),
    };

    private static TraceLine Xtables(ReadOnlySpan<char> s, TimeSpan time, bool packet)
    {
        if (!Next(ref s, out ReadOnlySpan<char> fam) || !Next(ref s, out ReadOnlySpan<char> id))
        {
            return default;
        }
        string family = XtFamily(fam), traceId = new(id);
        if (packet)
        {
            return new TraceLine(TraceLineKind.Packet, traceId, family, new string(s.Trim()), null);
        }
        // table:chain:rule:0xHANDLE:VERDICT[:JUMPCHAIN]  rule text | table:chain:policy:VERDICT | table:chain:return:
        if (!Next(ref s, out ReadOnlySpan<char> where))
        {
            return default;
        }
        string[] parts = new string(where).Split(':');
        if (parts.Length < 3 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return default;
        }
        string kind = parts[2], verdict, handle;
        switch (kind)
        {
            case "rule" when parts.Length >= 5:
                handle = $"rule {parts[3]}";
                verdict = string.Join(':', parts.Skip(4)).ToUpperInvariant();
                break;
            case "policy" when parts.Length >= 4:
                handle = "policy";
                verdict = parts[3].ToUpperInvariant();
                break;
            case "return":
                handle = "return";
                verdict = parts.Length >= 4 && parts[3].Length > 0 ? parts[3].ToUpperInvariant() : "RETURN";
                break;
            default:
                return default;
        }
        TraceEvent e = new(time, traceId, parts[0], parts[1], handle, verdict, new string(s.Trim()));
        return new TraceLine(TraceLineKind.Event, traceId, family, "", e);
    }

    private static TraceLine Nft(ReadOnlySpan<char> s, TimeSpan time)
    {
        if (!Next(ref s, out ReadOnlySpan<char> id) || !Next(ref s, out ReadOnlySpan<char> fam)
            || !Next(ref s, out ReadOnlySpan<char> table) || !Next(ref s, out ReadOnlySpan<char> chain))
        {
            return default;
        }
        string traceId = new(id), family = NftJsonParser.Family(new string(fam));
        s = s.Trim();
        if (s.StartsWith("packet:", StringComparison.Ordinal))
        {
            return new TraceLine(TraceLineKind.Packet, traceId, family, new string(s[7..].Trim()), null);
        }
        string handle, verdict, text = "";
        if (s.StartsWith("rule ", StringComparison.Ordinal))
        {
            ReadOnlySpan<char> rule = s[5..];
            int v = rule.LastIndexOf("(verdict ", StringComparison.Ordinal);
            if (v >= 0)
            {
                ReadOnlySpan<char> tail = rule[(v + 9)..].TrimEnd().TrimEnd(')');
                verdict = new string(tail).Replace(' ', ':').ToUpperInvariant(); // "jump web_in" → JUMP:WEB_IN
                rule = rule[..v];
            }
            else
            {
                verdict = "CONTINUE";
            }
            handle = "rule";
            text = new string(rule.Trim());
        }
        else if (s.StartsWith("policy ", StringComparison.Ordinal))
        {
            handle = "policy";
            verdict = new string(s[7..].Trim()).ToUpperInvariant();
        }
        else if (s.StartsWith("verdict ", StringComparison.Ordinal))
        {
            handle = "return";
            verdict = new string(s[8..].Trim()).Replace(' ', ':').ToUpperInvariant();
        }
        else
        {
            return default;
        }
        TraceEvent e = new(time, traceId, new string(table), new string(chain), handle, verdict, text);
        return new TraceLine(TraceLineKind.Event, traceId, family, "", e);
    }

    /// <summary>The next space-separated field of <paramref name="s"/>, advancing it.</summary>
    private static bool Next(ref ReadOnlySpan<char> s, out ReadOnlySpan<char> field)
    {
        s = s.TrimStart(' ');
        int sp = s.IndexOf(' ');
        field = sp < 0 ? s : s[..sp];
        s = sp < 0 ? [] : s[(sp + 1)..];
        return !field.IsEmpty;
    }
}
