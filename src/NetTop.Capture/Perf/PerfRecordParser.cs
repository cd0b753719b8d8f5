using System.Buffers.Binary;
using NetTop.Capture.Interop;

namespace NetTop.Capture.Perf;

public enum PerfRecordKind
{
    Sample,
    Lost,
    /// <summary>A record type NetTop does not use (skipped, not an error).</summary>
    Other,
    Malformed,
}

/// <summary>One PERF_RECORD_SAMPLE as views into the record bytes (valid while the bytes are).</summary>
public ref struct PerfSample
{
    public ulong Ip;
    public int Pid;
    public int Tid;
    public ulong Time;
    public uint Cpu;
    /// <summary>u64 ips[nr] including the PERF_CONTEXT_* markers, little-endian, unaligned.</summary>
    public ReadOnlySpan<byte> Callchain;
    /// <summary>The tracepoint's raw record (common header first); padding included.</summary>
    public ReadOnlySpan<byte> Raw;

    public readonly int CallchainCount => Callchain.Length / 8;

    public readonly ulong CallchainAt(int i) => BinaryPrimitives.ReadUInt64LittleEndian(Callchain.Slice(i * 8, 8));
}

/// <summary>Counts of what a stream of records held.</summary>
public struct PerfParseStats
{
    public long Samples;
    public long LostRecords;
    /// <summary>Events the kernel could not write because the ring was full (sum of PERF_RECORD_LOST.lost).</summary>
    public long LostEvents;
    public long Other;
    public long Malformed;
}

/// <summary>
/// Decodes perf ring records (pure: spans in, values out; never throws). A SAMPLE's fields follow in the order
/// of the sample_type bits (include/uapi/linux/perf_event.h, "struct { ... } && PERF_RECORD_SAMPLE").
/// </summary>
public static class PerfRecordParser
{
    public const int HeaderSize = 8;

    /// <summary>The sample_type bits this parser can walk (READ, BRANCH_STACK, REGS, ... are not).</summary>
    public const ulong Supported = PerfEvents.PERF_SAMPLE_IDENTIFIER | PerfEvents.PERF_SAMPLE_IP | PerfEvents.PERF_SAMPLE_TID |
        PerfEvents.PERF_SAMPLE_TIME | PerfEvents.PERF_SAMPLE_ADDR | PerfEvents.PERF_SAMPLE_ID | PerfEvents.PERF_SAMPLE_STREAM_ID |
        PerfEvents.PERF_SAMPLE_CPU | PerfEvents.PERF_SAMPLE_PERIOD | PerfEvents.PERF_SAMPLE_CALLCHAIN | PerfEvents.PERF_SAMPLE_RAW;

    /// <summary>The size field of the record header at the start of <paramref name="data"/>, or 0 if too short.</summary>
    public static int RecordSize(ReadOnlySpan<byte> data) =>
        data.Length < HeaderSize ? 0 : BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(6, 2));

    /// <summary>Parses one whole record (header included).</summary>
    public static PerfRecordKind Parse(ReadOnlySpan<byte> record, ulong sampleType, out PerfSample sample, out ulong lost)
    {
        sample = default;
        lost = 0;
        if (record.Length < HeaderSize) return PerfRecordKind.Malformed;
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(record);
        int size = BinaryPrimitives.ReadUInt16LittleEndian(record.Slice(6, 2));
        if (size < HeaderSize || size > record.Length) return PerfRecordKind.Malformed;
        ReadOnlySpan<byte> body = record[HeaderSize..size];
        switch (type)
        {
            case PerfEvents.PERF_RECORD_LOST:
                // { u64 id; u64 lost; [sample_id] }
                if (body.Length < 16) return PerfRecordKind.Malformed;
                lost = BinaryPrimitives.ReadUInt64LittleEndian(body.Slice(8, 8));
                return PerfRecordKind.Lost;
            case PerfEvents.PERF_RECORD_LOST_SAMPLES:
                if (body.Length < 8) return PerfRecordKind.Malformed;
                lost = BinaryPrimitives.ReadUInt64LittleEndian(body);
                return PerfRecordKind.Lost;
            case PerfEvents.PERF_RECORD_SAMPLE:
                return ParseSample(body, sampleType, out sample) ? PerfRecordKind.Sample : PerfRecordKind.Malformed;
            default:
                return PerfRecordKind.Other;
        }
    }

    private static bool ParseSample(ReadOnlySpan<byte> b, ulong st, out PerfSample s)
    {
        s = default;
        if ((st & ~Supported) != 0) return false;
        int at = 0;
        if ((st & PerfEvents.PERF_SAMPLE_IDENTIFIER) != 0 && !Skip(b, ref at, 8)) return false;
        if ((st & PerfEvents.PERF_SAMPLE_IP) != 0)
        {
            if (!U64(b, ref at, out s.Ip)) return false;
        }
        if ((st & PerfEvents.PERF_SAMPLE_TID) != 0)
        {
            if (!U64(b, ref at, out ulong pt)) return false;
            s.Pid = (int)(uint)pt;
            s.Tid = (int)(uint)(pt >> 32);
        }
        if ((st & PerfEvents.PERF_SAMPLE_TIME) != 0 && !U64(b, ref at, out s.Time)) return false;
        if ((st & PerfEvents.PERF_SAMPLE_ADDR) != 0 && !Skip(b, ref at, 8)) return false;
        if ((st & PerfEvents.PERF_SAMPLE_ID) != 0 && !Skip(b, ref at, 8)) return false;
        if ((st & PerfEvents.PERF_SAMPLE_STREAM_ID) != 0 && !Skip(b, ref at, 8)) return false;
        if ((st & PerfEvents.PERF_SAMPLE_CPU) != 0)
        {
            if (!U64(b, ref at, out ulong cpu)) return false;
            s.Cpu = (uint)cpu;
        }
        if ((st & PerfEvents.PERF_SAMPLE_PERIOD) != 0 && !Skip(b, ref at, 8)) return false;
        if ((st & PerfEvents.PERF_SAMPLE_CALLCHAIN) != 0)
        {
            if (!U64(b, ref at, out ulong nr)) return false;
            if (nr > (ulong)(b.Length - at) / 8) return false;
            s.Callchain = b.Slice(at, (int)nr * 8);
            at += (int)nr * 8;
        }
        if ((st & PerfEvents.PERF_SAMPLE_RAW) != 0)
        {
            if (b.Length - at < 4) return false;
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(at, 4));
            at += 4;
            if (size > (uint)(b.Length - at)) return false;
            s.Raw = b.Slice(at, (int)size);
        }
        return true;
    }

    /// <summary>Walks consecutive records (a copy of ring bytes or a fixture file) and counts them.</summary>
    public static PerfParseStats Walk(ReadOnlySpan<byte> data, ulong sampleType, SampleHandler? onSample = null)
    {
        PerfParseStats stats = default;
        while (data.Length > 0)
        {
            int size = RecordSize(data);
            if (size < HeaderSize || size > data.Length)
            {
                stats.Malformed++; // framing is lost: the rest cannot be trusted
                break;
            }
            switch (Parse(data[..size], sampleType, out PerfSample s, out ulong lost))
            {
                case PerfRecordKind.Sample:
                    stats.Samples++;
                    onSample?.Invoke(ref s);
                    break;
                case PerfRecordKind.Lost:
                    stats.LostRecords++;
                    stats.LostEvents += (long)Math.Min(lost, long.MaxValue / 2);
                    break;
                case PerfRecordKind.Other:
                    stats.Other++;
                    break;
                default:
                    stats.Malformed++;
                    break;
            }
            data = data[size..];
        }
        return stats;
    }

    public delegate void SampleHandler(ref PerfSample sample);

    private static bool U64(ReadOnlySpan<byte> b, ref int at, out ulong v)
    {
        if (b.Length - at < 8)
        {
            v = 0;
            return false;
        }
        v = BinaryPrimitives.ReadUInt64LittleEndian(b.Slice(at, 8));
        at += 8;
        return true;
    }

    private static bool Skip(ReadOnlySpan<byte> b, ref int at, int n)
    {
        if (b.Length - at < n) return false;
        at += n;
        return true;
    }
}
