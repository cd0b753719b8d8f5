using System.Buffers.Binary;
using System.Text;
using NetTop.Capture.Firewall;
using NetTop.Capture.Sockets;
using NetTop.Model.Firewall;

namespace NetTop.Capture.Tests.Firewall;

/// <summary>
/// The nf_tables netlink parser on recorded replies (tests/fixtures/firewall/nft-netlink-*, recorded by
/// NfTablesNetlinkTests.Record_nf_tables_netlink_fixtures with iptables-save and nft output taken at the same moment)
/// and on hand-built messages that lie about their lengths.
/// </summary>
public sealed class NfTablesParserTests
{
    private static NfRuleDump Recorded(out NfTablesParser.Result result)
    {
        NfRuleDump dump = new();
        result = NfTablesParser.ParseRules(Fixture.Bytes("firewall/nft-netlink-rules.bin"), null, dump);
        return dump;
    }

    [Fact]
    public void The_generation_reply_gives_the_generation_the_rule_messages_carry()
    {
        NfTablesParser.Result gen = NfTablesParser.ParseGeneration(Fixture.Bytes("firewall/nft-netlink-gen.bin"), null);
        Assert.Equal(DumpProgress.Done, gen.Progress);
        Assert.Equal(0, gen.Malformed);
        Assert.NotNull(gen.Generation);

        NfRuleDump dump = Recorded(out NfTablesParser.Result r);
        Assert.Equal(DumpProgress.Done, r.Progress);
        Assert.Equal((ushort)gen.Generation!.Value, dump.GenerationBits);
        Assert.False(dump.MixedGenerations);
        Assert.False(dump.Interrupted);
    }

    [Fact]
    public void Every_rule_counter_equals_what_iptables_save_and_nft_printed()
    {
        NfRuleDump dump = Recorded(out _);
        Assert.Equal(0, dump.Malformed);
        List<FirewallRule> saved = [];
        FirewallRuleNumbering numbering = new();
        IptablesSaveParser.Parse(Fixture.Text("firewall/nft-netlink-ipv4.txt"), "ipv4", FirewallBackends.NfTables, numbering, saved);
        IptablesSaveParser.Parse(Fixture.Text("firewall/nft-netlink-ipv6.txt"), "ipv6", FirewallBackends.NfTables, numbering, saved);
        int iptables = saved.Count;
        NftJsonParser.Parse(Fixture.Text("firewall/nft-netlink-native.json"), new HashSet<string>(), numbering, saved);
        Assert.Equal(6, iptables);
        Assert.Equal(4, saved.Count - iptables);
        Assert.Contains(saved, s => s.Packets > 0 && s.Backend == FirewallBackends.NfTables);
        Assert.Contains(saved, s => s.Packets > 0 && s.Backend == FirewallBackends.Nft);

        foreach (FirewallRule s in saved)
        {
            Assert.True(dump.TryGet(NfTables.FamilyOf(s.Backend, s.Family), s.Table, s.Chain, s.Position, out NfRuleCounters c), s.Id);
            Assert.True(c.Counted, s.Id);
            Assert.Equal((s.Packets, s.Bytes), (c.Packets, c.Bytes));
            Assert.NotEqual(0UL, c.Handle);
        }
        // Every rule of the dump is one of them, and the chains hold as many as the tools printed.
        Assert.Equal(saved.Count, dump.Rules);
        Assert.Equal(3, dump.CountIn(NfTables.NFPROTO_IPV4, "filter", "INPUT"));
        Assert.Equal(2, dump.CountIn(NfTables.NFPROTO_IPV4, "filter", "WEB_IN"));
        Assert.Equal(1, dump.CountIn(NfTables.NFPROTO_IPV6, "filter", "INPUT"));
        Assert.False(dump.TryGet(NfTables.NFPROTO_IPV4, "filter", "INPUT", 4, out _));
        Assert.False(dump.TryGet(NfTables.NFPROTO_IPV4, "filter", "INPUT", 0, out _));
    }

    [Fact]
    public void A_reset_dump_reads_the_same_again()
    {
        NfRuleDump dump = Recorded(out _);
        (byte, string, string, ulong[])[] first = [.. dump.Chains.Select(c => (c.Family, c.Table, c.Chain, c.Rules.Select(r => r.Packets).ToArray()))];
        dump.Reset();
        Assert.Equal(0, dump.Rules);
        Assert.Null(dump.GenerationBits);
        NfTablesParser.ParseRules(Fixture.Bytes("firewall/nft-netlink-rules.bin"), null, dump);
        (byte, string, string, ulong[])[] again = [.. dump.Chains.Select(c => (c.Family, c.Table, c.Chain, c.Rules.Select(r => r.Packets).ToArray()))];
        Assert.Equal(first.Length, again.Length);
        for (int i = 0; i < first.Length; i++)
        {
            Assert.Equal(first[i].Item1, again[i].Item1);
            Assert.Equal(first[i].Item3, again[i].Item3);
            Assert.Equal(first[i].Item4, again[i].Item4);
        }
    }

    [Fact]
    public void Every_truncation_of_the_recorded_dump_is_counted_never_thrown()
    {
        byte[] all = Fixture.Bytes("firewall/nft-netlink-rules.bin");
        HashSet<int> boundaries = [0];
        for (int off = 0; off + 4 <= all.Length;)
        {
            off += (BinaryPrimitives.ReadInt32LittleEndian(all.AsSpan(off)) + 3) & ~3;
            boundaries.Add(off);
        }
        int full = Recorded(out _).Rules;
        for (int cut = 0; cut < all.Length; cut++)
        {
            NfRuleDump dump = new();
            NfTablesParser.Result r = NfTablesParser.ParseRules(all.AsSpan(0, cut), null, dump);
            Assert.True(dump.Rules <= full);
            Assert.NotEqual(DumpProgress.Done, r.Progress);
            if (!boundaries.Contains(cut))
            {
                Assert.True(dump.Malformed > 0, $"cut at {cut}: not counted");
            }
        }
    }

    [Fact]
    public void Any_corrupted_byte_of_the_recorded_dump_is_survived()
    {
        byte[] all = Fixture.Bytes("firewall/nft-netlink-rules.bin");
        foreach (byte value in new byte[] { 0x00, 0x03, 0xFF })
        {
            for (int i = 0; i < all.Length; i++)
            {
                byte[] bad = (byte[])all.Clone();
                bad[i] = value;
                NfTablesParser.ParseRules(bad, null, new NfRuleDump());
                NfTablesParser.ParseGeneration(bad, null);
            }
        }
    }

    [Fact]
    public void A_rule_whose_expressions_lie_keeps_its_place_uncounted_and_is_counted_malformed()
    {
        byte[] good = Msg.Rule(2, 7, "filter", "INPUT", 11, Msg.Counter(3, 180));
        byte[] bad = Msg.Rule(2, 7, "filter", "INPUT", 12, Msg.Attr(NfTables.NFTA_LIST_ELEM, [0xFF, 0x00, 0x01, 0x00]));
        byte[] third = Msg.Rule(2, 7, "filter", "INPUT", 13, Msg.Counter(5, 300));
        NfRuleDump dump = new();
        NfTablesParser.Result r = NfTablesParser.ParseRules([.. good, .. bad, .. third, .. Msg.Done()], null, dump);
        Assert.Equal(DumpProgress.Done, r.Progress);
        Assert.Equal(1, dump.Malformed);
        Assert.Equal(3, dump.CountIn(NfTables.NFPROTO_IPV4, "filter", "INPUT"));
        Assert.True(dump.TryGet(NfTables.NFPROTO_IPV4, "filter", "INPUT", 2, out NfRuleCounters c2));
        Assert.False(c2.Counted);
        Assert.True(dump.TryGet(NfTables.NFPROTO_IPV4, "filter", "INPUT", 3, out NfRuleCounters c3));
        Assert.Equal((true, 5UL, 300UL, 13UL), (c3.Counted, c3.Packets, c3.Bytes, c3.Handle));
    }

    [Fact]
    public void A_rule_without_its_chain_is_skipped_and_counted()
    {
        byte[] noChain = Msg.Rule(2, 7, "filter", null, 11, Msg.Counter(3, 180));
        NfRuleDump dump = new();
        NfTablesParser.ParseRules([.. noChain, .. Msg.Done()], null, dump);
        Assert.Equal(0, dump.Rules);
        Assert.Equal(1, dump.Malformed);
    }

    [Fact]
    public void Two_counters_in_one_rule_add_up_and_a_rule_without_one_is_not_counted()
    {
        NfRuleDump dump = new();
        NfTablesParser.ParseRules([.. Msg.Rule(1, 7, "t", "c", 1, [.. Msg.Counter(1, 10), .. Msg.Counter(2, 20)]), .. Msg.Rule(1, 7, "t", "c", 2, [])], null, dump);
        Assert.True(dump.TryGet(NfTables.NFPROTO_INET, "t", "c", 1, out NfRuleCounters a));
        Assert.Equal((true, 3UL, 30UL), (a.Counted, a.Packets, a.Bytes));
        Assert.True(dump.TryGet(NfTables.NFPROTO_INET, "t", "c", 2, out NfRuleCounters b));
        Assert.False(b.Counted);
        Assert.Equal(0, dump.Malformed);
    }

    [Fact]
    public void An_interrupted_dump_mixed_generations_and_an_error_are_reported()
    {
        byte[] intr = Msg.Rule(2, 7, "filter", "INPUT", 1, Msg.Counter(1, 1));
        BinaryPrimitives.WriteUInt16LittleEndian(intr.AsSpan(6), 0x02 | 0x10); // NLM_F_MULTI | NLM_F_DUMP_INTR
        NfRuleDump dump = new();
        NfTablesParser.ParseRules([.. intr, .. Msg.Rule(2, 8, "filter", "INPUT", 2, Msg.Counter(1, 1))], null, dump);
        Assert.True(dump.Interrupted);
        Assert.True(dump.MixedGenerations);

        NfTablesParser.Result err = NfTablesParser.ParseRules(Msg.Error(-1), null, new NfRuleDump());
        Assert.Equal(DumpProgress.Error, err.Progress);
        Assert.Equal(1, err.Errno); // EPERM
    }

    [Fact]
    public void Messages_of_another_request_are_skipped()
    {
        NfRuleDump dump = new();
        byte[] old = Msg.Rule(2, 7, "filter", "INPUT", 1, Msg.Counter(1, 1), seq: 4);
        byte[] now = Msg.Rule(2, 7, "filter", "INPUT", 2, Msg.Counter(2, 2), seq: 5);
        NfTablesParser.Result r = NfTablesParser.ParseRules([.. old, .. Msg.Done(seq: 4), .. now, .. Msg.Done(seq: 5)], 5, dump);
        Assert.Equal(DumpProgress.Done, r.Progress);
        Assert.True(dump.TryGet(NfTables.NFPROTO_IPV4, "filter", "INPUT", 1, out NfRuleCounters c));
        Assert.Equal(2UL, c.Handle);
        Assert.Equal(1, dump.Rules);
    }

    [Fact]
    public void A_generation_reply_without_its_id_is_malformed()
    {
        byte[] msg = Msg.Message(NfTables.Type(NfTables.NFT_MSG_NEWGEN), [0, 0, 0, 9, .. Msg.Attr(2, [0, 0, 0, 1])], 1);
        NfTablesParser.Result r = NfTablesParser.ParseGeneration(msg, null);
        Assert.Null(r.Generation);
        Assert.Equal(1, r.Malformed);
        Assert.NotEqual(DumpProgress.Done, r.Progress);
    }

    /// <summary>Hand-built netlink messages (host-endian headers, big-endian nf_tables values, as the kernel sends them).</summary>
    private static class Msg
    {
        public static byte[] Attr(ushort type, byte[] value)
        {
            byte[] a = new byte[(4 + value.Length + 3) & ~3];
            BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + value.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(2), type);
            value.CopyTo(a, 4);
            return a;
        }

        private static byte[] U64(ulong v)
        {
            byte[] b = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(b, v);
            return b;
        }

        private static byte[] Str(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

        public static byte[] Counter(ulong packets, ulong bytes) => Attr(NfTables.NFTA_LIST_ELEM,
        [
            .. Attr(NfTables.NFTA_EXPR_NAME, Str("counter")),
            .. Attr(0x8000 | NfTables.NFTA_EXPR_DATA, [.. Attr(NfTables.NFTA_COUNTER_BYTES, U64(bytes)), .. Attr(NfTables.NFTA_COUNTER_PACKETS, U64(packets))]),
        ]);

        public static byte[] Rule(byte family, ushort gen, string table, string? chain, ulong handle, byte[] exprs, uint seq = 1)
        {
            List<byte> p = [family, 0, (byte)(gen >> 8), (byte)gen];
            p.AddRange(Attr(NfTables.NFTA_RULE_TABLE, Str(table)));
            if (chain is not null)
            {
                p.AddRange(Attr(NfTables.NFTA_RULE_CHAIN, Str(chain)));
            }
            p.AddRange(Attr(NfTables.NFTA_RULE_HANDLE, U64(handle)));
            p.AddRange(Attr(0x8000 | NfTables.NFTA_RULE_EXPRESSIONS, exprs));
            return Message(NfTables.Type(NfTables.NFT_MSG_NEWRULE), [.. p], seq, 0x02);
        }

        public static byte[] Done(uint seq = 1) => Message(3, [0, 0, 0, 0], seq, 0x02);

        public static byte[] Error(int errno) => Message(2, [.. BitConverter.GetBytes(errno), .. new byte[16]], 1);

        public static byte[] Message(ushort type, byte[] payload, uint seq, ushort flags = 0)
        {
            byte[] m = new byte[16 + payload.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)m.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), type);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(6), flags);
            BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), seq);
            payload.CopyTo(m, 16);
            return m;
        }
    }
}
