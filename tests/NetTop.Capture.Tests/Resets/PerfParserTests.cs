using System.Buffers.Binary;
using CsCheck;
using NetTop.Capture.Perf;

namespace NetTop.Capture.Tests.Resets;

/// <summary>The perf record parser and the tracepoint format parser over real, synthetic and hostile input.</summary>
public sealed class PerfParserTests
{
    private static readonly byte[] s_records = PerfFixtureTests.Records;
    private static readonly ulong s_type = PerfFixtureTests.SampleType;

    [Fact]
    public void Lost_record_counts_the_lost_events()
    {
        byte[] lost = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(lost, 2); // PERF_RECORD_LOST
        BinaryPrimitives.WriteUInt16LittleEndian(lost.AsSpan(6), 24);
        BinaryPrimitives.WriteUInt64LittleEndian(lost.AsSpan(16), 586);
        PerfParseStats stats = PerfRecordParser.Walk([.. lost, .. s_records, .. lost], s_type);
        Assert.Equal(2, stats.LostRecords);
        Assert.Equal(2 * 586, stats.LostEvents);
        Assert.Equal(0, stats.Malformed);
    }

    [Fact]
    public void Random_bytes_never_throw_and_are_counted()
    {
        Gen.Byte.Array[0, 2048].Sample(bytes =>
        {
            ResetRecordDecoder decoder = PerfFixtureTests.Decoder(); // one per sample: CsCheck runs them in parallel
            PerfParseStats st = PerfRecordParser.Walk(bytes, s_type, (ref PerfSample s) => decoder.Decode(ref s, 0));
            return st.Samples + st.LostRecords + st.Other + st.Malformed >= (bytes.Length >= 8 ? 1 : 0) && st.Malformed >= 0;
        }, iter: 5000);
    }

    [Fact]
    public void Every_truncation_keeps_whole_records_and_counts_at_most_one_bad_one()
    {
        long all = PerfRecordParser.Walk(s_records, s_type).Samples;
        long previous = 0;
        for (int cut = 0; cut <= s_records.Length; cut++)
        {
            PerfParseStats st = PerfRecordParser.Walk(s_records.AsSpan(0, cut), s_type);
            Assert.InRange(st.Samples, previous, all);
            Assert.True(st.Malformed <= 1);
            previous = st.Samples;
        }
        Assert.Equal(all, previous);
    }

    [Fact]
    public void Bit_flips_never_throw_and_samples_still_decode_or_are_rejected()
    {
        Gen.Select(Gen.Int[0, s_records.Length - 1], Gen.Byte).Array[1, 16].Sample(flips =>
        {
            ResetRecordDecoder decoder = PerfFixtureTests.Decoder(); // the stack cache is single-threaded
            byte[] b = (byte[])s_records.Clone();
            foreach ((int at, byte v) in flips) b[at] ^= v;
            int decoded = 0;
            PerfParseStats st = PerfRecordParser.Walk(b, s_type, (ref PerfSample s) =>
            {
                if (decoder.Decode(ref s, 0) is not null) decoded++;
            });
            return decoded <= st.Samples;
        }, iter: 3000);
    }

    [Fact]
    public void A_callchain_count_past_the_record_is_malformed()
    {
        int size = PerfRecordParser.RecordSize(s_records);
        byte[] one = s_records[..size];
        // IP, TID, TIME, CPU = 32 bytes after the 8-byte header; then u64 nr.
        BinaryPrimitives.WriteUInt64LittleEndian(one.AsSpan(8 + 32), ulong.MaxValue / 4);
        Assert.Equal(PerfRecordKind.Malformed, PerfRecordParser.Parse(one, s_type, out _, out _));
    }

    [Fact]
    public void Format_files_give_ids_offsets_and_the_reason_table()
    {
        TracepointFormat send = TracepointFormatParser.Parse(Fixture.Text("perf/tcp_send_reset.format"))!;
        Assert.Equal("tcp_send_reset", send.Name);
        Assert.Equal(2280u, send.Id);
        Assert.Equal(8, send.Field("skbaddr")!.Offset);
        Assert.Equal(28, send.Field("reason")!.Offset);
        Assert.Equal(28, send.Field("saddr")!.Size);
        Assert.Equal(60, send.Field("daddr")!.Offset);
        Assert.Equal(88, send.MinRawSize);
        IReadOnlyList<string> reasons = send.SymbolTable("reason")!;
        Assert.Equal("NO_SOCKET", reasons[1]);
        Assert.Equal("TCP_STATE", reasons[14]);
        Assert.Equal("TCP_ABORT_ON_CLOSE", reasons[11]);
        Assert.Null(send.SymbolTable("state")); // its keys are macro names, not numbers
        Assert.Equal(0, send.MalformedLines);

        TracepointFormat receive = TracepointFormatParser.Parse(Fixture.Text("perf/tcp_receive_reset.format"))!;
        Assert.Equal(2279u, receive.Id);
        Assert.Equal(64, receive.Field("sock_cookie")!.Offset);
        Assert.Equal(16, receive.Field("saddr_v6")!.Size);
    }

    [Fact]
    public void Format_parser_never_throws_on_random_or_cut_text()
    {
        string text = Fixture.Text("perf/tcp_send_reset.format");
        for (int cut = 0; cut <= text.Length; cut += 7)
        {
            TracepointFormat? f = TracepointFormatParser.Parse(text[..cut]);
            if (f is not null) Assert.True(f.Fields.Count <= 10);
        }
        Gen.String.Sample(s => TracepointFormatParser.Parse(s)?.Fields.Count >= 0 || true, iter: 3000);
        Gen.Select(Gen.Int[0, text.Length - 1], Gen.Char).Array[1, 10].Sample(edits =>
        {
            char[] c = text.ToCharArray();
            foreach ((int at, char ch) in edits) c[at] = ch;
            return TracepointFormatParser.Parse(new string(c))?.MinRawSize >= 0 || true;
        }, iter: 3000);
    }

    [Fact]
    public void Layout_rejects_a_send_format_without_addresses()
    {
        TracepointFormat f = TracepointFormatParser.Parse("name: tcp_send_reset\nID: 5\nformat:\n\tfield:const void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;\n")!;
        Assert.Null(ResetTracepointLayout.Create(f, null, out string? problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void Kallsyms_resolves_to_the_greatest_symbol_at_or_below()
    {
        KallsymsSymbolizer k = KallsymsSymbolizer.Parse(new StringReader(
            "ffffffff81000000 T _stext\nffffffff81000100 t helper\nffffffff81000050 D data_sym\nffffffff81000200 T last [mod]\n"));
        Assert.Equal(3, k.Count);
        Assert.Equal("_stext", k.Symbolize(0xffffffff81000000));
        Assert.Equal("_stext+0x10", k.Symbolize(0xffffffff81000010));
        Assert.Equal("helper+0x1", k.Symbolize(0xffffffff81000101));
        Assert.Equal("last+0x5", k.Symbolize(0xffffffff81000205));
        Assert.Equal("0x1000", k.Symbolize(0x1000));
        Assert.False(k.AddressesHidden);
        Assert.True(KallsymsSymbolizer.Parse(new StringReader("0000000000000000 T a\n0000000000000000 t b\n")).AddressesHidden);
    }

    [Fact]
    public void Tracefs_is_found_in_mounts_and_cpu_lists_parse()
    {
        Assert.Equal("/sys/kernel/tracing", Tracefs.FindInMounts("sysfs /sys sysfs rw 0 0\ntracefs /sys/kernel/tracing tracefs rw 0 0\n"));
        Assert.Equal("/sys/kernel/debug/tracing", Tracefs.FindInMounts("debugfs /sys/kernel/debug debugfs rw 0 0\n", d => d == "/sys/kernel/debug/tracing/events"));
        Assert.Null(Tracefs.FindInMounts("debugfs /sys/kernel/debug debugfs rw 0 0\n", _ => false));
        Assert.Null(Tracefs.FindInMounts("proc /proc proc rw 0 0\n"));
        Assert.Equal("/my dir", Tracefs.FindInMounts("none /my\\040dir tracefs rw 0 0\n"));
        Assert.Equal([0, 1, 2, 3, 6, 8, 9], Tracefs.ParseCpuList("0-3,6,8-9\n"));
        Assert.Empty(Tracefs.ParseCpuList("x"));
        Assert.Equal(4026532454UL, ResetTraceSource.ParseNsLink("net:[4026532454]"));
        Assert.Null(ResetTraceSource.ParseNsLink("net:[]"));
    }
}
