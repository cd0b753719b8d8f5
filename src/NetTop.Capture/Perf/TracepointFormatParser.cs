using System.Globalization;

namespace NetTop.Capture.Perf;

/// <summary>One field of a tracepoint's raw record, as its format file declares it.</summary>
public sealed record TracepointField(string Name, string Type, int Offset, int Size, bool Signed);

/// <summary>
/// A parsed events/SYSTEM/NAME/format file: the id perf_event_open needs as config, every field's offset and
/// size, and the __print_symbolic tables of the print fmt (e.g. enum sk_rst_reason names by number).
/// </summary>
public sealed record TracepointFormat(
    string Name,
    uint Id,
    IReadOnlyDictionary<string, TracepointField> Fields,
    IReadOnlyDictionary<string, IReadOnlyDictionary<long, string>> Symbols,
    int MalformedLines)
{
    public TracepointField? Field(string name) => Fields.GetValueOrDefault(name);

    /// <summary>The highest offset+size of any field: a raw record shorter than this is malformed.</summary>
    public int MinRawSize => Fields.Count == 0 ? 0 : Fields.Values.Max(f => f.Offset + f.Size);

    /// <summary>The values of <c>__print_symbolic(REC-&gt;field, {n, "NAME"}, …)</c> as a dense list ("" for holes), or null.</summary>
    public IReadOnlyList<string>? SymbolTable(string field)
    {
        if (!Symbols.TryGetValue(field, out IReadOnlyDictionary<long, string>? map) || map.Count == 0) return null;
        long max = map.Keys.Max();
        if (max < 0 || max > 4096 || map.Keys.Any(k => k < 0)) return null;
        string[] t = new string[max + 1];
        Array.Fill(t, "");
        foreach ((long k, string v) in map) t[k] = v;
        return t;
    }
}

/// <summary>
/// Parses tracefs format files (pure: text in, record out; never throws). The layout is read at run time,
/// never hard-coded: ids are assigned at boot and fields move between kernel versions.
/// </summary>
public static class TracepointFormatParser
{
    /// <summary>The format, or null when the text has no "ID:" line (not a format file).</summary>
    public static TracepointFormat? Parse(string text)
    {
        string name = "";
        uint? id = null;
        Dictionary<string, TracepointField> fields = new(StringComparer.Ordinal);
        Dictionary<string, IReadOnlyDictionary<long, string>> symbols = new(StringComparer.Ordinal);
        int malformed = 0;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith("name:", StringComparison.Ordinal))
            {
                name = line[5..].Trim();
            }
            else if (line.StartsWith("ID:", StringComparison.Ordinal))
            {
                if (uint.TryParse(line.AsSpan(3).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out uint v)) id = v;
                else malformed++;
            }
            else if (line.StartsWith("field:", StringComparison.Ordinal))
            {
                if (ParseField(line) is { } f) fields[f.Name] = f;
                else malformed++;
            }
            else if (line.StartsWith("print fmt:", StringComparison.Ordinal))
            {
                ParseSymbolic(line, symbols);
            }
        }
        return id is { } ok ? new TracepointFormat(name, ok, fields, symbols, malformed) : null;
    }

    // "field:const void * skbaddr;	offset:8;	size:8;	signed:0;"  and arrays: "field:__u8 saddr[28];"
    private static TracepointField? ParseField(string line)
    {
        string[] parts = line.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !parts[0].StartsWith("field:", StringComparison.Ordinal)) return null;
        string decl = parts[0][6..].Trim();
        int bracket = decl.IndexOf('[', StringComparison.Ordinal);
        string beforeArray = bracket >= 0 ? decl[..bracket] : decl;
        int sep = beforeArray.LastIndexOfAny([' ', '*', '\t']);
        if (sep < 0 || sep == beforeArray.Length - 1) return null;
        string fieldName = beforeArray[(sep + 1)..];
        string type = beforeArray[..(sep + 1)].Trim() + (bracket >= 0 ? decl[bracket..] : "");
        int? offset = null, size = null;
        bool signed = false;
        foreach (string p in parts.Skip(1))
        {
            int colon = p.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0) continue;
            string key = p[..colon];
            if (!int.TryParse(p.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int v)) continue;
            switch (key)
            {
                case "offset": offset = v; break;
                case "size": size = v; break;
                case "signed": signed = v != 0; break;
            }
        }
        if (offset is not { } o || size is not { } s || o > 65535 || s > 65535) return null;
        return new TracepointField(fieldName, type, o, s, signed);
    }

    // __print_symbolic(REC->reason, { 0, "NOT_SPECIFIED" }, { 1, "NO_SOCKET" }, ...). Symbolic keys (TCP_CLOSE) are skipped.
    private static void ParseSymbolic(string line, Dictionary<string, IReadOnlyDictionary<long, string>> into)
    {
        const string Marker = "__print_symbolic(REC->";
        int at = 0;
        while ((at = line.IndexOf(Marker, at, StringComparison.Ordinal)) >= 0)
        {
            at += Marker.Length;
            int comma = line.IndexOf(',', at);
            if (comma < 0) return;
            string field = line[at..comma].Trim();
            Dictionary<long, string> map = [];
            int pos = comma;
            while (true)
            {
                int open = SkipSpaces(line, pos + 1);
                if (open >= line.Length || line[open] != '{') break;
                int close = line.IndexOf('}', open);
                if (close < 0) break;
                string[] kv = line[(open + 1)..close].Split(',', 2, StringSplitOptions.TrimEntries);
                if (kv.Length == 2 && long.TryParse(kv[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long key)
                    && kv[1].Length >= 2 && kv[1][0] == '"' && kv[1][^1] == '"')
                {
                    map[key] = kv[1][1..^1];
                }
                pos = close + 1;
                if (pos >= line.Length || line[pos] != ',') break;
            }
            if (map.Count > 0) into[field] = map;
        }
    }

    private static int SkipSpaces(string s, int i)
    {
        while (i < s.Length && s[i] == ' ') i++;
        return i;
    }
}
