using CsCheck;
using NetTop.Capture.Counters;
using NetTop.Capture.Sockets;
using NetTop.Model.Net;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Tests;

/// <summary>Kernel bytes are parsed, never trusted: random, truncated and bit-flipped input never throws.</summary>
public sealed class ParserRobustnessTests
{
    private static readonly byte[] s_dump = Fixture.Bytes("scenario/sockdiag-inet.bin");

    private static int ParseAll(byte[] bytes, out ParseStats stats)
    {
        SocketTableBuilder sockets = new();
        stats = default;
        SockDiagParser.Parse(bytes, sockets, ref stats, new AsciiPool());
        return sockets.Count;
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Gen.Byte.Array[0, 4096].Sample(bytes => ParseAll(bytes, out _), iter: 5000);
    }

    [Fact]
    public void Every_truncation_of_a_real_dump_keeps_whole_messages_only()
    {
        int all = ParseAll(s_dump, out _);
        int previous = 0;
        for (int cut = 0; cut <= s_dump.Length; cut++)
        {
            int n = ParseAll(s_dump[..cut], out ParseStats stats);
            Assert.InRange(n, previous, all);
            previous = n;
            Assert.True(stats.Malformed <= 1);
        }
        Assert.Equal(all, previous);
    }

    [Fact]
    public void Bit_flips_in_a_real_dump_never_throw_and_bad_frames_are_counted()
    {
        Gen.Select(Gen.Int[0, s_dump.Length - 1], Gen.Byte).Array[1, 16].Sample(flips =>
        {
            byte[] b = (byte[])s_dump.Clone();
            foreach ((int at, byte v) in flips)
            {
                b[at] ^= v;
            }
            int n = ParseAll(b, out ParseStats stats);
            return n <= stats.Messages && stats.Malformed >= 0;
        }, iter: 3000);
    }

    [Fact]
    public void A_length_field_pointing_past_the_buffer_stops_framing_and_counts_it()
    {
        byte[] b = (byte[])s_dump.Clone();
        BitConverter.TryWriteBytes(b.AsSpan(0), uint.MaxValue);
        Assert.Equal(0, ParseAll(b, out ParseStats stats));
        Assert.Equal(1, stats.Malformed);
    }

    [Fact]
    public void An_attribute_longer_than_its_message_is_counted_and_the_socket_kept()
    {
        byte[] b = (byte[])s_dump.Clone();
        BitConverter.TryWriteBytes(b.AsSpan(16 + 72), (ushort)60000); // first attribute's rta_len
        int n = ParseAll(b, out ParseStats stats);
        Assert.Equal(ParseAll(s_dump, out _), n);
        Assert.Equal(1, stats.Malformed);
    }

    [Fact]
    public void Random_text_never_throws_in_the_proc_parsers()
    {
        Gen.String[Gen.Char["0123456789ABCDEF: \nTcpExt-abc"], 0, 2000].Sample(text =>
        {
            SocketTableBuilder sockets = new();
            ParseStats stats = default;
            ProcNetTcpParser.Parse(text, IpFamily.V4, sockets, ref stats);
            ProcNetTcpParser.Parse(text, IpFamily.V6, sockets, ref stats);
            ProcNetstatParser.Parse(text, []);
        }, iter: 3000);
    }
}
