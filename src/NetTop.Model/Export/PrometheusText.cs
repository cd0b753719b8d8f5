using System.Globalization;
using System.Text;
using NetTop.Model.Snapshot;

namespace NetTop.Model.Export;

/// <summary>
/// The Prometheus text exposition (format 0.0.4) of one snapshot: conventional names (nettop_*, base units,
/// _total for counters), a netns label on every series so one Prometheus can aggregate many hosts and
/// namespaces, and bounded label cardinality (at most <see cref="MaxListeners"/> listeners, worst first).
/// </summary>
public static class PrometheusText
{
    public const int MaxListeners = 500;
    public const int MaxRules = 500;
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Render(HostSnapshot s)
    {
        StringBuilder sb = new(8 * 1024);
        string ns = Label("netns", s.Netns);

        Help(sb, "nettop_source_status", "gauge", "1 for the source's current status (ok, degraded, unavailable), 0 for the others.");
        foreach (SourceStatus st in s.Sources)
        {
            foreach (string status in (ReadOnlySpan<string>)["ok", "degraded", "unavailable"])
            {
                Line(sb, "nettop_source_status", $"{ns},{Label("source", st.Name)},{Label("status", status)}", st.HealthText == status ? 1 : 0);
            }
        }

        Help(sb, "nettop_snapshot_timestamp_seconds", "gauge", "When the snapshot behind this scrape was taken (Unix time).");
        Line(sb, "nettop_snapshot_timestamp_seconds", ns, s.TakenAt.ToUnixTimeMilliseconds() / 1000.0);

        foreach (CounterRow c in s.Counters)
        {
            string name = $"nettop_netstat_{SnakeCase(c.Name)}_total";
            Help(sb, name, "counter", $"The namespace's {c.Name} counter (/proc/net/netstat or /proc/net/snmp).");
            Line(sb, name, ns, c.Value);
        }

        int shown = 0;
        List<ListenerRow> live = [];
        foreach (ListenerRow l in s.Listeners)
        {
            if (!l.IsGone && shown++ < MaxListeners)
            {
                live.Add(l);
            }
        }
        Help(sb, "nettop_listener_accept_queue", "gauge", "Connections waiting for accept() on a listening socket.");
        foreach (ListenerRow l in live)
        {
            Line(sb, "nettop_listener_accept_queue", ListenerLabels(ns, l), l.AcceptQueue);
        }
        Help(sb, "nettop_listener_backlog", "gauge", "The listen() backlog (max accept queue) as clamped by somaxconn; absent when unknown.");
        foreach (ListenerRow l in live)
        {
            if (l.Backlog is { } b)
            {
                Line(sb, "nettop_listener_backlog", ListenerLabels(ns, l), b);
            }
        }
        Help(sb, "nettop_listener_syn_recv", "gauge", "Half-open (SYN_RECV) handshakes for a listener.");
        foreach (ListenerRow l in live)
        {
            Line(sb, "nettop_listener_syn_recv", ListenerLabels(ns, l), l.SynRecv);
        }
        Help(sb, "nettop_listener_drops_total", "counter", "Packets the listening socket dropped (sk_drops: SYNs and ACKs on a full accept queue).");
        foreach (ListenerRow l in live)
        {
            if (l.Drops is { } d)
            {
                Line(sb, "nettop_listener_drops_total", ListenerLabels(ns, l), d);
            }
        }
        Help(sb, "nettop_listeners_not_exported", "gauge", $"Listeners left out to bound label cardinality (more than {MaxListeners}).");
        Line(sb, "nettop_listeners_not_exported", ns, Math.Max(0, shown - MaxListeners));

        Help(sb, "nettop_firewall_rule_packets_total", "counter", $"Packets that hit an iptables/nftables rule (the {MaxRules} hottest rules).");
        int rules = 0;
        foreach (Firewall.FirewallRow r in s.Firewall)
        {
            if (rules++ >= MaxRules) break;
            Line(sb, "nettop_firewall_rule_packets_total", RuleLabels(ns, r), r.Packets);
        }
        Help(sb, "nettop_firewall_rule_bytes_total", "counter", $"Bytes that hit an iptables/nftables rule (the {MaxRules} hottest rules).");
        rules = 0;
        foreach (Firewall.FirewallRow r in s.Firewall)
        {
            if (rules++ >= MaxRules) break;
            Line(sb, "nettop_firewall_rule_bytes_total", RuleLabels(ns, r), r.Bytes);
        }

        Help(sb, "nettop_resets_total", "counter", "TCP resets of this namespace since NetTop started, by direction (sent, recv), kind (active, passive) and the kernel's reason.");
        foreach (ResetCount c in s.ResetCounts)
        {
            Line(sb, "nettop_resets_total", $"{ns},{Label("direction", c.Direction)},{Label("kind", c.Kind == "?" ? "unknown" : c.Kind)},{Label("reason", c.Reason == "-" ? "unknown" : c.Reason)}", c.Count);
        }

        int synSent = 0, synRecv = 0;
        long oldestSent = 0, oldestRecv = 0;
        foreach (HalfOpenRow h in s.HalfOpen)
        {
            if (h.State == HalfOpenState.SynSent)
            {
                synSent++;
                oldestSent = Math.Max(oldestSent, h.AgeMs);
            }
            else
            {
                synRecv++;
                oldestRecv = Math.Max(oldestRecv, h.AgeMs);
            }
        }
        Help(sb, "nettop_half_open_connections", "gauge", "Handshakes in progress: syn_sent (this host connecting), syn_recv (clients connecting).");
        Line(sb, "nettop_half_open_connections", $"{ns},{Label("state", "syn_sent")}", synSent);
        Line(sb, "nettop_half_open_connections", $"{ns},{Label("state", "syn_recv")}", synRecv);
        Help(sb, "nettop_half_open_oldest_age_seconds", "gauge", "Age of the oldest handshake in progress, by state.");
        Line(sb, "nettop_half_open_oldest_age_seconds", $"{ns},{Label("state", "syn_sent")}", oldestSent / 1000.0);
        Line(sb, "nettop_half_open_oldest_age_seconds", $"{ns},{Label("state", "syn_recv")}", oldestRecv / 1000.0);
        return sb.ToString();
    }

    private static string RuleLabels(string ns, Firewall.FirewallRow r) =>
        $"{ns},{Label("family", r.Family)},{Label("table", r.Table)},{Label("chain", r.Chain)},{Label("rule_id", r.Id)},{Label("target", r.Target)}";

    private static string ListenerLabels(string ns, ListenerRow l) =>
        $"{ns},{Label("local", l.Local.ToString())},{Label("process", l.Process ?? "")}";

    private static void Help(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder sb, string name, string labels, double value) =>
        sb.Append(name).Append('{').Append(labels).Append("} ")
          .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    /// <summary>ListenOverflows → listen_overflows, TCPReqQFullDrop → tcp_req_q_full_drop, TcpOutRsts → tcp_out_rsts.</summary>
    public static string SnakeCase(string name)
    {
        StringBuilder sb = new(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 &&
                (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) ||
                 (i + 1 < name.Length && char.IsUpper(name[i - 1]) && char.IsLower(name[i + 1]))))
            {
                sb.Append('_');
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>name="value" with \, " and newline escaped as the exposition format requires.</summary>
    public static string Label(string name, string value) =>
        $"{name}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"";
}
