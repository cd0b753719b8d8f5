using System.Buffers.Binary;

namespace NetTop.Capture.Recording;

/// <summary>
/// The framing of a recording's streams (ticks.rec, perf.rec): an 8-byte file header ("NTREC" + version), then
/// records of { u32 length, u32 crc32(payload), payload }, little-endian. Each record is written with one write
/// and the stream is flushed per tick, so a crash (or SIGKILL) leaves whole records and at most one truncated
/// tail, which the reader detects by its length and drops; a record whose checksum does not match is skipped and
/// counted. A length prefix and a checksum, not a second container format: the payloads are the kernel's bytes.
/// </summary>
public static class RecordFile
{
    public static ReadOnlySpan<byte> Magic => "NTREC\0\0\x01"u8;
    public const int HeaderSize = 8;
    public const int FrameHeaderSize = 8;
    /// <summary>No payload NetTop writes is this large (a sock_diag dump of 1M sockets is ~200 MB; those are split per family).</summary>
    public const int MaxPayload = 1 << 30;

    /// <summary>Creates a new stream file with mode 0600 (never overwrites) and writes the header.</summary>
    public static FileStream Create(string path)
    {
        FileStream fs = new(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            UnixCreateMode = RecordingDirectory.FileMode,
            BufferSize = 0, // frames are assembled in memory and written whole
        });
        fs.Write(Magic);
        return fs;
    }

    /// <summary>One framed record in one write call (the frame header and payload assembled first).</summary>
    public static void WriteFrame(Stream stream, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[FrameHeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32.Compute(payload));
        payload.CopyTo(frame.AsSpan(FrameHeaderSize));
        stream.Write(frame);
    }

    /// <summary>What reading a stream found besides its records.</summary>
    public struct ReadStats
    {
        /// <summary>Records whose checksum did not match (skipped).</summary>
        public int Corrupt;
        /// <summary>Bytes at the end that do not make a whole record (a crash mid-write).</summary>
        public long TruncatedBytes;
    }

    /// <summary>
    /// The payloads of a stream file's whole, intact records, in order. Throws <see cref="RecordingException"/>
    /// when the file does not start with the header (not a NetTop stream).
    /// </summary>
    public static List<byte[]> ReadAll(string path, ref ReadStats stats)
    {
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < HeaderSize || !data.AsSpan(0, HeaderSize).SequenceEqual(Magic))
        {
            throw new RecordingException($"{path}: not a NetTop recording stream (bad header)");
        }
        return Split(data.AsSpan(HeaderSize), ref stats);
    }

    /// <summary>Splits framed records (pure; never throws).</summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> data, ref ReadStats stats)
    {
        List<byte[]> records = [];
        int at = 0;
        while (at < data.Length)
        {
            if (data.Length - at < FrameHeaderSize)
            {
                stats.TruncatedBytes += data.Length - at;
                break;
            }
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data[(at + 4)..]);
            if (length > MaxPayload || length > data.Length - at - FrameHeaderSize)
            {
                // A length beyond the end: the tail of a crashed write (or garbage); nothing after it can be framed.
                stats.TruncatedBytes += data.Length - at;
                break;
            }
            ReadOnlySpan<byte> payload = data.Slice(at + FrameHeaderSize, (int)length);
            if (Crc32.Compute(payload) == crc)
            {
                records.Add(payload.ToArray());
            }
            else
            {
                stats.Corrupt++;
            }
            at += FrameHeaderSize + (int)length;
        }
        return records;
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib and gzip compute it).</summary>
public static class Crc32
{
    private static readonly uint[] s_table = MakeTable();

    private static uint[] MakeTable()
    {
        uint[] t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            t[i] = c;
        }
        return t;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            c = s_table[(c ^ b) & 0xFF] ^ (c >> 8);
        }
        return ~c;
    }
}

/// <summary>A directory that is not a recording, or a recording NetTop cannot use (the message says which file and why).</summary>
public sealed class RecordingException(string message) : Exception(message);
