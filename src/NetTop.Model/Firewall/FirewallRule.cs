using System.Collections.Immutable;
using System.Globalization;

namespace NetTop.Model.Firewall;

/// <summary>Where a rule lives: the iptables backend that printed it, or a native nftables table.</summary>
public static class FirewallBackends
{
    /// <summary>iptables-nft (iptables-save's header says "(nf_tables)").</summary>
    public const string NfTables = "nf_tables";
    /// <summary>iptables-legacy (x_tables): iptables-legacy-save, or a header without "(nf_tables)".</summary>
    public const string Legacy = "legacy";
    /// <summary>A native nftables rule from `nft -j list`, in a table iptables does not manage.</summary>
    public const string Nft = "nft";
}

/// <summary>
/// One firewall rule with its counters, as one poll read it.
/// <see cref="Id"/> names the rule where it is now (<c>ipv4/filter/INPUT/3/1a2b3c4d</c>: family, table, chain,
/// 1-based position and a hash of the rule text; legacy and native nft rules prefix the family with
/// <c>legacy:</c> or <c>nft:</c>). <see cref="Key"/> follows the rule across polls: the same text in the same
/// chain keeps its key when rules are inserted above it (the n-th identical copy gets <c>~n</c>).
/// </summary>
public sealed record FirewallRule
{
    private RuleMatch? _match;

    /// <summary>"ipv4", "ipv6"; native nft tables may be "inet", "bridge", "arp", "netdev".</summary>
    public required string Family { get; init; }
    /// <summary><see cref="FirewallBackends"/>.</summary>
    public required string Backend { get; init; }
    public required string Table { get; init; }
    public required string Chain { get; init; }
    /// <summary>1-based position within the chain.</summary>
    public required int Position { get; init; }
    /// <summary>The rule as iptables-save prints it after <c>-A CHAIN</c> (for nft: the rule as nft prints it).</summary>
    public required string Rule { get; init; }
    /// <summary>ACCEPT, DROP, REJECT, a user chain, LOG, …; "" for a rule without a target (it only counts).</summary>
    public required string Target { get; init; }
    /// <summary>True for <c>-g CHAIN</c> (goto: the chain's end returns to the caller's caller).</summary>
    public bool IsGoto { get; init; }
    /// <summary>The target's own options (<c>--reject-with tcp-reset</c>).</summary>
    public string TargetArgs { get; init; } = "";
    public required ulong Packets { get; init; }
    public required ulong Bytes { get; init; }
    /// <summary>When these counters were read, if not at the sample's time (native nft rules are read less often).</summary>
    public TimeSpan? CountersAt { get; init; }
    /// <summary>For a base chain, its netfilter hook ("input", "output", "prerouting", "postrouting", "forward"); null for a user chain.</summary>
    public string? Hook { get; init; }
    /// <summary>Stable across polls (see the type's summary).</summary>
    public required string Key { get; init; }
    public required string Id { get; init; }

    /// <summary>What the rule matches (parsed from <see cref="Rule"/> on first use unless the parser set it).</summary>
    public RuleMatch Match
    {
        get => _match ??= RuleMatchParser.Parse(Rule).Match;
        init => _match = value;
    }

    public string Comment => Match.Comment ?? "";
    public bool Undecidable => Match.Undecidable;

    /// <summary>DROP or REJECT: the packet ends here and does not reach the socket.</summary>
    public bool IsDropTarget => Target is "DROP" or "REJECT" or "drop" or "reject";

    /// <summary>A target that decides the packet's fate (vs LOG, MARK, TRACE, … which go on).</summary>
    public bool IsTerminal => Target is "ACCEPT" or "DROP" or "REJECT" or "RETURN" or "accept" or "drop" or "reject" or "return";

    /// <summary>32-bit FNV-1a of the rule text as 8 hex digits: position-independent.</summary>
    public static string Hash(string rule)
    {
        uint h = 2166136261;
        foreach (char c in rule)
        {
            h = (h ^ c) * 16777619;
        }
        return h.ToString("x8", CultureInfo.InvariantCulture);
    }

    public static string IdPrefix(string backend, string family) => backend switch
    {
        FirewallBackends.NfTables => family,
        _ => $"{backend}:{family}",
    };

    /// <summary><c>ipv4/filter/INPUT/3/1a2b3c4d</c>.</summary>
    public static string MakeId(string backend, string family, string table, string chain, int position, string hash) =>
        string.Create(CultureInfo.InvariantCulture, $"{IdPrefix(backend, family)}/{table}/{chain}/{position}/{hash}");

    /// <summary><c>ipv4/filter/INPUT#1a2b3c4d</c>, with <c>~n</c> for the n-th (n ≥ 1) repeat of the same text.</summary>
    public static string MakeKey(string backend, string family, string table, string chain, string hash, int occurrence) =>
        occurrence == 0
            ? $"{IdPrefix(backend, family)}/{table}/{chain}#{hash}"
            : string.Create(CultureInfo.InvariantCulture, $"{IdPrefix(backend, family)}/{table}/{chain}#{hash}~{occurrence}");

    /// <summary>The rule as a command would add it: <c>-t filter -A INPUT …</c>.</summary>
    public string FullText => Backend == FirewallBackends.Nft
        ? $"{Family} {Table} {Chain}: {Rule}"
        : $"-t {Table} -A {Chain} {Rule}";
}

/// <summary>A chain as one poll saw it: its policy and policy counters (built-in chains of the nf_tables backend read [0:0]).</summary>
public sealed record FirewallChain(string Family, string Backend, string Table, string Name, string Policy, ulong Packets, ulong Bytes, string? Hook)
{
    public bool IsBuiltIn => Hook is not null;
}

/// <summary>
/// One firewall reading of a namespace: every rule with its counters. <see cref="Backend"/> says which backends
/// held rules ("nf_tables", "legacy", "nf_tables+legacy", with "+nft" when native nftables rules were read;
/// "none" when nothing held a rule). <see cref="Malformed"/> counts lines the parsers could not read.
/// </summary>
public sealed record FirewallSample(TimeSpan At, ImmutableArray<FirewallRule> Rules, string Backend, int Malformed)
{
    public ImmutableArray<FirewallChain> Chains { get; init; } = [];

    public static FirewallSample Empty(TimeSpan at) => new(at, [], "none", 0);
}

/// <summary>Assigns positions, keys and ids to rules in the order a parser reads them, per chain.</summary>
public sealed class FirewallRuleNumbering
{
    private readonly Dictionary<(string, string, string, string), int> _positions = [];
    private readonly Dictionary<string, int> _occurrences = new(StringComparer.Ordinal);

    public void Reset()
    {
        _positions.Clear();
        _occurrences.Clear();
    }

    /// <summary>Next 1-based position in the chain, the stable key and the id for a rule with this text.</summary>
    public (int Position, string Key, string Id) Next(string backend, string family, string table, string chain, string rule)
    {
        var chainKey = (backend, family, table, chain);
        _positions.TryGetValue(chainKey, out int pos);
        _positions[chainKey] = ++pos;
        string hash = FirewallRule.Hash(rule);
        string baseKey = FirewallRule.MakeKey(backend, family, table, chain, hash, 0);
        int occurrence = 0;
        if (_occurrences.TryGetValue(baseKey, out int seen))
        {
            occurrence = seen;
        }
        _occurrences[baseKey] = occurrence + 1;
        string key = occurrence == 0 ? baseKey : FirewallRule.MakeKey(backend, family, table, chain, hash, occurrence);
        return (pos, key, FirewallRule.MakeId(backend, family, table, chain, pos, hash));
    }

    /// <summary>The hook of a built-in iptables chain, null for a user chain.</summary>
    public static string? BuiltInHook(string chain) => chain switch
    {
        "INPUT" => "input",
        "OUTPUT" => "output",
        "FORWARD" => "forward",
        "PREROUTING" => "prerouting",
        "POSTROUTING" => "postrouting",
        _ => null,
    };
}
