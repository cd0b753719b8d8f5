using System.Collections.Immutable;
using NetTop.Capture.Recording;

namespace NetTop.Capture.Replay;

/// <summary>
/// A recording directory read back: meta.json, the inputs of every tick (grouped by the tick they were read in),
/// the raw perf records, the packet frames, and the tracepoint formats and kallsyms subset. Only ticks whose tick
/// record was written are replayed (a crash mid-tick leaves inputs without one: skipped). What was damaged is
/// counted in <see cref="Damage"/>, never thrown; a directory that is not a recording throws
/// <see cref="RecordingException"/>.
/// </summary>
public sealed class Recording
{
    private Recording(string directory, RecordingMeta meta)
    {
        Directory = directory;
        Meta = meta;
    }

    public string Directory { get; }
    public RecordingMeta Meta { get; }

    /// <summary>The complete ticks, in order.</summary>
    public ImmutableArray<TickInput> Ticks { get; private set; } = [];
    public ImmutableArray<object> Inputs { get; private set; } = [];
    public ImmutableArray<object> Perf { get; private set; } = [];
    public ImmutableArray<PcapFile.Frame> Frames { get; private set; } = [];
    public string? SendFormat { get; private set; }
    public string? ReceiveFormat { get; private set; }
    public string? Kallsyms { get; private set; }
    public RecordingDamage Damage { get; private set; } = new();

    public static Recording Open(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
        {
            throw new RecordingException(File.Exists(full) ? $"{directory}: is a file, not a recording directory" : $"{directory}: no such directory");
        }
        string metaPath = Path.Combine(full, RecordingDirectory.Meta);
        string ticksPath = Path.Combine(full, RecordingDirectory.Ticks);
        if (!File.Exists(metaPath) || !File.Exists(ticksPath))
        {
            throw new RecordingException($"{directory}: not a NetTop recording (no {RecordingDirectory.Meta} and {RecordingDirectory.Ticks}; make one with `nettop record DIR`)");
        }
        try
        {
            Recording r = new(full, RecordingMeta.Read(metaPath));
            r.Load();
            return r;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecordingException($"{directory}: cannot read the recording: {e.Message}");
        }
    }

    private void Load()
    {
        RecordingDamage damage = new();
        RecordFile.ReadStats stats = default;
        List<TickInput> ticks = [];
        List<object> inputs = [];
        foreach (byte[] payload in RecordFile.ReadAll(Path.Combine(Directory, RecordingDirectory.Ticks), ref stats))
        {
            switch (RecordCodec.Decode(payload))
            {
                case TickInput t:
                    ticks.Add(t);
                    break;
                case null:
                case PerfInput or TaskInput:
                    damage.MalformedRecords++;
                    break;
                case object o:
                    inputs.Add(o);
                    break;
            }
        }
        damage.CorruptRecords += stats.Corrupt;
        damage.TruncatedBytes += stats.TruncatedBytes;
        // Tick numbers only grow; a repeated or backwards one is damage, not a tick to replay twice.
        List<TickInput> ordered = [];
        foreach (TickInput t in ticks)
        {
            if (ordered.Count > 0 && t.Tick <= ordered[^1].Tick)
            {
                damage.MalformedRecords++;
                continue;
            }
            ordered.Add(t);
        }
        int lastTick = ordered.Count == 0 ? 0 : ordered[^1].Tick;
        damage.IncompleteInputs = inputs.Count(i => TickOf(i) > lastTick);
        Ticks = [.. ordered];
        Inputs = [.. inputs];

        string perfPath = Path.Combine(Directory, RecordingDirectory.Perf);
        if (File.Exists(perfPath))
        {
            RecordFile.ReadStats ps = default;
            List<object> perf = [];
            foreach (byte[] payload in RecordFile.ReadAll(perfPath, ref ps))
            {
                if (RecordCodec.Decode(payload) is (PerfInput or TaskInput) and { } o)
                {
                    perf.Add(o);
                }
                else
                {
                    damage.MalformedRecords++;
                }
            }
            damage.CorruptRecords += ps.Corrupt;
            damage.TruncatedBytes += ps.TruncatedBytes;
            Perf = [.. perf];
        }
        string pcapPath = Path.Combine(Directory, RecordingDirectory.Packets);
        if (File.Exists(pcapPath) && new FileInfo(pcapPath).Length > 0)
        {
            Frames = [.. PcapFile.Read(File.ReadAllBytes(pcapPath), out int malformed, out long truncated)];
            damage.MalformedRecords += malformed;
            damage.TruncatedBytes += truncated;
        }
        SendFormat = ReadOptional(RecordingDirectory.SendFormat);
        ReceiveFormat = ReadOptional(RecordingDirectory.ReceiveFormat);
        Kallsyms = ReadOptional(RecordingDirectory.Kallsyms);
        Damage = damage;
    }

    private string? ReadOptional(string name)
    {
        string path = Path.Combine(Directory, name);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    internal static int TickOf(object input) => input switch
    {
        TextInput t => t.Tick,
        SockDiagInput s => s.Tick,
        CommandInput c => c.Tick,
        OwnerInput o => o.Tick,
        _ => 0,
    };
}

/// <summary>What a recording lost: skipped and counted, shown in the replay's status.</summary>
public sealed class RecordingDamage
{
    /// <summary>Records whose checksum did not match.</summary>
    public int CorruptRecords { get; set; }
    /// <summary>Records that decoded to nothing this NetTop knows.</summary>
    public int MalformedRecords { get; set; }
    /// <summary>Bytes at the end of a stream that do not make a whole record (the recorder was killed mid-write).</summary>
    public long TruncatedBytes { get; set; }
    /// <summary>Inputs of a tick whose tick record is missing (the recorder stopped mid-tick).</summary>
    public int IncompleteInputs { get; set; }

    public bool Any => CorruptRecords > 0 || MalformedRecords > 0 || TruncatedBytes > 0 || IncompleteInputs > 0;

    public override string ToString() =>
        $"{CorruptRecords} corrupt and {MalformedRecords} malformed records skipped, {TruncatedBytes} truncated bytes, {IncompleteInputs} inputs of an unfinished tick";
}
