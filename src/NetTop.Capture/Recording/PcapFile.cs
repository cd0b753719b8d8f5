using System.Buffers.Binary;
using NetTop.Capture.Packets;

namespace NetTop.Capture.Recording;

/// <summary>
/// The packets of a recording as a pcap file that tcpdump and Wireshark read: nanosecond timestamps (magic
/// 0xa1b23c4d) and LINKTYPE_LINUX_SLL2 (276), whose 20-byte header carries what TPACKET_V3's sockaddr_ll gives
/// the decoder (protocol, ifindex, pkttype; the capture is SOCK_DGRAM, so there is no link header to keep).
/// Each record is one write of header and bytes; a crash leaves at most one truncated record at the end.
/// </summary>
public static class PcapFile
{
    public const uint MagicNanoseconds = 0xa1b23c4d;
    public const uint MagicMicroseconds = 0xa1b2c3d4;
    public const uint LinkTypeLinuxSll2 = 276;
    public const int FileHeaderSize = 24;
    public const int RecordHeaderSize = 16;
    public const int Sll2HeaderSize = 20;
    private const ushort ArphrdVoid = 0xFFFF; // sockaddr_ll's hatype is not in a TPACKET_V3 frame NetTop keeps

    public static byte[] FileHeader(uint snapLen)
    {
        byte[] h = new byte[FileHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(h, MagicNanoseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), snapLen + Sll2HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(20), LinkTypeLinuxSll2);
        return h;
    }

    /// <summary>One frame as a pcap record (record header, SLL2 header, captured bytes).</summary>
    public static byte[] Record(in TpacketFrame f)
    {
        int incl = Sll2HeaderSize + f.Data.Length;
        byte[] r = new byte[RecordHeaderSize + incl];
        Span<byte> s = r;
        BinaryPrimitives.WriteUInt32LittleEndian(s, f.Sec);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], f.Nsec);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (uint)incl);
        // tcpdump counts the SLL2 header in orig_len too; Length is the network packet's length on the wire.
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], (uint)Math.Min((ulong)f.Length + Sll2HeaderSize, uint.MaxValue));
        Span<byte> sll = s.Slice(RecordHeaderSize, Sll2HeaderSize);
        BinaryPrimitives.WriteUInt16BigEndian(sll, f.Protocol);
        BinaryPrimitives.WriteInt32BigEndian(sll[4..], f.IfIndex);
        BinaryPrimitives.WriteUInt16BigEndian(sll[8..], ArphrdVoid);
        sll[10] = f.PktType;
        f.Data.CopyTo(s[(RecordHeaderSize + Sll2HeaderSize)..]);
        return r;
    }

    /// <summary>A frame read back from a pcap file.</summary>
    public sealed record Frame(uint Sec, uint Nsec, uint Length, ushort Protocol, int IfIndex, byte PktType, byte[] Data);

    /// <summary>
    /// The frames of a LINUX_SLL2 pcap (micro- or nanosecond). Records that run past the end (a crash mid-write) are
    /// counted in <paramref name="truncatedBytes"/>; records too short for the SLL2 header in <paramref name="malformed"/>.
    /// Throws <see cref="RecordingException"/> for a file that is not such a pcap.
    /// </summary>
    public static List<Frame> Read(ReadOnlySpan<byte> file, out int malformed, out long truncatedBytes)
    {
        malformed = 0;
        truncatedBytes = 0;
        if (file.Length < FileHeaderSize)
        {
            throw new RecordingException("packets.pcap: shorter than a pcap header");
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        if (magic is not (MagicNanoseconds or MagicMicroseconds))
        {
            throw new RecordingException($"packets.pcap: not a little-endian pcap file (magic 0x{magic:x8})");
        }
        uint link = BinaryPrimitives.ReadUInt32LittleEndian(file[20..]);
        if (link != LinkTypeLinuxSll2)
        {
            throw new RecordingException($"packets.pcap: link type {link}, expected LINUX_SLL2 ({LinkTypeLinuxSll2})");
        }
        uint scale = magic == MagicMicroseconds ? 1000u : 1u;
        List<Frame> frames = [];
        int at = FileHeaderSize;
        while (at < file.Length)
        {
            if (file.Length - at < RecordHeaderSize)
            {
                truncatedBytes += file.Length - at;
                break;
            }
            ReadOnlySpan<byte> h = file[at..];
            uint incl = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
            uint orig = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
            if (incl > file.Length - at - RecordHeaderSize)
            {
                truncatedBytes += file.Length - at;
                break;
            }
            ReadOnlySpan<byte> rec = h.Slice(RecordHeaderSize, (int)incl);
            at += RecordHeaderSize + (int)incl;
            if (incl < Sll2HeaderSize || orig < Sll2HeaderSize)
            {
                malformed++;
                continue;
            }
            frames.Add(new Frame(BinaryPrimitives.ReadUInt32LittleEndian(h), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]) * scale,
                orig - Sll2HeaderSize, BinaryPrimitives.ReadUInt16BigEndian(rec), BinaryPrimitives.ReadInt32BigEndian(rec[4..]), rec[10],
                rec[Sll2HeaderSize..].ToArray()));
        }
        return frames;
    }
}
