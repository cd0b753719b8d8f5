using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetTop.Model.Firewall;

namespace NetTop.Capture.Firewall;

/// <summary>What one `nft -j list …` output held.</summary>
public sealed record NftParseResult(int Rules, int Skipped, int Malformed);

/// <summary>
/// Parses `nft -j list ruleset` (or `nft -j list table F NAME`) output, libnftables JSON schema 1
/// (kernel-interfaces.md §4): <c>{"nftables":[{"metainfo":…},{"table":…},{"chain":{…,"hook":"input"}},
/// {"rule":{family,table,chain,handle,comment?,expr:[…]}}]}</c>.
/// Only rules with a <c>counter</c> expression become <see cref="FirewallRule"/>s (nft counts nothing else);
/// positions still count every rule of the chain. Tables in <c>skipTables</c> ("ip filter", "ip6 raw", …) are the
/// ones iptables-nft manages: iptables-save already reported their rules, with iptables syntax, so they are
/// skipped here (the caller passes the tables iptables-save printed, per family). The rule text is rendered
/// from the expressions nft-style without the counter values, so its hash stays put while it counts.
/// Never throws: JSON it cannot read is counted as malformed.
/// </summary>
public static class NftJsonParser
{
    public static NftParseResult Parse(string json, IReadOnlySet<string> skipTables, FirewallRuleNumbering numbering,
        List<FirewallRule> rules, List<FirewallChain>? chains = null, TimeSpan? countersAt = null)
    {
        int count = 0, skipped = 0, malformed = 0;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException)
        {
            return new NftParseResult(0, 0, 1);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("nftables", out JsonElement items)
                || items.ValueKind != JsonValueKind.Array)
            {
                return new NftParseResult(0, 0, 1);
            }
            Dictionary<(string, string, string), string> hooks = [];
            Dictionary<(string, string, string), int> positions = [];
            foreach (JsonElement item in items.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    malformed++;
                    continue;
                }
                if (item.TryGetProperty("chain", out JsonElement ch))
                {
                    string? fam = Str(ch, "family"), table = Str(ch, "table"), name = Str(ch, "name");
                    if (fam is null || table is null || name is null)
                    {
                        malformed++;
                        continue;
                    }
                    if (skipTables.Contains($"{fam} {table}"))
                    {
                        continue;
                    }
                    string? hook = Str(ch, "hook");
                    if (hook is not null)
                    {
                        hooks[(fam, table, name)] = hook;
                    }
                    chains?.Add(new FirewallChain(Family(fam), FirewallBackends.Nft, table, name, Str(ch, "policy") ?? "-", 0, 0, hook));
                    continue;
                }
                if (!item.TryGetProperty("rule", out JsonElement r))
                {
                    continue; // metainfo, table, set, map, element, flowtable, …
                }
                string? rf = Str(r, "family"), rt = Str(r, "table"), rc = Str(r, "chain");
                if (rf is null || rt is null || rc is null || !r.TryGetProperty("expr", out JsonElement expr) || expr.ValueKind != JsonValueKind.Array)
                {
                    malformed++;
                    continue;
                }
                if (skipTables.Contains($"{rf} {rt}"))
                {
                    skipped++;
                    continue;
                }
                positions.TryGetValue((rf, rt, rc), out int pos);
                positions[(rf, rt, rc)] = ++pos;
                try
                {
                    if (TryRule(r, expr, rf, rt, rc, pos, hooks, numbering, countersAt) is { } rule)
                    {
                        rules.Add(rule);
                        count++;
                    }
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
                {
                    malformed++;
                }
            }
        }
        return new NftParseResult(count, skipped, malformed);
    }

    /// <summary>`nft list tables` text (<c>table ip filter</c> per line) → "ip filter" entries. Other lines are skipped.</summary>
    public static List<(string Family, string Name)> ParseTables(string text)
    {
        List<(string, string)> tables = [];
        foreach (string raw in text.Split('\n'))
        {
            string[] f = raw.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3 && f[0] == "table")
            {
                tables.Add((f[1], f[2]));
            }
        }
        return tables;
    }

    /// <summary>nft family → NetTop family ("ip" → "ipv4", "ip6" → "ipv6", others as nft names them).</summary>
    public static string Family(string nftFamily) => nftFamily switch
    {
        "ip" => "ipv4",
        "ip6" => "ipv6",
        _ => nftFamily,
    };

    private static FirewallRule? TryRule(JsonElement r, JsonElement expr, string nftFamily, string table, string chain, int position,
        Dictionary<(string, string, string), string> hooks, FirewallRuleNumbering numbering, TimeSpan? countersAt)
    {
        ulong packets = 0, bytes = 0;
        bool counted = false;
        string target = "";
        bool isGoto = false;
        StringBuilder text = new(64);
        RuleMatch m = RuleMatch.Any;
        ImmutableArray<string>.Builder unknown = ImmutableArray.CreateBuilder<string>();
        foreach (JsonElement e in expr.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            foreach (JsonProperty p in e.EnumerateObject())
            {
                string piece;
                switch (p.Name)
                {
                    case "counter":
                        counted = true;
                        if (p.Value.ValueKind == JsonValueKind.Object)
                        {
                            packets += U64(p.Value, "packets");
                            bytes += U64(p.Value, "bytes");
                        }
                        piece = "counter";
                        break;
                    case "match":
                        piece = Match(p.Value, ref m, unknown);
                        break;
                    case "accept" or "drop" or "return" or "continue" or "queue":
                        target = p.Name;
                        piece = p.Name;
                        break;
                    case "reject":
                        target = "reject";
                        piece = p.Value.ValueKind == JsonValueKind.Object && Str(p.Value, "type") is { } t ? $"reject with {t}" : "reject";
                        break;
                    case "jump" or "goto":
                        target = p.Value.ValueKind == JsonValueKind.Object ? Str(p.Value, "target") ?? "" : "";
                        isGoto = p.Name == "goto";
                        piece = $"{p.Name} {target}";
                        break;
                    case "xt":
                        string xt = p.Value.ValueKind == JsonValueKind.Object ? $"xt {Str(p.Value, "type")} {Str(p.Value, "name")}" : "xt";
                        unknown.Add(xt);
                        piece = xt;
                        break;
                    default:
                        // log, limit, mangle, nat, ct helpers, …: shown compactly; only statements that test the packet make it undecidable.
                        piece = p.Name;
                        if (p.Name is "limit" or "quota" or "numgen" or "meter" or "set" or "vmap" or "lookup")
                        {
                            unknown.Add(p.Name);
                        }
                        break;
                }
                if (text.Length > 0)
                {
                    text.Append(' ');
                }
                text.Append(piece);
            }
        }
        if (!counted)
        {
            return null;
        }
        string? comment = Str(r, "comment");
        if (comment is not null)
        {
            text.Append(" comment ").Append(RuleTokenizer.Quote(comment));
            m = m with { Comment = comment };
        }
        if (unknown.Count > 0)
        {
            m = m with { Unknown = unknown.ToImmutable() };
        }
        string family = Family(nftFamily);
        string ruleText = text.ToString();
        uint hash = FirewallRule.Hash(ruleText);
        (_, int occurrence) = numbering.Next(FirewallBackends.Nft, family, table, chain, hash);
        return new FirewallRule
        {
            Family = family,
            Backend = FirewallBackends.Nft,
            Table = table,
            Chain = chain,
            Position = position,
            Rule = ruleText,
            Target = target,
            IsGoto = isGoto,
            Packets = packets,
            Bytes = bytes,
            CountersAt = countersAt,
            Hook = hooks.TryGetValue((nftFamily, table, chain), out string? hook) ? hook : null,
            TextHash = hash,
            Occurrence = occurrence,
            Match = m,
        };
    }

    /// <summary>Renders one match and folds what it tests into <paramref name="m"/> when NetTop can evaluate it.</summary>
    private static string Match(JsonElement match, ref RuleMatch m, ImmutableArray<string>.Builder unknown)
    {
        if (match.ValueKind != JsonValueKind.Object || !match.TryGetProperty("left", out JsonElement left) || !match.TryGetProperty("right", out JsonElement right))
        {
            unknown.Add("match");
            return "match";
        }
        string op = Str(match, "op") ?? "==";
        bool neg = op == "!=";
        string l = Render(left), r = Render(right);
        string text = op is "==" or "in" ? $"{l} {r}" : $"{l} {op} {r}";
        bool decided = false;
        if (op is "==" or "!=" or "in")
        {
            string? proto = null, field = null, metaKey = null, ctKey = null;
            if (left.ValueKind == JsonValueKind.Object)
            {
                if (left.TryGetProperty("payload", out JsonElement pl))
                {
                    proto = Str(pl, "protocol");
                    field = Str(pl, "field");
                }
                else if (left.TryGetProperty("meta", out JsonElement meta))
                {
                    metaKey = Str(meta, "key");
                }
                else if (left.TryGetProperty("ct", out JsonElement ct))
                {
                    ctKey = Str(ct, "key");
                }
            }
            switch (proto, field)
            {
                case ("tcp" or "udp", "sport" or "dport"):
                    if (PortMatch.TryParse(PortList(right), neg) is { } ports)
                    {
                        m = field == "sport" ? m with { SourcePorts = ports } : m with { DestinationPorts = ports };
                        m = m.Protocol is null ? m with { Protocol = proto } : m;
                        decided = true;
                    }
                    break;
                case ("ip" or "ip6", "saddr" or "daddr"):
                    if (right.ValueKind is JsonValueKind.String or JsonValueKind.Object && CidrMatch.TryParse(Cidr(right), neg) is { } cidr)
                    {
                        m = field == "saddr" ? m with { Source = cidr } : m with { Destination = cidr };
                        decided = true;
                    }
                    break;
                case ("ip", "protocol") or ("ip6", "nexthdr"):
                    if (right.ValueKind == JsonValueKind.String)
                    {
                        m = m with { Protocol = right.GetString()!.ToLowerInvariant(), ProtocolNegated = neg };
                        decided = true;
                    }
                    break;
            }
            if (metaKey is "l4proto" && right.ValueKind == JsonValueKind.String)
            {
                m = m with { Protocol = right.GetString()!.ToLowerInvariant(), ProtocolNegated = neg };
                decided = true;
            }
            else if (metaKey is "iifname" or "oifname" && right.ValueKind == JsonValueKind.String)
            {
                string name = right.GetString()!;
                name = name.EndsWith('*') ? name[..^1] + "+" : name; // nft wildcard "eth*" is iptables' "eth+"
                InterfaceMatch im = new(name, neg);
                m = metaKey == "iifname" ? m with { InInterface = im } : m with { OutInterface = im };
                decided = true;
            }
            else if (ctKey is "state" && StateMatch.TryParse(StateList(right), neg) is { } st)
            {
                m = m with { States = st };
                decided = true;
            }
        }
        if (!decided)
        {
            unknown.Add(text);
        }
        return text;
    }

    private static string PortList(JsonElement right) => right.ValueKind switch
    {
        JsonValueKind.Number => right.GetRawText(),
        JsonValueKind.Object when right.TryGetProperty("set", out JsonElement set) && set.ValueKind == JsonValueKind.Array =>
            string.Join(',', set.EnumerateArray().Select(PortList)),
        JsonValueKind.Object when right.TryGetProperty("range", out JsonElement range) && range.ValueKind == JsonValueKind.Array && range.GetArrayLength() == 2 =>
            $"{PortList(range[0])}:{PortList(range[1])}",
        _ => "?",
    };

    private static string StateList(JsonElement right) => right.ValueKind switch
    {
        JsonValueKind.String => right.GetString()!,
        JsonValueKind.Array => string.Join(',', right.EnumerateArray().Select(StateList)),
        JsonValueKind.Object when right.TryGetProperty("set", out JsonElement set) => StateList(set),
        _ => "?",
    };

    private static string Cidr(JsonElement right)
    {
        if (right.ValueKind == JsonValueKind.String)
        {
            return right.GetString()!;
        }
        if (right.TryGetProperty("prefix", out JsonElement p) && Str(p, "addr") is { } addr && p.TryGetProperty("len", out JsonElement len))
        {
            return $"{addr}/{len.GetRawText()}";
        }
        return "?";
    }

    /// <summary>An expression as nft prints it, roughly: <c>tcp dport</c>, <c>{ 80, 443 }</c>, <c>10.0.0.0/16</c>.</summary>
    private static string Render(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array => "{ " + string.Join(", ", e.EnumerateArray().Select(Render)) + " }",
        JsonValueKind.Object => RenderObject(e),
        _ => "?",
    };

    private static string RenderObject(JsonElement e)
    {
        foreach (JsonProperty p in e.EnumerateObject())
        {
            JsonElement v = p.Value;
            return p.Name switch
            {
                "payload" => $"{Str(v, "protocol") ?? Str(v, "base") ?? "?"} {Str(v, "field") ?? "?"}",
                "meta" => $"meta {Str(v, "key")}",
                "ct" => $"ct {Str(v, "key")}",
                "set" => "{ " + string.Join(", ", v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(Render) : [Render(v)]) + " }",
                "prefix" => $"{Str(v, "addr")}/{(v.TryGetProperty("len", out JsonElement len) ? len.GetRawText() : "?")}",
                "range" when v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2 => $"{Render(v[0])}-{Render(v[1])}",
                _ => p.Name,
            };
        }
        return "{}";
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static ulong U64(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong n) ? n : 0;
}
