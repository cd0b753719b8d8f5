using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace NetTop.Capture.Recording;

/// <summary>The files of a recording directory and their modes.</summary>
public static class RecordingDirectory
{
    public const string Format = "nettop.recording/1";
    public const string Meta = "meta.json";
    public const string Ticks = "ticks.rec";
    public const string Perf = "perf.rec";
    public const string Packets = "packets.pcap";
    public const string Kallsyms = "kallsyms.txt";
    public const string SendFormat = "tcp_send_reset.format";
    public const string ReceiveFormat = "tcp_receive_reset.format";

    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>What each file holds (meta.json lists them with their sizes).</summary>
    public static string Describe(string name) => name switch
    {
        Meta => "this file: host, kernel, namespace, times, options, file list",
        Ticks => "per tick: raw sock_diag dumps, /proc texts, firewall tool outputs, socket owners, clock and source statuses",
        Perf => "raw perf ring records of tcp:tcp_send_reset/tcp_receive_reset with task lookups",
        Packets => "captured SYN/FIN/RST and ICMP errors (pcap, LINUX_SLL2, ns timestamps)",
        Kallsyms => "the /proc/kallsyms entries the recorded kernel stacks need",
        SendFormat or ReceiveFormat => "tracepoint format file (field offsets of the raw records)",
        _ => "",
    };

    /// <summary>Writes a small file whole or not at all (temp file 0600 beside it, fsync, rename).</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> content)
    {
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (FileStream fs = new(temp, new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write, UnixCreateMode = FileMode }))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}

/// <summary>The firewall tools a recorded host had (paths; null = missing), so a replay asks for the same ones.</summary>
public sealed record RecordedTools(string? Save4, string? Save6, string? LegacySave4, string? LegacySave6, string? NftSave4, string? NftSave6,
    string? Nft, bool DefaultIsLegacy);

/// <summary>
/// meta.json: what was recorded, where and when. Written when the recording starts (Complete false, no end) and
/// rewritten when it stops; a recording whose meta still says incomplete was cut short (its ticks are still usable).
/// </summary>
public sealed record RecordingMeta
{
    public string Format { get; init; } = RecordingDirectory.Format;
    public required string NettopVersion { get; init; }
    public required string Host { get; init; }
    public required string Kernel { get; init; }
    public required string Netns { get; init; }
    public ulong? NetnsInode { get; init; }
    public required DateTimeOffset Started { get; init; }
    public DateTimeOffset? Ended { get; init; }
    public bool Complete { get; init; }
    public required TimeSpan TickInterval { get; init; }
    public int Ticks { get; init; }
    public string Sockets { get; init; } = "auto";
    public bool TcpInfo { get; init; } = true;
    public bool Firewall { get; init; }
    public bool Resets { get; init; }
    public bool Packets { get; init; }
    public bool ProcessOwners { get; init; }
    public RecordedTools? FirewallTools { get; init; }
    public ulong PerfSampleType { get; init; }
    /// <summary>Why kernel stacks replay as raw addresses (kallsyms unreadable or hidden), or null.</summary>
    public string? KallsymsNote { get; init; }
    public ImmutableArray<(string Name, long Bytes)> Files { get; init; } = [];

    public byte[] Serialize()
    {
        ArrayBufferWriter<byte> buffer = new(4096);
        using (Utf8JsonWriter w = new(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("nettopVersion", NettopVersion);
            w.WriteString("host", Host);
            w.WriteString("kernel", Kernel);
            w.WriteString("netns", Netns);
            if (NetnsInode is { } ino) w.WriteNumber("netnsInode", ino); else w.WriteNull("netnsInode");
            w.WriteString("started", Started.ToString("O", CultureInfo.InvariantCulture));
            if (Ended is { } end) w.WriteString("ended", end.ToString("O", CultureInfo.InvariantCulture)); else w.WriteNull("ended");
            w.WriteBoolean("complete", Complete);
            w.WriteNumber("tickIntervalSeconds", TickInterval.TotalSeconds);
            w.WriteNumber("ticks", Ticks);
            w.WriteStartObject("capture");
            w.WriteString("sockets", Sockets);
            w.WriteBoolean("tcpInfo", TcpInfo);
            w.WriteBoolean("firewall", Firewall);
            w.WriteBoolean("resets", Resets);
            w.WriteBoolean("packets", Packets);
            w.WriteBoolean("processOwners", ProcessOwners);
            w.WriteEndObject();
            if (FirewallTools is { } t)
            {
                w.WriteStartObject("firewallTools");
                Str(w, "save4", t.Save4);
                Str(w, "save6", t.Save6);
                Str(w, "legacySave4", t.LegacySave4);
                Str(w, "legacySave6", t.LegacySave6);
                Str(w, "nftSave4", t.NftSave4);
                Str(w, "nftSave6", t.NftSave6);
                Str(w, "nft", t.Nft);
                w.WriteBoolean("defaultIsLegacy", t.DefaultIsLegacy);
                w.WriteEndObject();
            }
            w.WriteNumber("perfSampleType", PerfSampleType);
            Str(w, "kallsymsNote", KallsymsNote);
            w.WriteStartArray("files");
            foreach ((string name, long bytes) in Files)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteNumber("bytes", bytes);
                w.WriteString("holds", RecordingDirectory.Describe(name));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    /// <summary>Reads meta.json; throws <see cref="RecordingException"/> naming what is wrong.</summary>
    public static RecordingMeta Read(string path)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement r = doc.RootElement;
            string format = r.GetProperty("format").GetString() ?? "";
            if (format != RecordingDirectory.Format)
            {
                throw new RecordingException($"{path}: format '{format}', this NetTop reads {RecordingDirectory.Format}");
            }
            JsonElement c = r.GetProperty("capture");
            RecordedTools? tools = null;
            if (r.TryGetProperty("firewallTools", out JsonElement t) && t.ValueKind == JsonValueKind.Object)
            {
                tools = new RecordedTools(S(t, "save4"), S(t, "save6"), S(t, "legacySave4"), S(t, "legacySave6"), S(t, "nftSave4"), S(t, "nftSave6"),
                    S(t, "nft"), t.GetProperty("defaultIsLegacy").GetBoolean());
            }
            return new RecordingMeta
            {
                NettopVersion = S(r, "nettopVersion") ?? "?",
                Host = S(r, "host") ?? "?",
                Kernel = S(r, "kernel") ?? "?",
                Netns = S(r, "netns") ?? "host",
                NetnsInode = r.TryGetProperty("netnsInode", out JsonElement ino) && ino.ValueKind == JsonValueKind.Number ? ino.GetUInt64() : null,
                Started = DateTimeOffset.Parse(S(r, "started") ?? throw new FormatException("no 'started'"), CultureInfo.InvariantCulture),
                Ended = S(r, "ended") is { } e ? DateTimeOffset.Parse(e, CultureInfo.InvariantCulture) : null,
                Complete = r.GetProperty("complete").GetBoolean(),
                TickInterval = TimeSpan.FromSeconds(r.GetProperty("tickIntervalSeconds").GetDouble()),
                Ticks = r.GetProperty("ticks").GetInt32(),
                Sockets = S(c, "sockets") ?? "auto",
                TcpInfo = c.GetProperty("tcpInfo").GetBoolean(),
                Firewall = c.GetProperty("firewall").GetBoolean(),
                Resets = c.GetProperty("resets").GetBoolean(),
                Packets = c.GetProperty("packets").GetBoolean(),
                ProcessOwners = c.GetProperty("processOwners").GetBoolean(),
                FirewallTools = tools,
                PerfSampleType = r.GetProperty("perfSampleType").GetUInt64(),
                KallsymsNote = S(r, "kallsymsNote"),
                Files = [.. r.GetProperty("files").EnumerateArray().Select(f => (S(f, "name") ?? "", f.GetProperty("bytes").GetInt64()))],
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new RecordingException($"{path}: not a NetTop recording's meta file ({e.Message})");
        }
    }

    private static string? S(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
