using System.Buffers.Binary;
using System.Globalization;

namespace NetTop.Model.Packets;

/// <summary>
/// Writes captured packets as a classic pcap file (what tcpdump -r and Wireshark read), nanosecond timestamps
/// (magic 0xa1b23c4d), link type LINKTYPE_LINUX_SLL (113): NetTop's AF_PACKET socket is SOCK_DGRAM ("cooked"), so
/// each packet starts at its network header and the link layer is only described by sockaddr_ll; the 16-byte SLL
/// header rebuilt from it keeps the direction (pkttype), as `tcpdump -i any -w` does. Pure: bytes in, bytes out;
/// the caller writes the file atomically.
/// </summary>
public static class PcapWriter
{
    public const uint MagicNanoseconds = 0xa1b23c4d;
    public const int LinkTypeLinuxSll = 113;
    public const int FileHeaderSize = 24;
    public const int RecordHeaderSize = 16;
    public const int SllHeaderSize = 16;

    /// <summary>The whole file: header, then one record per packet in the given order.</summary>
    public static byte[] Write(IReadOnlyList<CapturedPacket> packets, int snapLength = FlowPacketStore.DefaultSnapLength)
    {
        int size = FileHeaderSize;
        foreach (CapturedPacket p in packets) size += RecordHeaderSize + SllHeaderSize + p.Data.Length;
        byte[] file = new byte[size];
        Span<byte> h = file;
        BinaryPrimitives.WriteUInt32LittleEndian(h, MagicNanoseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2); // version 2.4
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        // thiszone and sigfigs (8..16) stay 0
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)(snapLength + SllHeaderSize));
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], LinkTypeLinuxSll);
        int at = FileHeaderSize;
        foreach (CapturedPacket p in packets)
        {
            Span<byte> r = file.AsSpan(at);
            long ns = (p.Event.Time - DateTimeOffset.UnixEpoch).Ticks * 100;
            BinaryPrimitives.WriteUInt32LittleEndian(r, (uint)(ns / 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(r[4..], (uint)(ns % 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(r[8..], (uint)(SllHeaderSize + p.Data.Length));
            BinaryPrimitives.WriteUInt32LittleEndian(r[12..], (uint)(SllHeaderSize + Math.Max(p.Event.Length, p.Data.Length)));
            Span<byte> sll = r.Slice(RecordHeaderSize, SllHeaderSize);
            // struct sll_header: be16 pkttype, hatype, halen; u8 addr[8]; be16 protocol.
            BinaryPrimitives.WriteUInt16BigEndian(sll, p.Link.PktType);
            BinaryPrimitives.WriteUInt16BigEndian(sll[2..], p.Link.HaType);
            BinaryPrimitives.WriteUInt16BigEndian(sll[4..], p.Link.AddressLength);
            BinaryPrimitives.WriteUInt64BigEndian(sll[6..], p.Link.Address);
            BinaryPrimitives.WriteUInt16BigEndian(sll[14..], p.Link.Protocol);
            p.Data.CopyTo(r[(RecordHeaderSize + SllHeaderSize)..]);
            at += RecordHeaderSize + SllHeaderSize + p.Data.Length;
        }
        return file;
    }

    /// <summary>`nettop-&lt;host&gt;-&lt;yyyyMMdd-HHmmss&gt;-&lt;flow&gt;.pcap`, the flow as local-remote in tcpdump's address.port form, characters
    /// unsafe in file names replaced by '_' (as the snapshot files name the host).</summary>
    public static string FileName(string host, DateTimeOffset at, Net.NetEndpoint local, Net.NetEndpoint remote)
    {
        string stamp = at.ToLocalTime().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return $"nettop-{Safe(host)}-{stamp}-{Part(local)}-{Part(remote)}.pcap";
    }

    private static string Part(Net.NetEndpoint e) => Safe(e.AddressText) + "." + e.Port.ToString(CultureInfo.InvariantCulture);

    private static string Safe(string s) => string.Create(s.Length, s, static (span, src) =>
    {
        for (int i = 0; i < src.Length; i++)
        {
            char c = src[i];
            span[i] = char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_';
        }
    });
}
