using System.Globalization;
using NetTop.Capture.Firewall;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Packets;
using NetTop.Capture.Perf;
using NetTop.Capture.Sockets;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Recording;

/// <summary>
/// `nettop record DIR`: writes the raw inputs of every source as the hub's sources read them (atop -w for TCP).
/// The hub polls its sources through a tee of <see cref="CaptureIo"/> whose reads land here, the event sources'
/// taps hand over raw perf records and packet frames, and each tick ends with <see cref="EndTick"/>, which writes
/// the tick's inputs and its tick record in whole frames and flushes every stream. The directory is created
/// 0700 and every file 0600; meta.json is written at the start and rewritten by <see cref="Complete"/>.
/// Thread-safe: taps arrive on the perf and packet reader threads and background firewall reads.
/// </summary>
public sealed class CaptureRecording : IDisposable
{
    private const int MaxStackAddresses = 1 << 20;
    private const int KallsymsEvery = 30; // ticks between refreshes of kallsyms.txt (a crash keeps symbols of the earlier ticks)

    private readonly Lock _lock = new();
    private readonly FileStream _ticks;
    private readonly FileStream _perfFile;
    private readonly BufferedStream _perf;
    private readonly FileStream _pcapFile;
    private readonly BufferedStream _pcap;
    private readonly List<object> _pending = [];
    private readonly HashSet<ulong> _stackIps = [];
    private readonly Dictionary<int, TaskInfo> _lastTask = [];
    private readonly Dictionary<ulong, (int? Pid, string? Comm)> _lastOwner = [];
    private int _stackIpsWritten;
    private bool _disposed;

    private CaptureRecording(string directory, FileStream ticks, FileStream perf, FileStream pcap)
    {
        Directory = directory;
        _ticks = ticks;
        _perfFile = perf;
        _perf = new BufferedStream(perf, 64 << 10);
        _pcapFile = pcap;
        _pcap = new BufferedStream(pcap, 64 << 10);
        _pcap.Write(PcapFile.FileHeader(PacketFilters.DefaultSnapLen));
    }

    public string Directory { get; }

    /// <summary>The tick being recorded (0 before the first refresh); inputs are tagged with it.</summary>
    public int Tick { get; private set; }

    public int TicksWritten { get; private set; }

    /// <summary>meta.json as written at the start; the hub fills in what it knows (host, kernel, tools).</summary>
    public RecordingMeta Meta { get; private set; } = null!;

    internal CaptureIo Io => field ??= new RecordingIo(this);

    /// <summary>
    /// Creates <paramref name="directory"/> (0700; it must not exist or be empty, so no evidence is overwritten) and
    /// its stream files. Throws <see cref="RecordingException"/> when it cannot.
    /// </summary>
    public static CaptureRecording Create(string directory)
    {
        string full = Path.GetFullPath(directory);
        try
        {
            if (File.Exists(full))
            {
                throw new RecordingException($"{directory}: is a file; name a new or empty directory");
            }
            if (System.IO.Directory.Exists(full) && System.IO.Directory.EnumerateFileSystemEntries(full).Any())
            {
                throw new RecordingException($"{directory}: is not empty; name a new or empty directory (a recording is never overwritten)");
            }
            System.IO.Directory.CreateDirectory(full, RecordingDirectory.DirectoryMode);
            File.SetUnixFileMode(full, RecordingDirectory.DirectoryMode); // an existing empty directory too
            FileStream ticks = RecordFile.Create(Path.Combine(full, RecordingDirectory.Ticks));
            FileStream perf = RecordFile.Create(Path.Combine(full, RecordingDirectory.Perf));
            FileStream pcap = new(Path.Combine(full, RecordingDirectory.Packets), new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.Read,
                UnixCreateMode = RecordingDirectory.FileMode,
                BufferSize = 0,
            });
            return new CaptureRecording(full, ticks, perf, pcap);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecordingException($"{directory}: cannot create the recording: {e.Message}");
        }
    }

    /// <summary>Writes meta.json (atomically); the hub calls it once it knows the host, namespace and tools.</summary>
    public void Begin(RecordingMeta meta)
    {
        Meta = meta;
        RecordingDirectory.WriteAtomic(Path.Combine(Directory, RecordingDirectory.Meta), meta.Serialize());
    }

    /// <summary>The watched namespace's inode (meta.json; the replay attributes resets with it).</summary>
    internal void SetNetnsInode(ulong? inode) => Meta = Meta with { NetnsInode = inode };

    /// <summary>Called by the hub when a refresh starts: later inputs belong to the new tick.</summary>
    internal void BeginTick()
    {
        lock (_lock)
        {
            Tick++;
        }
    }

    /// <summary>Queues one input of the current tick (written at <see cref="EndTick"/>).</summary>
    internal void Add(object input)
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _pending.Add(input);
            }
        }
    }

    /// <summary>Ends the tick: its inputs and tick record as whole frames, then every stream flushed.</summary>
    internal void EndTick(TickInput tick)
    {
        bool kallsyms;
        lock (_lock)
        {
            if (_disposed) return;
            foreach (object input in _pending)
            {
                RecordFile.WriteFrame(_ticks, RecordCodec.Encode(input));
            }
            _pending.Clear();
            RecordFile.WriteFrame(_ticks, RecordCodec.Encode(tick));
            _perf.Flush();
            _pcap.Flush();
            TicksWritten++;
            kallsyms = TicksWritten % KallsymsEvery == 1 && _stackIps.Count > _stackIpsWritten;
        }
        if (kallsyms)
        {
            WriteKallsyms();
        }
    }

    /// <summary>The perf source's raw-record tap (reader thread).</summary>
    internal void OnPerfRecord(ReadOnlySpan<byte> record, long wallOffsetNs)
    {
        byte[] payload = RecordCodec.Encode(new PerfInput(wallOffsetNs, record.ToArray()));
        lock (_lock)
        {
            if (_disposed) return;
            RecordFile.WriteFrame(_perf, payload);
            if (PerfRecordParser.Parse(record, ResetTraceSource.SampleType, out PerfSample s, out _) == PerfRecordKind.Sample)
            {
                for (int i = 0; i < s.CallchainCount && _stackIps.Count < MaxStackAddresses; i++)
                {
                    _stackIps.Add(s.CallchainAt(i));
                }
            }
        }
    }

    /// <summary>The perf source's task lookups (reader thread); written only when a thread's answer changed.</summary>
    internal void OnTask(int pid, int tid, TaskInfo info)
    {
        lock (_lock)
        {
            if (_disposed || (_lastTask.TryGetValue(tid, out TaskInfo last) && last == info)) return;
            if (_lastTask.Count >= 65_536) _lastTask.Clear(); // bounded: an answer is only written again
            _lastTask[tid] = info;
            RecordFile.WriteFrame(_perf, RecordCodec.Encode(new TaskInput(pid, tid, info.Comm, info.NetnsInode)));
        }
    }

    /// <summary>The packet source's frame tap (reader thread).</summary>
    internal void OnFrame(in TpacketFrame f)
    {
        byte[] record = PcapFile.Record(in f);
        lock (_lock)
        {
            if (!_disposed)
            {
                _pcap.Write(record);
            }
        }
    }

    /// <summary>Records the owner the snapshot builder got for an inode, when it differs from the last one recorded.</summary>
    internal void OnOwner(ulong inode, ProcessOwner? owner)
    {
        lock (_lock)
        {
            (int?, string?) now = (owner?.Pid, owner?.Comm);
            if (_disposed || (_lastOwner.TryGetValue(inode, out var last) && last == now)) return;
            if (_lastOwner.Count >= 65_536) _lastOwner.Clear();
            _lastOwner[inode] = now;
            _pending.Add(new OwnerInput(Tick, inode, owner?.Pid, owner?.Comm));
        }
    }

    /// <summary>Copies the reset tracepoints' format files (the field offsets of the raw records).</summary>
    internal void CopyTracepointFormats()
    {
        try
        {
            string? tracefs = Tracefs.FindInMounts(File.ReadAllText("/proc/mounts"));
            if (tracefs is null) return;
            foreach ((string tp, string file) in new[] { (ResetTracepointLayout.SendName, RecordingDirectory.SendFormat), (ResetTracepointLayout.ReceiveName, RecordingDirectory.ReceiveFormat) })
            {
                string src = Path.Combine(tracefs, "events", "tcp", tp, "format");
                if (File.Exists(src))
                {
                    RecordingDirectory.WriteAtomic(Path.Combine(Directory, file), File.ReadAllBytes(src));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without them the replay says the resets cannot be decoded; the recording's other inputs stand.
        }
    }

    /// <summary>
    /// kallsyms.txt: for every address in a recorded stack, the /proc/kallsyms symbol at or below it, in kallsyms'
    /// own format, so the replay's symbolizer resolves each frame exactly as the live one did (a few KB instead of
    /// the 10 MB table). When the live table was hidden or unreadable the file is empty and meta says why.
    /// </summary>
    private void WriteKallsyms()
    {
        ulong[] ips;
        lock (_lock)
        {
            ips = [.. _stackIps];
            _stackIpsWritten = ips.Length;
        }
        KallsymsSymbolizer table = KallsymsSymbolizer.Load(out string? problem);
        SortedDictionary<ulong, string> symbols = [];
        foreach (ulong ip in ips)
        {
            string frame = table.Symbolize(ip);
            if (frame.StartsWith("0x", StringComparison.Ordinal)) continue; // no symbol covers it: the replay prints it as hex too
            int plus = frame.LastIndexOf("+0x", StringComparison.Ordinal);
            ulong offset = plus < 0 ? 0 : ulong.Parse(frame.AsSpan(plus + 3), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            symbols[ip - offset] = plus < 0 ? frame : frame[..plus];
        }
        System.Text.StringBuilder sb = new();
        foreach ((ulong addr, string name) in symbols)
        {
            sb.Append(addr.ToString("x16", CultureInfo.InvariantCulture)).Append(" t ").Append(name).Append('\n');
        }
        try
        {
            RecordingDirectory.WriteAtomic(Path.Combine(Directory, RecordingDirectory.Kallsyms), System.Text.Encoding.UTF8.GetBytes(sb.ToString()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem ??= $"cannot write {RecordingDirectory.Kallsyms}: {e.Message}";
        }
        if (problem is not null)
        {
            Meta = Meta with { KallsymsNote = problem };
        }
    }

    /// <summary>Finishes the recording: kallsyms for every recorded stack, fsync, and meta.json with the end time and file sizes.</summary>
    public void Complete(DateTimeOffset ended)
    {
        lock (_lock)
        {
            if (_disposed) return;
            _perf.Flush();
            _pcap.Flush();
            _ticks.Flush(flushToDisk: true);
            _perfFile.Flush(flushToDisk: true);
            _pcapFile.Flush(flushToDisk: true);
        }
        WriteKallsyms();
        string[] names =
        [
            RecordingDirectory.Meta, RecordingDirectory.Ticks, RecordingDirectory.Perf, RecordingDirectory.Packets, RecordingDirectory.Kallsyms,
            RecordingDirectory.SendFormat, RecordingDirectory.ReceiveFormat,
        ];
        Meta = Meta with
        {
            Ended = ended,
            Complete = true,
            Ticks = TicksWritten,
            Files = [.. names.Where(n => n == RecordingDirectory.Meta || File.Exists(Path.Combine(Directory, n)))
                .Select(n => (n, n == RecordingDirectory.Meta ? 0L : new FileInfo(Path.Combine(Directory, n)).Length))],
        };
        RecordingDirectory.WriteAtomic(Path.Combine(Directory, RecordingDirectory.Meta), Meta.Serialize());
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _perf.Dispose();
            _pcap.Dispose();
            _ticks.Dispose();
        }
    }

    /// <summary>The tee: every read goes to the kernel as usual and its result (or failure) into the recording.</summary>
    private sealed class RecordingIo(CaptureRecording rec) : CaptureIo
    {
        public override string ReadText(string path)
        {
            try
            {
                string text = base.ReadText(path);
                rec.Add(new TextInput(rec.Tick, path, text, null, null));
                return text;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                rec.Add(new TextInput(rec.Tick, path, null, e.GetType().Name, e.Message));
                throw;
            }
        }

        public override ISockDiagDumper OpenSockDiag()
        {
            try
            {
                return new RecordingDumper(rec, base.OpenSockDiag());
            }
            catch (SockDiagException e)
            {
                rec.Add(new SockDiagInput(rec.Tick, SockDiagOp.OpenFailed, 0, e.Errno, e.Message, []));
                throw;
            }
        }

        public override async Task<CommandOutput> RunAsync(NetnsThread thread, string file, string[] args, TimeSpan timeout, CancellationToken ct)
        {
            CommandOutput o = await base.RunAsync(thread, file, args, timeout, ct).ConfigureAwait(false);
            rec.Add(new CommandInput(rec.Tick, file, [.. args], o));
            return o;
        }

        /// <summary>Streams as live and records the whole stdout, as <see cref="RunAsync"/> would have returned it.</summary>
        public override async Task<CommandOutput> RunStreamingAsync(NetnsThread thread, string file, string[] args, OutputChunk onStdout,
            TimeSpan timeout, CancellationToken ct)
        {
            MemoryStream raw = new();
            CommandOutput o = await base.RunStreamingAsync(thread, file, args, chunk =>
            {
                raw.Write(chunk);
                onStdout(chunk);
            }, timeout, ct).ConfigureAwait(false);
            rec.Add(new CommandInput(rec.Tick, file, [.. args], o with { Stdout = System.Text.Encoding.UTF8.GetString(raw.GetBuffer(), 0, (int)raw.Length) }));
            return o;
        }

        public override ulong? NetnsInode()
        {
            ulong? inode = base.NetnsInode();
            rec.Add(new TextInput(rec.Tick, NetnsInodePath, inode?.ToString(CultureInfo.InvariantCulture), inode is null ? nameof(IOException) : null,
                inode is null ? "unreadable" : null));
            return inode;
        }
    }

    /// <summary>The pseudo path under which the watched namespace's inode is recorded.</summary>
    internal const string NetnsInodePath = "/proc/thread-self/ns/net";

    /// <summary>A sock_diag socket whose dumps (the raw recv buffers) or failures are recorded per family.</summary>
    private sealed class RecordingDumper(CaptureRecording rec, ISockDiagDumper inner) : ISockDiagDumper
    {
        private readonly MemoryStream _raw = new();

        public Action<ReadOnlyMemory<byte>>? Tap { get; set; }

        public void Dump(byte family, byte ext, uint states, SocketTableBuilder into, ref ParseStats stats, AsciiPool pool)
        {
            _raw.SetLength(0);
            Action<ReadOnlyMemory<byte>>? outer = Tap;
            inner.Tap = m =>
            {
                _raw.Write(m.Span);
                outer?.Invoke(m);
            };
            try
            {
                inner.Dump(family, ext, states, into, ref stats, pool);
                rec.Add(new SockDiagInput(rec.Tick, SockDiagOp.Dump, family, 0, null, _raw.ToArray()));
            }
            catch (SockDiagException e)
            {
                rec.Add(new SockDiagInput(rec.Tick, SockDiagOp.DumpFailed, family, e.Errno, e.Message, _raw.ToArray()));
                throw;
            }
        }

        public void Dispose() => inner.Dispose();
    }
}
