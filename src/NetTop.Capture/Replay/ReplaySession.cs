using System.Collections.Immutable;
using System.Globalization;
using NetTop.Capture.Firewall;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Packets;
using NetTop.Capture.Perf;
using NetTop.Capture.Recording;
using NetTop.Capture.Sockets;
using NetTop.Model;
using NetTop.Model.Resets;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Replay;

/// <summary>Which source a replayed clock reading is for (each source's sample keeps the time it was read at).</summary>
internal enum SourceClock
{
    Sockets,
    Counters,
    Firewall,
}

/// <summary>
/// The state of one replay: which tick the hub is refreshing and the recorded inputs it is served from. It plays
/// the kernel's part for the hub's sources (<see cref="Io"/>), the clock (<see cref="Time"/>), the reset
/// tracepoints (raw perf records through <see cref="PerfRecordParser"/> and <see cref="ResetRecordDecoder"/>), the
/// packet ring (recorded frames into the real <see cref="PacketCaptureSource"/>) and the process-owner cache.
/// Used by the hub's refresh only (one thread at a time).
/// </summary>
internal sealed class ReplaySession
{
    private readonly Recording _recording;
    private readonly Dictionary<string, List<TextInput>> _texts = new(StringComparer.Ordinal);
    private readonly Dictionary<int, List<SockDiagInput>> _sockDiag = [];
    private readonly Dictionary<string, List<CommandInput>> _commands = new(StringComparer.Ordinal);
    private readonly List<OwnerInput> _ownerInputs;
    private readonly Dictionary<ulong, ProcessOwner?> _owners = [];
    private readonly Dictionary<int, TaskInfo> _tasks = [];
    private readonly EventRing<ResetEvent> _resetRing = new(new ResetTraceOptions().EventCapacity);
    private readonly ResetRecordDecoder? _decoder;
    private readonly string? _resetProblem;
    private List<SockDiagInput> _tickSockDiag = [];
    private int _ownerAt;
    private int _perfAt;
    private int _frameAt;
    private long _perfSamples;
    private long _perfMalformed;
    private long _perfLost;
    private int _index = -1;

    public ReplaySession(Recording recording)
    {
        _recording = recording;
        foreach (object input in recording.Inputs)
        {
            switch (input)
            {
                case TextInput t:
                    Add(_texts, t.Path, t);
                    break;
                case SockDiagInput s:
                    Add(_sockDiag, s.Tick, s);
                    break;
                case CommandInput c:
                    Add(_commands, CommandKey(c.File, c.Args), c);
                    break;
            }
        }
        _ownerInputs = [.. recording.Inputs.OfType<OwnerInput>().OrderBy(o => o.Tick)];
        Io = new ReplayIo(this);
        Time = new ReplayTime(recording.Ticks.Length > 0 ? recording.Ticks[0].Now : recording.Meta.Started);
        Owners = new ReplayOwners(_owners);
        _decoder = MakeDecoder(recording, out _resetProblem);
        Tools = recording.Meta.FirewallTools is { } tools
            ? new FirewallSource.Tools(tools.Save4, tools.Save6, tools.LegacySave4, tools.LegacySave6, tools.NftSave4, tools.NftSave6, tools.Nft, tools.DefaultIsLegacy)
            : new FirewallSource.Tools(null, null, null, null, null, null, null, false);
    }

    private static void Add<TKey, T>(Dictionary<TKey, List<T>> map, TKey key, T value) where TKey : notnull
    {
        if (!map.TryGetValue(key, out List<T>? list))
        {
            map[key] = list = [];
        }
        list.Add(value);
    }

    private static string CommandKey(string file, IEnumerable<string> args) => string.Join('\0', args.Prepend(file));

    public Recording Recording => _recording;
    public RecordingMeta Meta => _recording.Meta;
    public CaptureIo Io { get; }
    public ReplayTime Time { get; }
    public IProcessOwners Owners { get; }
    public FirewallSource.Tools Tools { get; }

    /// <summary>The recorded tick the hub is refreshing (null before the first).</summary>
    public TickInput? Current => _index >= 0 && _index < _recording.Ticks.Length ? _recording.Ticks[_index] : null;

    /// <summary>Ticks replayed so far.</summary>
    public int Position => _index + 1;

    public int Count => _recording.Ticks.Length;

    public ResetFeedMode ResetMode => Current?.ResetMode ?? ResetFeedMode.Starting;

    /// <summary>Moves to the next recorded tick; false at the end.</summary>
    public bool Advance()
    {
        if (_index + 1 >= _recording.Ticks.Length)
        {
            return false;
        }
        _index++;
        TickInput t = _recording.Ticks[_index];
        Time.Set(t.At, t.Now);
        _tickSockDiag = _sockDiag.TryGetValue(t.Tick, out List<SockDiagInput>? s) ? [.. s] : [];
        while (_ownerAt < _ownerInputs.Count && _ownerInputs[_ownerAt].Tick <= t.Tick)
        {
            OwnerInput o = _ownerInputs[_ownerAt++];
            _owners[o.Inode] = o.Pid is { } pid ? new ProcessOwner(pid, o.Comm ?? "?") : null;
        }
        return true;
    }

    /// <summary>The clock of one source at this tick: the time its recorded sample was taken.</summary>
    public Func<TimeSpan> ClockOf(SourceClock source) => () => Current is not { } t ? TimeSpan.Zero : source switch
    {
        SourceClock.Sockets => t.SocketsAt ?? t.At,
        SourceClock.Counters => t.CountersAt ?? t.At,
        _ => t.FirewallAt ?? t.At,
    };

    /// <summary>The recorded statuses of this tick, and the replay's own (position, damage).</summary>
    public ImmutableArray<SourceStatus> Statuses()
    {
        TickInput? t = Current;
        ImmutableArray<SourceStatus> recorded = t?.Statuses ?? [];
        RecordingDamage d = _recording.Damage;
        string detail = string.Create(CultureInfo.InvariantCulture,
            $"{_recording.Directory}: tick {Position} of {Count}, recorded {Meta.Started.ToLocalTime():yyyy-MM-dd HH:mm:ss} on {Meta.Host}");
        List<string> problems = [];
        if (d.Any) problems.Add(d.ToString());
        if (!Meta.Complete) problems.Add("the recording was cut short (meta.json has no end)");
        if (_perfMalformed > 0) problems.Add($"{_perfMalformed} perf records not decoded");
        if (_resetProblem is not null && ResetMode == ResetFeedMode.Tracepoints) problems.Add(_resetProblem);
        SourceStatus replay = problems.Count == 0
            ? SourceStatus.Ok("replay", detail)
            : new SourceStatus("replay", SourceHealth.Degraded, detail + "; " + string.Join("; ", problems));
        return [.. recorded, replay];
    }

    /// <summary>Feeds recorded frames into the packet source until the hub's ring has had as many as it had live.</summary>
    public void FeedPackets(PacketCaptureSource packets, PacketEventRing ring)
    {
        if (Current is not { } t) return;
        ImmutableArray<PcapFile.Frame> frames = _recording.Frames;
        while (ring.Written < t.PacketsWritten && _frameAt < frames.Length)
        {
            PcapFile.Frame f = frames[_frameAt++];
            packets.Inject(new TpacketFrame
            {
                Sec = f.Sec,
                Nsec = f.Nsec,
                Length = f.Length,
                Protocol = f.Protocol,
                IfIndex = f.IfIndex,
                PktType = f.PktType,
                Data = f.Data,
            });
        }
    }

    /// <summary>The resets the live hub took by this tick: recorded perf records decoded by the real decoder.</summary>
    public int DrainResets(List<ResetEvent> into)
    {
        if (Current is not { } t) return 0;
        ImmutableArray<object> perf = _recording.Perf;
        while (_resetRing.Written < t.ResetsWritten && _perfAt < perf.Length)
        {
            if (perf[_perfAt++] is not PerfInput p)
            {
                continue; // task lookups are applied with the record they belong to
            }
            // The reader looked up the sample's task while decoding it: those answers follow the record.
            for (int k = _perfAt; k < perf.Length && perf[k] is TaskInput task; k++)
            {
                _tasks[task.Tid] = new TaskInfo(task.Comm, task.NetnsInode);
            }
            Decode(p);
        }
        return _resetRing.Drain(into);
    }

    private void Decode(PerfInput p)
    {
        switch (PerfRecordParser.Parse(p.Record, Meta.PerfSampleType, out PerfSample s, out ulong lost))
        {
            case PerfRecordKind.Sample when _decoder is not null:
                _perfSamples++;
                if (_decoder.Decode(ref s, p.WallOffsetNs, TaskOf) is { } e)
                {
                    _resetRing.Write(e);
                }
                else
                {
                    _perfMalformed++;
                }
                break;
            case PerfRecordKind.Sample:
            case PerfRecordKind.Malformed:
                _perfMalformed++;
                break;
            case PerfRecordKind.Lost:
                _perfLost += (long)Math.Min(lost, int.MaxValue);
                break;
        }
    }

    private TaskInfo TaskOf(int pid, int tid) => _tasks.TryGetValue(tid, out TaskInfo info) ? info : default;

    private static ResetRecordDecoder? MakeDecoder(Recording r, out string? problem)
    {
        problem = null;
        if (r.SendFormat is null)
        {
            problem = r.Perf.IsEmpty ? null : $"no {RecordingDirectory.SendFormat} in the recording: resets cannot be decoded";
            return null;
        }
        TracepointFormat? send = TracepointFormatParser.Parse(r.SendFormat);
        TracepointFormat? receive = r.ReceiveFormat is null ? null : TracepointFormatParser.Parse(r.ReceiveFormat);
        if (send is null)
        {
            problem = $"{RecordingDirectory.SendFormat} has no ID line";
            return null;
        }
        ResetTracepointLayout? layout = ResetTracepointLayout.Create(send, receive, out string? layoutProblem);
        if (layout is null)
        {
            problem = layoutProblem ?? "unexpected tracepoint layout";
            return null;
        }
        KallsymsSymbolizer kallsyms = r.Kallsyms is null ? KallsymsSymbolizer.Empty : KallsymsSymbolizer.Parse(new StringReader(r.Kallsyms));
        return new ResetRecordDecoder(layout, new StackSymbolizer(kallsyms));
    }

    // --- the kernel's part for the polled sources -------------------------------------------------------------

    /// <summary>The text a source read at this tick (or, when it read none then, the last one before).</summary>
    private string ReadText(string path)
    {
        int tick = Current?.Tick ?? 0;
        TextInput? found = _texts.TryGetValue(path, out List<TextInput>? list) ? Latest(list, tick, i => i.Tick) : null;
        if (found is null)
        {
            throw new FileNotFoundException($"{path}: not in the recording", path);
        }
        if (found.Text is { } text)
        {
            return text;
        }
        string message = found.Error ?? "unreadable when recorded";
        throw found.ErrorType switch
        {
            nameof(UnauthorizedAccessException) => new UnauthorizedAccessException(message),
            nameof(FileNotFoundException) => new FileNotFoundException(message, path),
            nameof(DirectoryNotFoundException) => new DirectoryNotFoundException(message),
            _ => new IOException(message),
        };
    }

    /// <summary>The entry at <paramref name="tick"/> or the latest before it; else the first after (a background read that finished later).</summary>
    private static T? Latest<T>(List<T> list, int tick, Func<T, int> tickOf) where T : class
    {
        T? best = null;
        foreach (T item in list)
        {
            if (tickOf(item) <= tick)
            {
                best = item;
            }
            else
            {
                return best ?? item;
            }
        }
        return best;
    }

    private SockDiagInput? TakeSockDiag(Func<SockDiagInput, bool> match)
    {
        int i = _tickSockDiag.FindIndex(x => match(x));
        if (i < 0) return null;
        SockDiagInput s = _tickSockDiag[i];
        _tickSockDiag.RemoveAt(i);
        return s;
    }

    private sealed class ReplayIo(ReplaySession session) : CaptureIo
    {
        public override string ReadText(string path) => session.ReadText(path);

        public override ISockDiagDumper OpenSockDiag()
        {
            if (session._tickSockDiag.FirstOrDefault() is { Op: SockDiagOp.OpenFailed } failed)
            {
                session._tickSockDiag.RemoveAt(0);
                throw new SockDiagException(failed.Message ?? "socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed", failed.Errno);
            }
            return new ReplayDumper(session);
        }

        public override Task<CommandOutput> RunAsync(NetnsThread thread, string file, string[] args, TimeSpan timeout, CancellationToken ct)
        {
            int tick = session.Current?.Tick ?? 0;
            CommandInput? c = session._commands.TryGetValue(CommandKey(file, args), out List<CommandInput>? list) ? Latest(list, tick, x => x.Tick) : null;
            return Task.FromResult(c?.Output ?? new CommandOutput(-1, "", $"{string.Join(' ', args.Prepend(Path.GetFileName(file)))}: not in the recording", false, false));
        }

        /// <summary>The recorded stdout goes to <paramref name="onStdout"/> in one chunk, as a fast pipe would deliver it.</summary>
        public override async Task<CommandOutput> RunStreamingAsync(NetnsThread thread, string file, string[] args, OutputChunk onStdout,
            TimeSpan timeout, CancellationToken ct)
        {
            CommandOutput o = await RunAsync(thread, file, args, timeout, ct).ConfigureAwait(false);
            if (o.Stdout.Length > 0)
            {
                onStdout(System.Text.Encoding.UTF8.GetBytes(o.Stdout));
            }
            return o with { Stdout = "" };
        }

        public override ulong? NetnsInode()
        {
            try
            {
                return ulong.Parse(session.ReadText(CaptureRecording.NetnsInodePath), NumberStyles.None, CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
            {
                return session.Meta.NetnsInode;
            }
        }
    }

    /// <summary>Serves the recorded sock_diag dumps of the current tick through the real parser.</summary>
    private sealed class ReplayDumper(ReplaySession session) : ISockDiagDumper
    {
        public Action<ReadOnlyMemory<byte>>? Tap { get; set; }

        public void Dump(byte family, byte ext, uint states, SocketTableBuilder into, ref ParseStats stats, AsciiPool pool)
        {
            SockDiagInput? d = session.TakeSockDiag(x => x.Op is SockDiagOp.Dump or SockDiagOp.DumpFailed && x.Family == family);
            string fam = family == Interop.InetDiag.AF_INET ? "AF_INET" : "AF_INET6";
            if (d is null)
            {
                throw new SockDiagException($"no {fam} dump in the recording at tick {session.Current?.Tick}", 11);
            }
            if (d.Op == SockDiagOp.DumpFailed)
            {
                throw new SockDiagException(d.Message ?? $"inet_diag dump of {fam} failed", d.Errno);
            }
            Tap?.Invoke(d.Bytes);
            SockDiagParser.Result r = SockDiagParser.Parse(d.Bytes, into, ref stats, pool);
            if (r.Progress == DumpProgress.Error)
            {
                throw new SockDiagException($"inet_diag dump of {fam} TCP refused: {Errno.Describe(r.Errno)}", r.Errno);
            }
            // No NLMSG_DONE: the recorded dump ended early; what it held is used, its damage is in stats.Malformed.
        }

        public void Dispose()
        {
        }
    }

    private sealed class ReplayOwners(Dictionary<ulong, ProcessOwner?> owners) : IProcessOwners
    {
        public bool TryGet(ulong inode, out ProcessOwner? owner)
        {
            owner = owners.GetValueOrDefault(inode);
            return owner is not null;
        }
    }
}

/// <summary>The replay's clock: each tick's recorded monotonic offset and wall time, set as the replay advances.</summary>
internal sealed class ReplayTime(DateTimeOffset start) : TimeProvider
{
    private long _ticks;
    private DateTimeOffset _now = start;

    public void Set(TimeSpan at, DateTimeOffset now)
    {
        Volatile.Write(ref _ticks, at.Ticks);
        _now = now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Volatile.Read(ref _ticks);
    public override DateTimeOffset GetUtcNow() => _now;
}
