using System.Collections.Immutable;
using CsCheck;
using NetTop.Capture.Firewall;
using NetTop.Capture.Recording;
using NetTop.Model;

namespace NetTop.Capture.Tests.Replay;

/// <summary>The recording's framing (length, CRC-32, payload) and the payload codec.</summary>
public sealed class RecordFileTests
{
    [Fact]
    public void Crc32_matches_the_zlib_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8)); // the standard check value of CRC-32/ISO-HDLC
    }

    [Fact]
    public void Frames_split_back_into_their_payloads_and_a_cut_anywhere_loses_only_the_cut_record()
    {
        Gen.Byte.Array[0, 300].List[1, 8].Sample(payloads =>
        {
            using MemoryStream ms = new();
            foreach (byte[] p in payloads) RecordFile.WriteFrame(ms, p);
            byte[] data = ms.ToArray();
            RecordFile.ReadStats stats = default;
            List<byte[]> back = RecordFile.Split(data, ref stats);
            Assert.Equal(payloads.Count, back.Count);
            Assert.True(payloads.Zip(back).All(x => x.First.AsSpan().SequenceEqual(x.Second)));

            int cut = data.Length - 1;
            RecordFile.ReadStats cutStats = default;
            List<byte[]> partial = RecordFile.Split(data.AsSpan(0, cut), ref cutStats);
            Assert.Equal(payloads.Count - 1, partial.Count);
            Assert.True(cutStats.TruncatedBytes > 0);
            Assert.Equal(0, cutStats.Corrupt);
        });
    }

    [Fact]
    public void Garbage_never_throws_and_is_counted()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            RecordFile.ReadStats stats = default;
            List<byte[]> records = RecordFile.Split(bytes, ref stats);
            Assert.True(records.Count + stats.Corrupt >= 0);
            foreach (byte[] r in records) _ = RecordCodec.Decode(r); // never throws
        });
    }

    [Fact]
    public void Every_input_kind_round_trips()
    {
        object[] inputs =
        [
            new TextInput(3, "/proc/thread-self/net/snmp", "Tcp: 1 2\n", null, null),
            new TextInput(4, "/proc/sys/net/ipv4/tcp_syn_linear_timeouts", null, "FileNotFoundException", "gone"),
            new SockDiagInput(1, SockDiagOp.Dump, 2, 0, null, [1, 2, 3]),
            new SockDiagInput(2, SockDiagOp.DumpFailed, 10, 97, "refused", []),
            new CommandInput(5, "/usr/sbin/iptables-save", ["-c"], new CommandOutput(0, "*filter\nCOMMIT\n", "", false, false)),
            new OwnerInput(6, 12345, 42, "nginx"),
            new OwnerInput(6, 12346, null, null),
            new TickInput(7, TimeSpan.FromMilliseconds(1234.5), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), TimeSpan.FromSeconds(1), null,
                TimeSpan.FromSeconds(2), ResetFeedMode.Wire, 10, 20, [SourceStatus.Ok("sockets", "fine"), new SourceStatus("resets", SourceHealth.Unavailable, "no", "fix it")]),
            new PerfInput(-5, [9, 8, 7]),
            new TaskInput(1, 2, "curl", 4026531840),
        ];
        foreach (object input in inputs)
        {
            object? back = RecordCodec.Decode(RecordCodec.Encode(input));
            Assert.NotNull(back);
            Assert.Equal(Normalize(input), Normalize(back));
        }
    }

    private static string Normalize(object o) => o switch
    {
        SockDiagInput s => $"{s with { Bytes = [] }} {Convert.ToHexString(s.Bytes)}",
        CommandInput c => $"{c with { Args = [] }} {string.Join(' ', c.Args)}",
        TickInput t => $"{t with { Statuses = [] }} {string.Join('|', t.Statuses)}",
        PerfInput p => $"{p.WallOffsetNs} {Convert.ToHexString(p.Record)}",
        _ => o.ToString()!,
    };

    [Fact]
    public void A_payload_with_trailing_bytes_or_an_unknown_kind_is_malformed()
    {
        byte[] ok = RecordCodec.Encode(new OwnerInput(1, 2, 3, "x"));
        Assert.Null(RecordCodec.Decode([.. ok, 0]));
        Assert.Null(RecordCodec.Decode([200, 1, 2]));
        Assert.Null(RecordCodec.Decode(ok[..^1]));
        Assert.Null(RecordCodec.Decode([]));
        _ = ImmutableArray<string>.Empty;
    }
}
