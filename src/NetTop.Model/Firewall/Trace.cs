using System.Collections.Immutable;
using System.Text;

namespace NetTop.Model.Firewall;

/// <summary>
/// One step of a traced packet through the firewall: a rule it hit (<see cref="RuleHandleOrPolicy"/> "rule 0x1a"
/// in xtables-monitor, "rule" in nft), a chain's policy ("policy") or the end of a user chain ("return"), and the
/// verdict there (CONTINUE, ACCEPT, DROP, JUMP:CHAIN, RETURN, …, upper-cased).
/// </summary>
public sealed record TraceEvent(TimeSpan Time, string TraceId, string Table, string Chain, string RuleHandleOrPolicy, string Verdict, string RuleText)
{
    /// <summary><c>filter:INPUT:rule 0x1a</c>.</summary>
    public string Where => $"{Table}:{Chain}:{RuleHandleOrPolicy}";
}

/// <summary>
/// One pass of a packet through the netfilter hooks, as the kernel's trace id groups it (on loopback the id
/// changes between the OUTPUT and the INPUT pass). <see cref="Packet"/> is the monitor's description of the
/// packet (addresses, ports, flags); <see cref="Events"/> the rules and policies it met, in order.
/// </summary>
public sealed record TracePacket(TimeSpan Time, string TraceId, string Family, string Packet, ImmutableArray<TraceEvent> Events)
{
    /// <summary>The verdict of the last step: what finally happened to the packet in this pass.</summary>
    public string Verdict => Events.IsDefaultOrEmpty ? "?" : Events[^1].Verdict;

    /// <summary><c>raw:OUTPUT:rule 0x4 CONTINUE → raw:OUTPUT:policy ACCEPT → filter:INPUT:rule 0x1a DROP</c>.</summary>
    public string Path
    {
        get
        {
            StringBuilder sb = new();
            foreach (TraceEvent e in Events)
            {
                if (sb.Length > 0)
                {
                    sb.Append(" → ");
                }
                sb.Append(e.Where).Append(' ').Append(e.Verdict);
            }
            return sb.ToString();
        }
    }
}

/// <summary>
/// Groups parsed monitor lines into <see cref="TracePacket"/>s by trace id, keeping only the last
/// <see cref="Capacity"/> packets (bounded: a busy flow cannot grow it). Not thread-safe.
/// </summary>
public sealed class TraceAssembler
{
    private readonly List<Builder> _packets = [];
    private readonly int _capacity;

    public TraceAssembler(int capacity = 256)
    {
        _capacity = Math.Max(1, capacity);
    }

    public int Capacity => _capacity;

    /// <summary>Packets dropped from the front because the assembler was full.</summary>
    public long Evicted { get; private set; }

    /// <summary>A PACKET line: opens (or continues) the pass with this trace id.</summary>
    public void AddPacket(TimeSpan time, string traceId, string family, string packet)
    {
        if (Find(traceId) is null)
        {
            if (_packets.Count == _capacity)
            {
                _packets.RemoveAt(0);
                Evicted++;
            }
            _packets.Add(new Builder(time, traceId, family, packet));
        }
    }

    /// <summary>A TRACE line; a trace id never announced by a PACKET line opens a pass without a description.</summary>
    public void AddEvent(TraceEvent e, string family)
    {
        Builder? b = Find(e.TraceId);
        if (b is null)
        {
            AddPacket(e.Time, e.TraceId, family, "");
            b = _packets[^1];
        }
        if (b.Events.Count < 256)
        {
            b.Events.Add(e);
        }
    }

    public ImmutableArray<TracePacket> Snapshot()
    {
        ImmutableArray<TracePacket>.Builder r = ImmutableArray.CreateBuilder<TracePacket>(_packets.Count);
        foreach (Builder b in _packets)
        {
            r.Add(new TracePacket(b.Time, b.TraceId, b.Family, b.Packet, [.. b.Events]));
        }
        return r.MoveToImmutable();
    }

    private Builder? Find(string traceId)
    {
        // Recent passes are at the end, and a pass's lines arrive together: search backwards, a few at most.
        for (int i = _packets.Count - 1, n = 0; i >= 0 && n < 16; i--, n++)
        {
            if (_packets[i].TraceId == traceId)
            {
                return _packets[i];
            }
        }
        return null;
    }

    private sealed class Builder(TimeSpan time, string traceId, string family, string packet)
    {
        public TimeSpan Time { get; } = time;
        public string TraceId { get; } = traceId;
        public string Family { get; } = family;
        public string Packet { get; } = packet;
        public List<TraceEvent> Events { get; } = [];
    }
}
