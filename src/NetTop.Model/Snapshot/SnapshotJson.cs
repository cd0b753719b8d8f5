using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NetTop.Model.Net;

namespace NetTop.Model.Snapshot;

/// <summary>
/// Writes a <see cref="HostSnapshot"/> as the documented JSON contract (docs/snapshot-format.md, schema
/// nettop.snapshot/1). Written by hand with Utf8JsonWriter so field names and nulls are exactly the contract's.
/// </summary>
public static class SnapshotJson
{
    public static byte[] Serialize(HostSnapshot s, bool indented = true)
    {
        ArrayBufferWriter<byte> buffer = new(16 * 1024);
        using (Utf8JsonWriter w = new(buffer, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(w, s);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Utf8JsonWriter w, HostSnapshot s)
    {
        w.WriteStartObject();
        w.WriteString("schema", HostSnapshot.Schema);
        w.WriteString("takenAt", s.TakenAt.ToString("O", CultureInfo.InvariantCulture));
        w.WriteString("host", s.Host);
        w.WriteString("kernel", s.Kernel);
        w.WriteString("netns", s.Netns);

        w.WriteStartArray("sources");
        foreach (SourceStatus st in s.Sources)
        {
            w.WriteStartObject();
            w.WriteString("name", st.Name);
            w.WriteString("status", st.HealthText);
            w.WriteString("detail", st.Detail);
            if (st.Fix is not null) w.WriteString("fix", st.Fix);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartObject("counters");
        foreach (CounterRow c in s.Counters)
        {
            w.WriteStartObject(c.Name);
            w.WriteNumber("value", c.Value);
            WriteNullable(w, "perSec", c.PerSec);
            w.WriteEndObject();
        }
        w.WriteEndObject();

        if (s.BacklogUnknownReason is not null)
        {
            w.WriteString("backlogUnknown", s.BacklogUnknownReason);
        }

        w.WriteStartArray("listeners");
        foreach (ListenerRow l in s.Listeners)
        {
            w.WriteStartObject();
            w.WriteString("family", l.Family.Name());
            w.WriteString("local", l.Local.ToString());
            WriteNullable(w, "process", l.Process);
            WriteNullable(w, "pid", l.Pid);
            w.WriteNumber("acceptQueue", l.AcceptQueue);
            WriteNullable(w, "backlog", l.Backlog);
            w.WriteNumber("peakAcceptQueue", l.PeakAcceptQueue);
            w.WriteNumber("synRecv", l.SynRecv);
            WriteNullable(w, "drops", l.Drops);
            WriteNullable(w, "dropsPerSec", l.DropsPerSec);
            if (l.GoneAt is { } g) w.WriteString("goneAt", g.ToString("O", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("halfOpen");
        foreach (HalfOpenRow h in s.HalfOpen)
        {
            w.WriteStartObject();
            w.WriteString("state", h.StateName);
            w.WriteString("local", h.Local.ToString());
            w.WriteString("remote", h.Remote.ToString());
            WriteNullable(w, "process", h.Process);
            WriteNullable(w, "pid", h.Pid);
            w.WriteNumber("ageMs", h.AgeMs);
            w.WriteNumber("retransmits", h.Retransmits);
            WriteNullable(w, "backoff", h.Backoff);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? v)
    {
        if (v is null) w.WriteNull(name); else w.WriteString(name, v);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, long? v)
    {
        if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, ulong? v)
    {
        if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x) w.WriteNumber(name, Math.Round(x, 3)); else w.WriteNull(name);
    }
}
