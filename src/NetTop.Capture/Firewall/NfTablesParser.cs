using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using NetTop.Capture.Interop;
using NetTop.Capture.Sockets;

namespace NetTop.Capture.Firewall;

/// <summary>
/// Names and numbers of the nf_tables netlink protocol NetTop speaks (include/uapi/linux/netfilter/nfnetlink.h and
/// nf_tables.h, checked against 6.1 and 6.18: these enums only ever grow at the end). Names as in the headers so
/// they can be grepped against them.
/// </summary>
#pragma warning disable CA1707, IDE1006
internal static class NfTables
{
    public const int NETLINK_NETFILTER = 12;
    public const byte NFNL_SUBSYS_NFTABLES = 10;
    public const byte NFNETLINK_V0 = 0;
    /// <summary>sizeof(struct nfgenmsg): u8 nfgen_family, u8 version, __be16 res_id.</summary>
    public const int NFGENMSG_SIZE = 4;

    // enum nf_tables_msg_types
    public const byte NFT_MSG_GETCHAIN = 4;
    public const byte NFT_MSG_NEWRULE = 6;
    public const byte NFT_MSG_GETRULE = 7;
    public const byte NFT_MSG_NEWGEN = 15;
    public const byte NFT_MSG_GETGEN = 16;

    // enum nft_rule_attributes
    public const ushort NFTA_RULE_TABLE = 1;
    public const ushort NFTA_RULE_CHAIN = 2;
    public const ushort NFTA_RULE_HANDLE = 3;
    public const ushort NFTA_RULE_EXPRESSIONS = 4;
    // enum nft_list_attributes
    public const ushort NFTA_LIST_ELEM = 1;
    // enum nft_expr_attributes
    public const ushort NFTA_EXPR_NAME = 1;
    public const ushort NFTA_EXPR_DATA = 2;
    // enum nft_counter_attributes
    public const ushort NFTA_COUNTER_BYTES = 1;
    public const ushort NFTA_COUNTER_PACKETS = 2;
    // enum nft_gen_attributes
    public const ushort NFTA_GEN_ID = 1;

    // NFPROTO_* (include/uapi/linux/netfilter.h): the nfgen_family of a table.
    public const byte NFPROTO_UNSPEC = 0;
    public const byte NFPROTO_INET = 1;
    public const byte NFPROTO_IPV4 = 2;
    public const byte NFPROTO_ARP = 3;
    public const byte NFPROTO_NETDEV = 5;
    public const byte NFPROTO_BRIDGE = 7;
    public const byte NFPROTO_IPV6 = 10;

    /// <summary>nlmsg_type of an nf_tables message: subsystem in the high byte, message in the low.</summary>
    public static ushort Type(byte msg) => (ushort)(NFNL_SUBSYS_NFTABLES << 8 | msg);

    /// <summary>
    /// The nf_tables family a NetTop rule lives in: iptables-nft rules are "ipv4"/"ipv6" tables of family ip/ip6,
    /// native nft rules carry the nft family as <see cref="NftJsonParser.Family"/> renamed it. 0 for a legacy rule
    /// (x_tables: not in nf_tables at all) or an unknown family.
    /// </summary>
    public static byte FamilyOf(string backend, string family) => backend switch
    {
        Model.Firewall.FirewallBackends.Legacy => NFPROTO_UNSPEC,
        _ => family switch
        {
            "ipv4" => NFPROTO_IPV4,
            "ipv6" => NFPROTO_IPV6,
            "inet" => NFPROTO_INET,
            "arp" => NFPROTO_ARP,
            "netdev" => NFPROTO_NETDEV,
            "bridge" => NFPROTO_BRIDGE,
            _ => NFPROTO_UNSPEC,
        },
    };
}
#pragma warning restore CA1707, IDE1006

/// <summary>One rule of an nf_tables dump: its handle and the sum of its <c>counter</c> expressions (none: not counted).</summary>
internal readonly record struct NfRuleCounters(ulong Handle, bool Counted, ulong Packets, ulong Bytes);

/// <summary>
/// The rules of one NFT_MSG_GETRULE dump, per chain in dump order (the kernel dumps each chain's rules in list
/// order, the order iptables-save and nft print them), so a rule is found by (family, table, chain, 1-based position).
/// Kept across polls: <see cref="Reset"/> empties the chains' lists without dropping them, and a chain's names are
/// decoded once, so a poll of an unchanged ruleset allocates nothing here.
/// </summary>
internal sealed class NfRuleDump
{
    private readonly Dictionary<(byte Family, string Table, string Chain), Chain> _chains = [];
    private Chain? _last;

    /// <summary>Rules read (every rule, counted or not).</summary>
    public int Rules { get; private set; }
    /// <summary>Netlink messages read.</summary>
    public int Messages { get; internal set; }
    /// <summary>Messages or attributes that could not be framed: the rule they belonged to was skipped.</summary>
    public int Malformed { get; internal set; }
    /// <summary>The kernel flagged the dump NLM_F_DUMP_INTR: the ruleset changed while it was dumped.</summary>
    public bool Interrupted { get; internal set; }
    /// <summary>The res_id (low 16 bits of the ruleset generation) of the first rule message; null before one.</summary>
    public ushort? GenerationBits { get; private set; }
    /// <summary>Rule messages disagreed on the generation bits (the ruleset changed between two recvs).</summary>
    public bool MixedGenerations { get; private set; }

    /// <summary>The chains seen, for tests and diagnostics.</summary>
    public IEnumerable<(byte Family, string Table, string Chain, IReadOnlyList<NfRuleCounters> Rules)> Chains =>
        _chains.Where(c => c.Value.Rules.Count > 0).Select(c => (c.Key.Family, c.Key.Table, c.Key.Chain, (IReadOnlyList<NfRuleCounters>)c.Value.Rules));

    /// <summary>Starts a new dump (chains not seen for a while are dropped once there are many).</summary>
    public void Reset()
    {
        if (_chains.Count > Model.Firewall.FirewallRuleNumbering.MaxKeptChains)
        {
            _chains.Clear();
        }
        foreach (Chain c in _chains.Values)
        {
            c.Rules.Clear();
        }
        _last = null;
        Rules = Messages = Malformed = 0;
        Interrupted = MixedGenerations = false;
        GenerationBits = null;
    }

    /// <summary>The rule at 1-based <paramref name="position"/> of the chain, if the dump had one there.</summary>
    public bool TryGet(byte family, string table, string chain, int position, out NfRuleCounters rule)
    {
        if (_chains.TryGetValue((family, table, chain), out Chain? c) && position >= 1 && position <= c.Rules.Count)
        {
            rule = c.Rules[position - 1];
            return true;
        }
        rule = default;
        return false;
    }

    /// <summary>How many rules the dump had in the chain.</summary>
    public int CountIn(byte family, string table, string chain) =>
        _chains.TryGetValue((family, table, chain), out Chain? c) ? c.Rules.Count : 0;

    internal void NoteGeneration(ushort bits)
    {
        if (GenerationBits is null)
        {
            GenerationBits = bits;
        }
        else if (GenerationBits != bits)
        {
            MixedGenerations = true;
        }
    }

    internal void Add(byte family, ReadOnlySpan<byte> table, ReadOnlySpan<byte> chain, NfRuleCounters rule)
    {
        Chain? c = _last;
        if (c is null || c.Family != family || !table.SequenceEqual(c.TableBytes) || !chain.SequenceEqual(c.ChainBytes))
        {
            var key = (family, Encoding.UTF8.GetString(table), Encoding.UTF8.GetString(chain));
            if (!_chains.TryGetValue(key, out c))
            {
                _chains[key] = c = new Chain(family, table.ToArray(), chain.ToArray());
            }
            _last = c;
        }
        c.Rules.Add(rule);
        Rules++;
    }

    private sealed class Chain(byte family, byte[] table, byte[] chain)
    {
        public readonly byte Family = family;
        public readonly byte[] TableBytes = table;
        public readonly byte[] ChainBytes = chain;
        public readonly List<NfRuleCounters> Rules = [];
    }
}

/// <summary>
/// Decodes nf_tables netlink replies: the ruleset generation (NFT_MSG_NEWGEN, the answer to NFT_MSG_GETGEN) and a
/// rule dump (NFT_MSG_NEWRULE messages, the answer to an NLM_F_DUMP of NFT_MSG_GETRULE). Pure: no fds, no clock;
/// the same code parses a live recv buffer and a recorded fixture. Every length is checked before it is used: a
/// message or attribute that lies about its length is counted in <see cref="NfRuleDump.Malformed"/> and skipped,
/// never read past; unknown attributes and expressions are skipped.
/// </summary>
internal static class NfTablesParser
{
    private const int NlaHdr = 4;
    private const ushort NlaTypeMask = 0x3FFF; // strips NLA_F_NESTED / NLA_F_NET_BYTEORDER
    private static ReadOnlySpan<byte> Counter => "counter"u8;

    /// <summary>What one buffer of replies ended with, and the errno of an NLMSG_ERROR.</summary>
    internal struct Result
    {
        public DumpProgress Progress;
        public int Errno;
        /// <summary>The generation an NFT_MSG_NEWGEN carried.</summary>
        public uint? Generation;
        /// <summary>Messages that could not be framed or read.</summary>
        public int Malformed;
    }

    /// <summary>
    /// Parses one recv's worth of replies to NFT_MSG_GETGEN. Messages of another sequence number (<paramref name="seq"/>;
    /// null: any) are leftovers of an abandoned request and skipped.
    /// </summary>
    public static Result ParseGeneration(ReadOnlySpan<byte> buffer, uint? seq)
    {
        Result result = default;
        MessageReader messages = new(buffer, seq);
        while (messages.Next(ref result, out ushort type, out _, out ReadOnlySpan<byte> payload))
        {
            if (Control(type, payload, ref result))
            {
                return result;
            }
            if (type != NfTables.Type(NfTables.NFT_MSG_NEWGEN))
            {
                continue;
            }
            if (payload.Length < NfTables.NFGENMSG_SIZE)
            {
                result.Malformed++;
                continue;
            }
            AttrReader attrs = new(payload[NfTables.NFGENMSG_SIZE..]);
            while (attrs.Next(out ushort at, out ReadOnlySpan<byte> a))
            {
                if (at == NfTables.NFTA_GEN_ID && a.Length == 4)
                {
                    result.Generation = BinaryPrimitives.ReadUInt32BigEndian(a);
                }
            }
            if (attrs.Malformed || result.Generation is null)
            {
                result.Malformed++;
                continue;
            }
            result.Progress = DumpProgress.Done;
            return result;
        }
        return result;
    }

    /// <summary>
    /// Parses one recv's worth of an NFT_MSG_GETRULE dump into <paramref name="into"/>. A rule whose table or chain
    /// cannot be read is skipped and counted (it cannot be placed); a rule whose expressions cannot be framed is kept
    /// in its place as not counted (so the positions after it stay right) and counted as malformed.
    /// </summary>
    public static Result ParseRules(ReadOnlySpan<byte> buffer, uint? seq, NfRuleDump into)
    {
        Result result = default;
        MessageReader messages = new(buffer, seq);
        while (messages.Next(ref result, out ushort type, out ushort flags, out ReadOnlySpan<byte> payload))
        {
            into.Messages++;
            if ((flags & InetDiag.NLM_F_DUMP_INTR) != 0)
            {
                into.Interrupted = true;
            }
            if (Control(type, payload, ref result))
            {
                break;
            }
            if (type != NfTables.Type(NfTables.NFT_MSG_NEWRULE))
            {
                continue;
            }
            if (!TryRule(payload, into))
            {
                into.Malformed++;
            }
        }
        into.Malformed += result.Malformed;
        return result;
    }

    /// <summary>NLMSG_DONE or NLMSG_ERROR: sets the progress and returns true (the reply ends there).</summary>
    private static bool Control(ushort type, ReadOnlySpan<byte> payload, ref Result result)
    {
        switch (type)
        {
            case InetDiag.NLMSG_DONE:
                result.Progress = DumpProgress.Done;
                return true;
            case InetDiag.NLMSG_ERROR:
                result.Progress = DumpProgress.Error;
                result.Errno = payload.Length >= 4 ? -MemoryMarshal.Read<int>(payload) : 0;
                return true;
            default:
                return false;
        }
    }

    private static bool TryRule(ReadOnlySpan<byte> payload, NfRuleDump into)
    {
        if (payload.Length < NfTables.NFGENMSG_SIZE)
        {
            return false;
        }
        byte family = payload[0];
        into.NoteGeneration(BinaryPrimitives.ReadUInt16BigEndian(payload[2..]));
        ReadOnlySpan<byte> table = default, chain = default, exprs = default;
        bool hasTable = false, hasChain = false, hasExprs = false;
        ulong handle = 0;
        AttrReader attrs = new(payload[NfTables.NFGENMSG_SIZE..]);
        while (attrs.Next(out ushort type, out ReadOnlySpan<byte> a))
        {
            switch (type)
            {
                case NfTables.NFTA_RULE_TABLE:
                    table = CString(a);
                    hasTable = true;
                    break;
                case NfTables.NFTA_RULE_CHAIN:
                    chain = CString(a);
                    hasChain = true;
                    break;
                case NfTables.NFTA_RULE_HANDLE when a.Length == 8:
                    handle = BinaryPrimitives.ReadUInt64BigEndian(a);
                    break;
                case NfTables.NFTA_RULE_EXPRESSIONS:
                    exprs = a;
                    hasExprs = true;
                    break;
            }
        }
        if (!hasTable || !hasChain || table.IsEmpty || chain.IsEmpty)
        {
            return false;
        }
        bool counted = false, bad = attrs.Malformed;
        ulong packets = 0, bytes = 0;
        if (hasExprs && !bad)
        {
            bad = !TryCounters(exprs, ref counted, ref packets, ref bytes);
        }
        // A rule that cannot be read still holds its place, uncounted (it never matches a counted rule).
        into.Add(family, table, chain, new NfRuleCounters(handle, counted && !bad, packets, bytes));
        return !bad;
    }

    /// <summary>NFTA_RULE_EXPRESSIONS → NFTA_LIST_ELEM* → NFTA_EXPR_NAME "counter" + NFTA_EXPR_DATA → bytes, packets.</summary>
    private static bool TryCounters(ReadOnlySpan<byte> exprs, ref bool counted, ref ulong packets, ref ulong bytes)
    {
        AttrReader list = new(exprs);
        while (list.Next(out ushort type, out ReadOnlySpan<byte> elem))
        {
            if (type != NfTables.NFTA_LIST_ELEM)
            {
                continue;
            }
            ReadOnlySpan<byte> name = default, data = default;
            AttrReader expr = new(elem);
            while (expr.Next(out ushort et, out ReadOnlySpan<byte> ea))
            {
                if (et == NfTables.NFTA_EXPR_NAME)
                {
                    name = CString(ea);
                }
                else if (et == NfTables.NFTA_EXPR_DATA)
                {
                    data = ea;
                }
            }
            if (expr.Malformed)
            {
                return false;
            }
            if (!name.SequenceEqual(Counter))
            {
                continue;
            }
            ulong? p = null, b = null;
            AttrReader counter = new(data);
            while (counter.Next(out ushort ct, out ReadOnlySpan<byte> ca))
            {
                if (ca.Length != 8)
                {
                    continue; // NFTA_COUNTER_PAD, or a size the kernel never sends
                }
                if (ct == NfTables.NFTA_COUNTER_PACKETS)
                {
                    p = BinaryPrimitives.ReadUInt64BigEndian(ca);
                }
                else if (ct == NfTables.NFTA_COUNTER_BYTES)
                {
                    b = BinaryPrimitives.ReadUInt64BigEndian(ca);
                }
            }
            if (counter.Malformed || p is null || b is null)
            {
                return false;
            }
            counted = true;
            packets += p.Value;
            bytes += b.Value;
        }
        return !list.Malformed;
    }

    /// <summary>An NLA_STRING without its terminating NUL(s).</summary>
    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> a)
    {
        int nul = a.IndexOf((byte)0);
        return nul >= 0 ? a[..nul] : a;
    }

    /// <summary>
    /// Frames the netlink messages of one buffer, skipping those of another sequence number (null: any). A header that
    /// lies about its length ends the buffer: nothing after it can be framed (counted in <see cref="Result.Malformed"/>).
    /// </summary>
    private ref struct MessageReader(ReadOnlySpan<byte> buffer, uint? seq)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _off;

        public bool Next(ref Result result, out ushort type, out ushort flags, out ReadOnlySpan<byte> payload)
        {
            while (true)
            {
                type = flags = 0;
                payload = default;
                int left = _buffer.Length - _off;
                if (left == 0)
                {
                    return false;
                }
                ReadOnlySpan<byte> rest = _buffer[_off..];
                uint len = left >= InetDiag.NLMSG_HDRLEN ? MemoryMarshal.Read<uint>(rest) : 0;
                if (len < InetDiag.NLMSG_HDRLEN || len > rest.Length)
                {
                    result.Malformed++;
                    _off = _buffer.Length;
                    return false;
                }
                type = MemoryMarshal.Read<ushort>(rest[4..]);
                flags = MemoryMarshal.Read<ushort>(rest[6..]);
                uint got = MemoryMarshal.Read<uint>(rest[8..]);
                _off += (int)Math.Min((uint)left, (len + 3u) & ~3u);
                if (seq is { } want && got != want)
                {
                    continue; // a leftover of an abandoned request
                }
                payload = rest[InetDiag.NLMSG_HDRLEN..(int)len];
                return true;
            }
        }
    }

    /// <summary>Walks the attributes of one level; sets <see cref="Malformed"/> and stops at one that lies about its length.</summary>
    private ref struct AttrReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _off;

        public bool Malformed { get; private set; }

        public bool Next(out ushort type, out ReadOnlySpan<byte> value)
        {
            type = 0;
            value = default;
            int left = _data.Length - _off;
            if (left < NlaHdr || Malformed)
            {
                if (left > 0 && !Malformed)
                {
                    Malformed = true;
                }
                return false;
            }
            ushort len = MemoryMarshal.Read<ushort>(_data[_off..]);
            if (len < NlaHdr || len > left)
            {
                Malformed = true;
                return false;
            }
            type = (ushort)(MemoryMarshal.Read<ushort>(_data[(_off + 2)..]) & NlaTypeMask);
            value = _data.Slice(_off + NlaHdr, len - NlaHdr);
            _off += Math.Min(left, (len + 3) & ~3);
            return true;
        }
    }
}
