namespace NetTop.Capture.Sockets;

/// <summary>
/// Which families' sock_diag dumps can find anything, from the namespace's /proc/net/sockstat and sockstat6.
/// Why: a TCP dump walks the kernel's whole established hash table, shared by every namespace (262,144 buckets
/// here), whatever the namespace holds: ~1–1.5 ms of kernel time per family per refresh even in an empty namespace,
/// half of an idle NetTop's refresh thread (docs/benchmarks.md, tui). The counts it reads are per namespace: "TCP:
/// inuse" (IPv4 sockets hashed: listeners, SYN_SENT and every connected state, orphans included; a SYN_RECV request
/// needs a listener, which is counted), "tw" (TIME_WAIT of both families) and "TCP6: inuse". A family with no hashed
/// socket and no TIME_WAIT has nothing to dump. A socket made between this read and the dump shows at the next
/// refresh, as with any poll. Anything unreadable or unexpected means: dump.
/// </summary>
public static class SockstatGate
{
    /// <summary>(dump IPv4, dump IPv6); both true when a count cannot be read.</summary>
    public static (bool V4, bool V6) Families(string? sockstat, string? sockstat6)
    {
        if (sockstat is null || Field(sockstat, "TCP:", "inuse") is not { } v4 || Field(sockstat, "TCP:", "tw") is not { } tw)
        {
            return (true, true);
        }
        long? v6 = sockstat6 is null ? null : Field(sockstat6, "TCP6:", "inuse");
        return (v4 > 0 || tw > 0, v6 is not { } n || n > 0 || tw > 0);
    }

    /// <summary>The number after <paramref name="name"/> on the line starting with <paramref name="line"/>.</summary>
    private static long? Field(string text, string line, string name)
    {
        foreach (string l in text.Split('\n'))
        {
            if (!l.StartsWith(line, StringComparison.Ordinal))
            {
                continue;
            }
            string[] parts = l[line.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i + 1 < parts.Length; i++)
            {
                if (parts[i] == name && long.TryParse(parts[i + 1], System.Globalization.NumberStyles.None,
                        System.Globalization.CultureInfo.InvariantCulture, out long v))
                {
                    return v;
                }
            }
            return null;
        }
        return null;
    }
}
