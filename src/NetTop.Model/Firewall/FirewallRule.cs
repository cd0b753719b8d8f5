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
    /// <summary>32-bit FNV-1a of <see cref="Rule"/> (<see cref="Hash(string)"/>): position-independent.</summary>
    public required uint TextHash { get; init; }
    /// <summary>0 for the first rule with this text in its chain, 1 for the next identical one, …</summary>
    public int Occurrence { get; init; }

    /// <summary>Follows the rule across polls (see the type's summary); what rate state is kept by.</summary>
    public FirewallRuleKey StableKey => new(Backend, Family, Table, Chain, TextHash, Occurrence);

    /// <summary><see cref="StableKey"/> as text: <c>ipv4/filter/INPUT#1a2b3c4d</c> (<c>~n</c> for the n-th repeat). Built on each call.</summary>
    public string Key => MakeKey(Backend, Family, Table, Chain, HashText(TextHash), Occurrence);

    /// <summary><c>ipv4/filter/INPUT/3/1a2b3c4d</c>. Built on each call (a 10,000-rule poll builds none).</summary>
    public string Id => MakeId(Backend, Family, Table, Chain, Position, HashText(TextHash));

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

    /// <summary>32-bit FNV-1a of the rule text: position-independent.</summary>
    public static uint Hash(ReadOnlySpan<char> rule)
    {
        uint h = 2166136261;
        foreach (char c in rule)
        {
            h = (h ^ c) * 16777619;
        }
        return h;
    }

    /// <summary>The hash as 8 hex digits, as ids and keys show it.</summary>
    public static string HashText(uint hash) => hash.ToString("x8", CultureInfo.InvariantCulture);

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

/// <summary>What identifies a rule across polls: its chain, a hash of its text and which repeat of that text it is.</summary>
public readonly record struct FirewallRuleKey(string Backend, string Family, string Table, string Chain, uint TextHash, int Occurrence);

/// <summary>
/// Assigns 1-based positions and occurrence numbers to rules in the order a parser reads them, per chain.
/// Rules of one chain usually come together, so the current chain's counters are kept at hand.
/// </summary>
public sealed class FirewallRuleNumbering
{
    private readonly Dictionary<(string, string, string, string), ChainCounters> _chains = [];
    private (string Backend, string Family, string Table, string Chain) _lastKey;
    private ChainCounters? _last;

    /// <summary>
    /// Starts a new sample. The chains' counters are zeroed, not dropped, so a poll of the same rules refills the
    /// same occurrence tables instead of growing new ones (at 10,000 rules those were ~40 bytes a rule a poll).
    /// Chains not seen for a while are dropped once there are more than <see cref="MaxKeptChains"/>.
    /// </summary>
    public void Reset()
    {
        if (_chains.Count > MaxKeptChains)
        {
            _chains.Clear();
        }
        foreach (ChainCounters c in _chains.Values)
        {
            c.Position = 0;
            if (c.Occurrences.Count > 0)
            {
                c.Occurrences.Clear();
            }
        }
        _last = null;
        _lastKey = default;
    }

    /// <summary>Chains whose emptied counters are kept between samples.</summary>
    public const int MaxKeptChains = 4096;

    /// <summary>Next position in the chain and the occurrence of this text there.</summary>
    public (int Position, int Occurrence) Next(string backend, string family, string table, string chain, uint textHash)
    {
        ChainCounters? c = _last;
        if (c is null || !ReferenceEquals(chain, _lastKey.Chain) && chain != _lastKey.Chain
            || table != _lastKey.Table || family != _lastKey.Family || backend != _lastKey.Backend)
        {
            var key = (backend, family, table, chain);
            if (!_chains.TryGetValue(key, out c))
            {
                _chains[key] = c = new ChainCounters();
            }
            _last = c;
            _lastKey = key;
        }
        int position = ++c.Position;
        ref int seen = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(c.Occurrences, textHash, out _);
        int occurrence = seen++;
        return (position, occurrence);
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

    private sealed class ChainCounters
    {
        public int Position;
        public readonly Dictionary<uint, int> Occurrences = [];
    }
}
