using System.Buffers.Binary;
using System.Diagnostics;
using NetTop.Capture.Packets;
using NetTop.Capture.Tests.Resets;
using NetTop.Model.Net;
using NetTop.Model.Packets;
using NetTop.Model.Resets;

namespace NetTop.Capture.Tests.Packets;

/// <summary>
/// The recorded packets of tests/fixtures/pcap/resets.pcap through the flow store and <see cref="PcapWriter"/>:
/// read back by a parser here and by tcpdump -r.
/// </summary>
public sealed class PcapWriterTests
{
    /// <summary>The fixture's packets decoded and kept in a store, with the link fields of their SLL2 headers.</summary>
    private static FlowPacketStore Store()
    {
        FlowPacketStore store = new(PacketDecoder.TryDecode);
        foreach (PacketFixtureTests.PcapPacket p in PacketFixtureTests.Packets)
        {
            PacketEvent e = PacketDecoder.Decode(p.Data, p.Protocol, p.IfIndex, p.PktType, p.Time, p.Length)
                ?? throw new Xunit.Sdk.XunitException("a recorded packet did not decode");
            store.Add(e, p.Data, new LinkHeader(p.Protocol, p.PktType, 772, 0, 6));
        }
        return store;
    }

    /// <summary>The refused IPv4 connect of the fixture: the client's SYN and the RST+ACK that answered it.</summary>
    private static (NetEndpoint Client, NetEndpoint Server) RefusedFlow(FlowPacketStore store)
    {
        PacketEvent rst = PacketFixtureTests.Packets
            .Select(p => PacketDecoder.Decode(p.Data, p.Protocol, p.IfIndex, p.PktType, p.Time, p.Length)!.Value)
            .First(p => p.IsRst && p.Source.Port == 7002 && p.Family == IpFamily.V4);
        Assert.Equal(2, store.Packets(rst.Destination, rst.Source).Count);
        return (rst.Destination, rst.Source);
    }

    [Fact]
    public void A_flow_written_as_pcap_reads_back_with_its_bytes_nanosecond_times_and_directions()
    {
        FlowPacketStore store = Store();
        (NetEndpoint client, NetEndpoint server) = RefusedFlow(store);
        IReadOnlyList<CapturedPacket> packets = store.Captured(client, server);
        byte[] file = PcapWriter.Write(packets);

        Assert.Equal(PcapWriter.MagicNanoseconds, BinaryPrimitives.ReadUInt32LittleEndian(file));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(4)));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(6)));
        Assert.Equal(113u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20)));
        int at = 24;
        foreach (CapturedPacket p in packets)
        {
            long sec = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at));
            long nsec = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
            int incl = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8));
            Assert.Equal(p.Event.Time, DateTimeOffset.UnixEpoch.AddTicks(sec * TimeSpan.TicksPerSecond + nsec / 100));
            ReadOnlySpan<byte> rec = file.AsSpan(at + 16, incl);
            Assert.Equal(p.Link.PktType, BinaryPrimitives.ReadUInt16BigEndian(rec));
            Assert.Equal(772, BinaryPrimitives.ReadUInt16BigEndian(rec[2..]));
            Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(rec[14..]));
            Assert.Equal(p.Data, rec[16..].ToArray());
            PacketEvent again = PacketDecoder.Decode(rec[16..], 0x0800, 1, (byte)BinaryPrimitives.ReadUInt16BigEndian(rec), p.Event.Time, p.Event.Length)!.Value;
            Assert.Equal(p.Event, again);
            at += 16 + incl;
        }
        Assert.Equal(file.Length, at);
    }

    [TcpdumpFact]
    public void Tcpdump_reads_the_written_pcap()
    {
        FlowPacketStore store = Store();
        (NetEndpoint client, NetEndpoint server) = RefusedFlow(store);
        string path = Path.Combine(Path.GetTempPath(), $"nettop-test-{Guid.NewGuid():N}.pcap");
        try
        {
            File.WriteAllBytes(path, PcapWriter.Write(store.Captured(client, server)));
            ProcessStartInfo psi = new("tcpdump") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-r", path, "-nn", "-tt", "--nano" }) psi.ArgumentList.Add(a);
            using Process p = Process.Start(psi)!;
            Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(30_000), "tcpdump -r did not finish");
            Assert.True(p.ExitCode == 0, $"tcpdump -r failed: {stderr.Result}");
            Assert.Contains("LINUX_SLL", stderr.Result, StringComparison.Ordinal);
            string[] lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.Contains($"{client.AddressText}.{client.Port} > {server.AddressText}.{server.Port}: Flags [S]", lines[0], StringComparison.Ordinal);
            Assert.Contains($"{server.AddressText}.{server.Port} > {client.AddressText}.{client.Port}: Flags [R.]", lines[1], StringComparison.Ordinal);
            long ns = (store.Packets(client, server)[0].Time - DateTimeOffset.UnixEpoch).Ticks * 100;
            Assert.StartsWith($"{ns / 1_000_000_000}.{ns % 1_000_000_000:D9}", lines[0], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_file_name_names_host_time_and_flow_without_unsafe_characters()
    {
        string name = PcapWriter.FileName("web/01", new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero).ToLocalTime(),
            NetEndpoint.FromV4Bytes([127, 0, 0, 1], 5000), NetEndpoint.FromV6Bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 80));
        string stamp = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero).ToLocalTime().ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"nettop-web_01-{stamp}-127.0.0.1.5000-__1.80.pcap", name);
    }
}

/// <summary>Runs where tcpdump is installed (scripts/test installs it); otherwise skips saying so.</summary>
internal sealed class TcpdumpFactAttribute : FactAttribute
{
    public TcpdumpFactAttribute()
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Concat(["/usr/sbin", "/sbin", "/usr/bin"]).Any(d => File.Exists(Path.Combine(d, "tcpdump")));
        if (!found) Skip = "tcpdump is not installed (apt-get install tcpdump, or run scripts/test as root)";
    }
}
