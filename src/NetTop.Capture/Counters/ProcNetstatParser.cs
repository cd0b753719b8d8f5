using System.Globalization;

namespace NetTop.Capture.Counters;

/// <summary>
/// Parses /proc/net/netstat and /proc/net/snmp: pairs of lines, a header <c>TcpExt: A B C</c> followed by
/// values <c>TcpExt: 1 2 3</c>, zipped by position. TcpExt fields keep their bare name (ListenOverflows);
/// other sections are prefixed like nstat does (Tcp + OutRsts = TcpOutRsts). Pure; lines that do not pair up
/// are skipped and counted.
/// </summary>
internal static class ProcNetstatParser
{
    public static int Parse(ReadOnlySpan<char> text, Dictionary<string, ulong> into)
    {
        int malformed = 0;
        ReadOnlySpan<char> header = default;
        foreach (ReadOnlySpan<char> raw in text.EnumerateLines())
        {
            ReadOnlySpan<char> line = raw.TrimEnd();
            if (line.IsEmpty)
            {
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                malformed++;
                continue;
            }
            if (header.IsEmpty)
            {
                header = line;
                continue;
            }
            ReadOnlySpan<char> section = line[..colon];
            if (!header.StartsWith(section) || header.Length <= colon || header[colon] != ':')
            {
                // A values line that does not follow its header: treat this line as a new header.
                malformed++;
                header = line;
                continue;
            }
            malformed += Zip(section, header[(colon + 1)..], line[(colon + 1)..], into);
            header = default;
        }
        if (!header.IsEmpty)
        {
            malformed++;
        }
        return malformed;
    }

    private static int Zip(ReadOnlySpan<char> section, ReadOnlySpan<char> names, ReadOnlySpan<char> values,
        Dictionary<string, ulong> into)
    {
        string prefix = section.SequenceEqual("TcpExt") ? "" : section.ToString();
        int bad = 0;
        MemoryExtensions.SpanSplitEnumerator<char> n = names.Trim().Split(' ');
        MemoryExtensions.SpanSplitEnumerator<char> v = values.Trim().Split(' ');
        while (n.MoveNext())
        {
            if (!v.MoveNext())
            {
                return bad + 1;
            }
            ReadOnlySpan<char> name = names.Trim()[n.Current];
            ReadOnlySpan<char> value = values.Trim()[v.Current];
            // Tcp: MaxConn is -1 (signed); everything else is an unsigned counter or gauge.
            if (ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u))
            {
                into[prefix + name.ToString()] = u;
            }
            else if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                bad++;
            }
        }
        return v.MoveNext() ? bad + 1 : bad;
    }
}
