using System.Globalization;
using NetTop.Model.Firewall;
using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;
using NetTop.Model.Tables;

namespace NetTop.Tui.Detail;

/// <summary>What a drill-down may ask the composition root beyond the snapshot (all optional).</summary>
internal sealed record DetailContext(
    Func<NetEndpoint, NetEndpoint, IReadOnlyList<PacketEvent>>? FlowPackets,
    Func<int, string?>? CommandLine,
    IProcessOwners? Owners)
{
    public static readonly DetailContext None = new(null, null, null);

    public static DetailContext From(TuiOptions o) => new(o.FlowPackets, o.CommandLine, o.ProcessOwners);

    public ProcessOwner? OwnerOf(ulong inode) =>
        inode != 0 && Owners is { } o && o.TryGet(inode, out ProcessOwner? owner) ? owner : null;
}

/// <summary>
/// A connection's key as the screens hold it: the socket's key (cookie) when there was a socket, and its flow.
/// A socket that is gone but whose flow has a new socket (a SYN_RECV request that became ESTABLISHED) is found by
/// the flow.
/// </summary>
internal readonly record struct ConnectionKey(ulong? SocketKey, NetEndpoint Local, NetEndpoint Remote);

/// <summary>The connection detail (Enter on a Half-open or RST feed row, or on a listener's socket).</summary>
internal static class Connection
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    /// <summary>The socket of <paramref name="key"/> in the snapshot: by key, else by flow; -1 when none.</summary>
    public static int Find(SocketTable sockets, ConnectionKey key)
    {
        ReadOnlySpan<TcpSocket> span = sockets.Span;
        if (key.SocketKey is { } k)
        {
            for (int i = 0; i < span.Length; i++)
            {
                if (span[i].Key == k)
                {
                    return i;
                }
            }
        }
        for (int i = 0; i < span.Length; i++)
        {
            ref readonly TcpSocket s = ref span[i];
            if (s.State != TcpState.Listen && s.Local == key.Local && s.Remote == key.Remote)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// Every line of the detail, or null when the flow has neither a socket nor a half-open row in
    /// <paramref name="s"/> (closed). <paramref name="extra"/> goes first (a reset's own lines).
    /// </summary>
    public static IReadOnlyList<string>? Lines(HostSnapshot s, ConnectionKey key, DetailContext ctx,
        IReadOnlyList<string>? extra = null, bool requireSocket = true)
    {
        int index = Find(s.Sockets, key);
        HalfOpenRow? half = null;
        foreach (HalfOpenRow h in s.HalfOpen)
        {
            if (key.SocketKey is { } k ? h.Key == k : h.Local == key.Local && h.Remote == key.Remote)
            {
                half = h;
                break;
            }
        }
        if (index < 0 && half is null && requireSocket)
        {
            return null;
        }
        List<string> lines = [];
        if (extra is not null)
        {
            lines.AddRange(extra);
            lines.Add("");
        }
        if (index >= 0)
        {
            Socket(lines, in s.Sockets[index], half, ctx);
        }
        else if (half is not null)
        {
            lines.Add($"{half.StateName}  {half.Local} → {half.Remote}   (no socket details in this reading)");
        }
        else
        {
            lines.Add($"socket   none now for {key.Local} → {key.Remote} (closed, or never seen by a socket reading)");
        }
        if (half is not null)
        {
            HalfOpen(lines, half);
        }
        Resets(lines, s, key.Local, key.Remote);
        Timeline(lines, ctx, key.Local, key.Remote);
        return lines;
    }

    private static void Socket(List<string> lines, in TcpSocket k, HalfOpenRow? half, DetailContext ctx)
    {
        lines.Add($"{k.State.Name()}  {k.Local} → {k.Remote}   ({k.Family.Name()})"
            + (k.Cookie != 0 ? $"   cookie 0x{k.Cookie:x}" : ""));
        ProcessOwner? owner = ctx.OwnerOf(k.Inode);
        int? pid = owner?.Pid ?? half?.Pid;
        string? comm = owner?.Comm ?? half?.Process;
        lines.Add($"process  {PanelTables.ProcessText(comm, pid)}   uid {k.Uid.ToString(s_inv)}   inode {k.Inode.ToString(s_inv)}"
            + (k.IsRequest ? "   (request socket: the listener's process accepts it)" : ""));
        if (pid is { } p && ctx.CommandLine is { } cmdline)
        {
            lines.Add($"command  {cmdline(p) ?? "(unreadable: the process is gone or hides it)"}");
        }
        lines.Add($"timer    {TimerText(k.Timer, k.ExpiresMs)}   retransmits {k.Retrans.ToString(s_inv)}");
        lines.Add($"queues   recv-q {k.RQueue.ToString(s_inv)}   send-q {k.WQueue.ToString(s_inv)}");
        if (k.HasTcpInfo)
        {
            TcpInfoLines(lines, k.Info);
        }
        else
        {
            lines.Add("tcp_info none" + (k.IsRequest ? " (a request socket has none)" : " (the /proc fallback or Capture:TcpInfo=false)"));
        }
        if (k.HasSkMem)
        {
            SkMemInfo m = k.SkMem;
            lines.Add($"skmem    rmem {m.RmemAlloc.ToString(s_inv)}/{m.RcvBuf.ToString(s_inv)}   wmem {m.WmemAlloc.ToString(s_inv)}/{m.SndBuf.ToString(s_inv)}"
                + $"   fwd_alloc {m.FwdAlloc.ToString(s_inv)}   wmem_queued {m.WmemQueued.ToString(s_inv)}   optmem {m.Optmem.ToString(s_inv)}"
                + $"   backlog {m.Backlog.ToString(s_inv)}   drops {m.Drops.ToString(s_inv)}");
        }
        else
        {
            lines.Add("skmem    none");
        }
        lines.Add($"cc       {k.Congestion ?? "-"}" + (k.HasTcpInfo ? $"   ca_state {CaState(k.Info.CaState)}" : ""));
    }

    private static void TcpInfoLines(List<string> lines, in TcpInfo i)
    {
        lines.Add($"tcp_info rtt {Us(i.RttUs)} ± {Us(i.RttVarUs)}   min_rtt {Us(i.MinRttUs)}   rto {Us(i.RtoUs)}   ato {Us(i.AtoUs)}"
            + $"   rcv_rtt {Us(i.RcvRttUs)}");
        lines.Add($"         cwnd {i.SndCwnd.ToString(s_inv)}   ssthresh {Ssthresh(i.SndSsthresh)}   mss {i.SndMss.ToString(s_inv)}"
            + $"   advmss {i.AdvMss.ToString(s_inv)}   pmtu {i.Pmtu.ToString(s_inv)}   reordering {i.Reordering.ToString(s_inv)}"
            + $"   wscale {i.SndWscale.ToString(s_inv)},{i.RcvWscale.ToString(s_inv)}");
        lines.Add($"         retransmits {i.Retransmits.ToString(s_inv)} now, {i.TotalRetrans.ToString(s_inv)} total   lost {i.Lost.ToString(s_inv)}"
            + $"   unacked {i.Unacked.ToString(s_inv)}   sacked {i.Sacked.ToString(s_inv)}   probes {i.Probes.ToString(s_inv)}"
            + $"   backoff {i.Backoff.ToString(s_inv)}   rto events {i.TotalRto.ToString(s_inv)}");
        lines.Add($"         bytes acked {Format.Count(i.BytesAcked)}   received {Format.Count(i.BytesReceived)}"
            + $"   sent {Format.Count(i.BytesSent)}   retransmitted {Format.Count(i.BytesRetrans)}   notsent {i.NotsentBytes.ToString(s_inv)}");
        lines.Add($"         delivery rate {Bits(i.DeliveryRate)}   pacing rate {Bits(i.PacingRate)}"
            + $"   max pacing {(i.MaxPacingRate == ulong.MaxValue ? "unlimited" : Bits(i.MaxPacingRate))}   delivered {i.Delivered.ToString(s_inv)}");
        lines.Add($"         last send {Ago(i.LastDataSentMs)}   last receive {Ago(i.LastDataRecvMs)}"
            + $"   last ack received {Ago(i.LastAckRecvMs)}");
        lines.Add($"         segs out {i.SegsOut.ToString(s_inv)} in {i.SegsIn.ToString(s_inv)}   data segs out {i.DataSegsOut.ToString(s_inv)}"
            + $" in {i.DataSegsIn.ToString(s_inv)}   snd_wnd {i.SndWnd.ToString(s_inv)}   rcv_wnd {i.RcvWnd.ToString(s_inv)}"
            + $"   rcv_space {i.RcvSpace.ToString(s_inv)}   rcv_ssthresh {i.RcvSsthresh.ToString(s_inv)}");
        lines.Add($"         busy {UsLong(i.BusyTimeUs)}   rwnd-limited {UsLong(i.RwndLimitedUs)}   sndbuf-limited {UsLong(i.SndbufLimitedUs)}"
            + $"   dsack dups {i.DsackDups.ToString(s_inv)}   reord seen {i.ReordSeen.ToString(s_inv)}   ooo {i.RcvOooPack.ToString(s_inv)}");
    }

    private static void HalfOpen(List<string> lines, HalfOpenRow r)
    {
        lines.Add("");
        lines.Add($"handshake {r.StateName} for {Format.Duration(r.AgeMs)}   retransmits {r.Retransmits.ToString(s_inv)}"
            + $"   backoff {(r.Backoff is { } b ? b.ToString(s_inv) : "-")}   next retransmit in {Format.Duration(r.ExpiresMs)}");
        if (r.State == HalfOpenState.SynRecv && r.ListenerKey is { } lk)
        {
            lines.Add($"listener 0x{lk:x}");
        }
        if (r.Suspects.IsDefaultOrEmpty)
        {
            lines.Add("firewall suspects none (no dropping rule matched this flow's packets while it waited)");
        }
        else
        {
            lines.Add($"firewall suspects {r.Suspects.Length.ToString(s_inv)} (rules that match this flow's packets, drop them, and counted while it waited)");
            foreach (Suspect sus in r.Suspects)
            {
                lines.Add($"  {PanelTables.SuspectText(sus)}" + (sus.Packet.Length > 0 ? $"  eats the {sus.Packet}" : ""));
                lines.Add($"    {sus.Table}/{sus.Chain}  {sus.Rule}");
                lines.Add($"    packets +{sus.PacketsDelta.ToString(s_inv)} while waiting   id {sus.Id}");
            }
        }
        if (r.State == HalfOpenState.SynSent)
        {
            lines.Add("Esc, then t on this row: trace the flow through the firewall");
        }
    }

    private static void Resets(List<string> lines, HostSnapshot s, NetEndpoint local, NetEndpoint remote)
    {
        List<ResetRow> mine = [.. s.Resets.Where(r => Same(r.Event.Local, r.Event.Remote, local, remote))];
        lines.Add("");
        lines.Add($"resets of this flow: {mine.Count.ToString(s_inv)}" + (mine.Count == 0 ? " (in the RST feed)" : ""));
        foreach (ResetRow r in mine)
        {
            ResetEvent e = r.Event;
            lines.Add($"  {ResetTables.Time(e.Wall)}  {e.DirectionText} {e.KindText}  {e.Reason}  state {e.StateText}"
                + (r.Count > 1 ? $"  x{r.Count.ToString(s_inv)}" : ""));
        }
    }

    /// <summary>The flow's control packets from the capture: SYN, SYN-ACK, FIN, RST, ICMP errors with their times.</summary>
    private static void Timeline(List<string> lines, DetailContext ctx, NetEndpoint local, NetEndpoint remote)
    {
        lines.Add("");
        if (ctx.FlowPackets is not { } packets)
        {
            lines.Add("timeline unavailable: the packet capture is off");
            return;
        }
        IReadOnlyList<PacketEvent> events = packets(local, remote);
        lines.Add($"timeline ({events.Count.ToString(s_inv)} control packets captured; w writes them to a pcap)");
        DateTimeOffset? first = events.Count > 0 ? events[0].Time : null;
        foreach (PacketEvent p in events)
        {
            string offset = first is { } f ? "+" + ((p.Time - f).TotalMilliseconds / 1000).ToString("0.000", s_inv) + "s" : "";
            lines.Add($"  {p.Time.ToLocalTime().ToString("HH:mm:ss.fff", s_inv)} {offset,9}  {(p.Direction == PacketDirection.Out ? "out" : "in ")}"
                + $"  {p.Source} → {p.Destination}  {PacketText(p)}");
        }
    }

    internal static string PacketText(PacketEvent p)
    {
        if (p.IsIcmpError)
        {
            string inner = p.InnerSource is { } a && p.InnerDestination is { } b ? $" about {a} → {b}" : "";
            return $"ICMP{(p.Family == IpFamily.V6 ? "v6" : "")} error type {p.IcmpType.ToString(s_inv)} code {p.IcmpCode.ToString(s_inv)}"
                + $" ({IcmpName(p)}){inner}";
        }
        if (!p.IsTcp)
        {
            return $"protocol {p.Protocol.ToString(s_inv)}";
        }
        TcpFlags f = p.Flags;
        string name = (f & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack) ? "SYN-ACK"
            : (f & TcpFlags.Syn) != 0 ? "SYN"
            : (f & TcpFlags.Rst) != 0 ? ((f & TcpFlags.Ack) != 0 ? "RST-ACK" : "RST")
            : (f & TcpFlags.Fin) != 0 ? "FIN"
            : p.FlagsText;
        return $"{name}  [{p.FlagsText}] seq {p.Seq.ToString(s_inv)} ack {p.Ack.ToString(s_inv)}";
    }

    private static string IcmpName(PacketEvent p) => (p.Family, p.IcmpType, p.IcmpCode) switch
    {
        (IpFamily.V4, 3, 0) => "net unreachable",
        (IpFamily.V4, 3, 1) => "host unreachable",
        (IpFamily.V4, 3, 3) => "port unreachable",
        (IpFamily.V4, 3, 4) => "fragmentation needed",
        (IpFamily.V4, 3, 13) => "administratively prohibited",
        (IpFamily.V4, 3, _) => "destination unreachable",
        (IpFamily.V4, 11, _) => "time exceeded",
        (IpFamily.V6, 1, 1) => "administratively prohibited",
        (IpFamily.V6, 1, 3) => "address unreachable",
        (IpFamily.V6, 1, 4) => "port unreachable",
        (IpFamily.V6, 1, _) => "destination unreachable",
        (IpFamily.V6, 2, _) => "packet too big",
        (IpFamily.V6, 3, _) => "time exceeded",
        _ => "error",
    };

    /// <summary>The same flow seen from either end (a received reset's local is our side too, but be lenient).</summary>
    public static bool Same(NetEndpoint a1, NetEndpoint b1, NetEndpoint a2, NetEndpoint b2) =>
        (a1 == a2 && b1 == b2) || (a1 == b2 && b1 == a2);

    private static string TimerText(TcpTimer t, uint expiresMs) => t switch
    {
        TcpTimer.None => "none",
        TcpTimer.Retransmit => $"retransmit in {Format.Duration(expiresMs)}",
        TcpTimer.Keepalive => $"keepalive in {Format.Duration(expiresMs)}",
        TcpTimer.TimeWait => $"time-wait ends in {Format.Duration(expiresMs)}",
        TcpTimer.ZeroWindowProbe => $"zero-window probe in {Format.Duration(expiresMs)}",
        _ => $"timer {(int)t} in {Format.Duration(expiresMs)}",
    };

    // include/uapi/linux/tcp.h enum tcp_ca_state.
    private static string CaState(byte s) => s switch
    {
        0 => "open",
        1 => "disorder",
        2 => "cwr",
        3 => "recovery",
        4 => "loss",
        _ => s.ToString(s_inv),
    };

    // TCP_INFINITE_SSTHRESH (0x7fffffff): slow start has not ended.
    private static string Ssthresh(uint v) => v >= 0x7fffffff ? "∞" : v.ToString(s_inv);

    private static string Us(uint us) => us == 0 ? "0" : us < 1000 ? $"{us.ToString(s_inv)}µs"
        : (us / 1000.0).ToString(us < 10_000 ? "0.0##" : "0.#", s_inv) + "ms";

    private static string UsLong(ulong us) => Format.Duration((long)(us / 1000));

    private static string Ago(uint ms) => ms == 0 ? "just now" : Format.Duration(ms) + " ago";

    /// <summary>tcp_info rates are bytes per second; links are spoken of in bits.</summary>
    private static string Bits(ulong bytesPerSec)
    {
        double bits = bytesPerSec * 8.0;
        return bits switch
        {
            0 => "0",
            < 1e3 => bits.ToString("0", s_inv) + "bit/s",
            < 1e6 => (bits / 1e3).ToString("0.#", s_inv) + "kbit/s",
            < 1e9 => (bits / 1e6).ToString("0.#", s_inv) + "Mbit/s",
            _ => (bits / 1e9).ToString("0.##", s_inv) + "Gbit/s",
        };
    }
}
