using System.Buffers.Binary;
using System.Globalization;
using CsCheck;
using NetTop.Capture.Packets;
using NetTop.Model.Net;
using NetTop.Model.Resets;

namespace NetTop.Capture.Tests.Resets;

/// <summary>
/// tests/fixtures/pcap/resets.pcap (tcpdump -i any in a namespace, LINUX_SLL2: it carries protocol, ifindex and
/// pkttype like sockaddr_ll) through the packet decoder, the TPACKET_V3 block walker and the wire classifier.
/// </summary>
public sealed class PacketFixtureTests
{
    internal sealed record PcapPacket(DateTimeOffset Time, ushort Protocol, int IfIndex, byte PktType, int Length, byte[] Data);

    private static readonly Dictionary<string, long> s_ports = Fixture.Text("pcap/resets.ports").Trim().Split(' ')
        .Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => long.Parse(kv[1], CultureInfo.InvariantCulture));

    /// <summary>A minimal pcap reader for LINUX_SLL2 (276) captures, test-only.</summary>
    internal static List<PcapPacket> ReadPcap(byte[] file)
    {
        Assert.Equal(0xa1b2c3d4u, BinaryPrimitives.ReadUInt32LittleEndian(file));
        Assert.Equal(276u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20)));
        List<PcapPacket> packets = [];
        int at = 24;
        while (at + 16 <= file.Length)
        {
            uint sec = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at));
            uint usec = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
            int incl = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8));
            int orig = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 12));
            ReadOnlySpan<byte> rec = file.AsSpan(at + 16, incl);
            // SLL2: be16 protocol, u16 reserved, be32 ifindex, be16 hatype, u8 pkttype, u8 halen, u8 addr[8]
            packets.Add(new PcapPacket(DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(usec * 10),
                BinaryPrimitives.ReadUInt16BigEndian(rec), BinaryPrimitives.ReadInt32BigEndian(rec[4..]), rec[10], orig - 20, rec[20..].ToArray()));
            at += 16 + incl;
        }
        return packets;
    }

    internal static readonly List<PcapPacket> Packets = ReadPcap(Fixture.Bytes("pcap/resets.pcap"));

    private static List<PacketEvent> Decoded() => Packets
        .Select(p => PacketDecoder.Decode(p.Data, p.Protocol, p.IfIndex, p.PktType, p.Time, p.Length))
        .Select(e => e ?? throw new Xunit.Sdk.XunitException("a recorded packet did not decode"))
        .ToList();

    [Fact]
    public void Every_recorded_packet_decodes_with_its_flags_and_endpoints()
    {
        List<PacketEvent> all = Decoded();
        Assert.Equal(22, all.Count);
        PacketEvent syn = all.First(p => p.Flags == TcpFlags.Syn && p.Destination.Port == s_ports["fin_server"]);
        Assert.Equal(IpFamily.V4, syn.Family);
        Assert.Equal("127.0.0.1", syn.Source.AddressText);
        Assert.Equal(PacketDirection.In, syn.Direction);
        Assert.Equal(1, syn.IfIndex);
        Assert.Contains(all, p => p.Flags == (TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(2, all.Count(p => (p.Flags & TcpFlags.Fin) != 0));
        PacketEvent data = Assert.Single(all, p => (p.Flags & TcpFlags.Psh) != 0);
        Assert.Equal(3052, data.Length);

        PacketEvent bare = Assert.Single(all, p => p.Flags == TcpFlags.Rst);
        Assert.Equal((uint)s_ports["bare_ack_ack"], bare.Seq);
        Assert.Equal(s_ports["bare_ack_dport"], bare.Source.Port);
    }

    [Fact]
    public void The_span_fast_path_and_PacketDotNet_agree_on_every_recorded_packet()
    {
        foreach (PcapPacket p in Packets)
        {
            PacketEvent? fast = PacketDecoder.Decode(p.Data, p.Protocol, p.IfIndex, p.PktType, p.Time, p.Length);
            PacketEvent? full = PacketDecoder.DecodeWithPacketDotNet(p.Data, p.Protocol, p.IfIndex, p.PktType, p.Time, p.Length);
            Assert.Equal(full, fast);
        }
    }

    [Fact]
    public void Icmp_errors_carry_the_quoted_tuple_for_v4_and_v6()
    {
        List<PacketEvent> all = Decoded();
        PacketEvent v4 = Assert.Single(all, p => p.Protocol == 1);
        Assert.True(v4.IsIcmpError);
        Assert.Equal((3, 3), (v4.IcmpType, v4.IcmpCode));
        Assert.Equal(17, v4.InnerProtocol);
        Assert.Equal(s_ports["udp_v4"], v4.InnerDestination!.Value.Port);
        PacketEvent v6 = Assert.Single(all, p => p.Protocol == 58);
        Assert.True(v6.IsIcmpError);
        Assert.Equal((1, 4), (v6.IcmpType, v6.IcmpCode)); // destination unreachable, port unreachable
        Assert.Equal(s_ports["udp_v6"], v6.InnerDestination!.Value.Port);
        Assert.Equal(IpFamily.V6, v6.InnerDestination!.Value.Family);
    }

    [Fact]
    public void Wire_classification_of_the_recorded_resets()
    {
        WireResetClassifier wire = new();
        List<ResetEvent> resets = [];
        foreach (PacketEvent p in Decoded()) wire.Classify(p, resets);
        // loopback: each RST is both sent and received
        Assert.Equal(8, resets.Count);
        Assert.All(resets, r => Assert.Equal(ResetOrigin.Wire, r.Origin));
        ResetEvent refused = resets.First(r => r.Direction == ResetDirection.Sent && r.Local.Port == s_ports["refused_v4"]);
        Assert.Equal(ResetKind.Passive, refused.Kind);
        Assert.Contains("refused", refused.Explanation, StringComparison.Ordinal);
        ResetEvent refused6 = resets.First(r => r.Direction == ResetDirection.Sent && r.Local.Port == s_ports["refused_v6"]);
        Assert.Equal(ResetKind.Passive, refused6.Kind);
        Assert.Equal(IpFamily.V6, refused6.Local.Family);
        ResetEvent linger = resets.First(r => r.Direction == ResetDirection.Sent && r.Local.Port == s_ports["linger_client"]);
        Assert.Equal(ResetKind.Active, linger.Kind);
        ResetEvent bare = resets.First(r => r.Direction == ResetDirection.Sent && r.Local.Port == s_ports["bare_ack_dport"]);
        Assert.Equal(ResetKind.Passive, bare.Kind);
        Assert.Contains("without ACK", bare.Explanation, StringComparison.Ordinal);
    }

    /// <summary>A TPACKET_V3 block laid out as the kernel does, holding the recorded packets.</summary>
    internal static byte[] Block(IReadOnlyList<PcapPacket> packets, int size = 65536)
    {
        byte[] b = new byte[size];
        int at = TpacketBlockParser.BlockHeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 1); // TP_STATUS_USER
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), (uint)packets.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), (uint)at);
        for (int i = 0; i < packets.Count; i++)
        {
            PcapPacket p = packets[i];
            const int net = 68 + 28; // TPACKET3_HDRLEN rounded as the kernel does for SOCK_DGRAM (tp_mac = tp_net = 96)
            int frame = (net + p.Data.Length + 15) & ~15;
            Span<byte> h = b.AsSpan(at);
            BinaryPrimitives.WriteUInt32LittleEndian(h, i + 1 < packets.Count ? (uint)frame : 0);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)p.Time.ToUnixTimeSeconds());
            BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)p.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)p.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h[24..], net);
            BinaryPrimitives.WriteUInt16LittleEndian(h[26..], net);
            BinaryPrimitives.WriteUInt16LittleEndian(h[48..], 17); // AF_PACKET
            BinaryPrimitives.WriteUInt16BigEndian(h[50..], p.Protocol);
            BinaryPrimitives.WriteInt32LittleEndian(h[52..], p.IfIndex);
            h[58] = p.PktType;
            p.Data.CopyTo(h[net..]);
            at += frame;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), (uint)at);
        return b;
    }

    [Fact]
    public void Block_walker_finds_every_frame_of_a_kernel_shaped_block()
    {
        byte[] block = Block(Packets);
        List<PacketEvent> out_ = [];
        (int frames, int bad) = TpacketBlockParser.Walk(block, (in TpacketFrame f) =>
        {
            if (PacketDecoder.Decode(f.Data, f.Protocol, f.IfIndex, f.PktType, DateTimeOffset.UnixEpoch, (int)f.Length) is { } e) out_.Add(e);
        });
        Assert.Equal((Packets.Count, 0), (frames, bad));
        Assert.Equal(Packets.Count, out_.Count);
        Assert.Equal(1u, TpacketBlockParser.BlockStatus(block));
    }

    [Fact]
    public void Block_walker_and_decoder_never_throw_on_random_cut_or_flipped_bytes()
    {
        byte[] block = Block(Packets);
        int blockLength = BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(20));
        Gen.Byte.Array[0, 4096].Sample(bytes =>
        {
            (int f, int m) = TpacketBlockParser.Walk(bytes, (in TpacketFrame fr) =>
                PacketDecoder.Decode(fr.Data, fr.Protocol, fr.IfIndex, fr.PktType, DateTimeOffset.UnixEpoch, 0));
            return f >= 0 && m >= 0;
        }, iter: 3000);
        Gen.Select(Gen.Int[0, blockLength - 1], Gen.Byte).Array[1, 24].Sample(flips =>
        {
            byte[] b = (byte[])block.Clone();
            foreach ((int at, byte v) in flips) b[at] ^= v;
            (int f, _) = TpacketBlockParser.Walk(b, (in TpacketFrame fr) =>
                PacketDecoder.Decode(fr.Data, fr.Protocol, fr.IfIndex, fr.PktType, DateTimeOffset.UnixEpoch, 0));
            return f <= BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(12));
        }, iter: 3000);
        for (int cut = 0; cut < blockLength; cut += 3)
        {
            (int f, int m) = TpacketBlockParser.Walk(block.AsSpan(0, cut), (in TpacketFrame _) => { });
            Assert.True(f < Packets.Count || cut >= blockLength - 64);
            Assert.True(f == Packets.Count || m >= 1, $"cut {cut}: {f} frames and no malformed count");
        }
    }

    [Fact]
    public void Truncated_and_random_packets_are_rejected_without_throwing()
    {
        foreach (PcapPacket p in Packets)
        {
            for (int cut = 0; cut < p.Data.Length; cut++)
            {
                PacketEvent? e = PacketDecoder.Decode(p.Data.AsSpan(0, cut), p.Protocol, 1, 0, DateTimeOffset.UnixEpoch, p.Length);
                if (cut < 20) Assert.Null(e);
            }
        }
        Gen.Select(Gen.Byte.Array[0, 200], Gen.Int[0, 2].Select(i => i switch { 0 => (ushort)0x0800, 1 => (ushort)0x86DD, _ => (ushort)0x0806 })).Sample((bytes, proto) =>
            PacketDecoder.Decode(bytes, proto, 1, 0, DateTimeOffset.UnixEpoch, bytes.Length)?.Length != -1, iter: 5000);
        Gen.Select(Gen.Int[0, Packets.Count - 1], Gen.Int[0, 199], Gen.Byte).Array[1, 8].Sample(flips =>
        {
            foreach ((int which, int at, byte v) in flips)
            {
                byte[] d = (byte[])Packets[which].Data.Clone();
                d[at % d.Length] ^= v;
                PacketDecoder.Decode(d, Packets[which].Protocol, 1, 0, DateTimeOffset.UnixEpoch, d.Length);
            }
            return true;
        }, iter: 3000);
    }
}
