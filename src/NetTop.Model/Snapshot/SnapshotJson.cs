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
            w.WriteStartArray("suspects");
            foreach (Firewall.Suspect x in h.Suspects)
            {
                w.WriteStartObject();
                w.WriteString("id", x.Id);
                w.WriteString("rule", x.Rule);
                w.WriteNumber("packetsDelta", x.PacketsDelta);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartObject("resetTotals");
        w.WriteNumber("sent", s.ResetTotals.Sent);
        w.WriteNumber("received", s.ResetTotals.Received);
        w.WriteEndObject();

        w.WriteStartArray("resets");
        foreach (Resets.ResetRow r in s.Resets)
        {
            Resets.ResetEvent e = r.Event;
            w.WriteStartObject();
            w.WriteString("time", e.Wall.ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("direction", e.DirectionText);
            w.WriteString("kind", Kind(e.Kind));
            w.WriteBoolean("kindFromWire", e.KindFromWire);
            w.WriteString("reason", e.Reason);
            w.WriteString("explanation", e.Explanation);
            w.WriteString("state", e.State == Sockets.TcpState.Unknown ? "UNKNOWN" : Sockets.TcpStateNames.Name(e.State));
            w.WriteString("local", e.Local.ToString());
            w.WriteString("remote", e.Remote.ToString());
            WriteNullable(w, "pid", e.Pid);
            WriteNullable(w, "process", e.Comm);
            WriteStack(w, e.Stack);
            w.WriteNumber("count", r.Count);
            w.WriteString("source", e.Source);
            if (e.NetnsTag is not null) w.WriteString("netns", e.NetnsTag);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("resetStacks");
        foreach (Resets.ResetStackRow r in s.ResetStacks)
        {
            w.WriteStartObject();
            w.WriteString("direction", r.DirectionText);
            w.WriteString("kind", r.KindText);
            w.WriteString("reason", r.Reason);
            WriteStack(w, r.Stack);
            w.WriteNumber("count", r.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("firewall");
        foreach (Firewall.FirewallRow r in s.Firewall)
        {
            w.WriteStartObject();
            w.WriteString("id", r.Id);
            w.WriteString("family", r.Family);
            w.WriteString("table", r.Table);
            w.WriteString("chain", r.Chain);
            w.WriteNumber("position", r.Position);
            w.WriteString("rule", r.Rule.Rule);
            w.WriteString("target", r.Target);
            w.WriteNumber("packets", r.Packets);
            w.WriteNumber("bytes", r.Bytes);
            WriteNullable(w, "packetsPerSec", r.PacketsPerSec);
            WriteNullable(w, "bytesPerSec", r.BytesPerSec);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteStack(Utf8JsonWriter w, System.Collections.Immutable.ImmutableArray<string> stack)
    {
        w.WriteStartArray("stack");
        foreach (string frame in stack)
        {
            w.WriteStringValue(frame);
        }
        w.WriteEndArray();
    }

    private static string Kind(Resets.ResetKind k) => k switch
    {
        Resets.ResetKind.Active => "active",
        Resets.ResetKind.Passive => "passive",
        _ => "unknown",
    };

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
