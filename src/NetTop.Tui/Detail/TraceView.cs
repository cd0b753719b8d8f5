using System.Collections.Immutable;
using System.Globalization;
using NetTop.Model.Firewall;
using NetTop.Tui.Themes;
using Terminal.Gui.ViewBase;

namespace NetTop.Tui.Detail;

/// <summary>
/// One flow's packets through the firewall, live (key `t` on a half-open row): each pass's time, family and
/// packet, then its path table:chain:rule → verdict. Polls the trace on a timer (<see cref="Poll"/>); the owner
/// disposes the trace when the view closes.
/// </summary>
internal sealed class TraceView : ModalView
{
    private readonly IFlowTraceView _trace;
    private readonly DataLabel _status;
    private long _version = -1;

    public TraceView(IFlowTraceView trace, Theme theme)
        : base("Trace " + trace.Title, theme, "Esc stop tracing and close  ↑↓ PgUp PgDn scroll  w write pcap")
    {
        _trace = trace;
        _status = new DataLabel { X = 0, Y = 0, Width = Dim.Fill(), Height = 1 };
        Pane = new TextPane(theme) { X = 0, Y = 1, Width = Dim.Fill(), Height = Dim.Fill(Footer), Follow = true };
        Add(_status, Pane);
        Pane.SetFocus();
        Poll();
    }

    public TextPane Pane { get; }

    internal string StatusText => _status.Text;

    protected override void OnThemeApplied(Theme theme) => Pane.ApplyTheme(theme);

    /// <summary>Reads the trace; redraws the packets only when its version moved.</summary>
    public void Poll()
    {
        ImmutableArray<TracePacket> packets = _trace.Packets;
        string status = $"{packets.Length.ToString(CultureInfo.InvariantCulture)} packets   {_trace.Status}";
        if (status != _status.Text)
        {
            _status.Text = status;
        }
        long version = _trace.Version;
        if (version == _version)
        {
            return;
        }
        _version = version;
        Pane.SetLines(Lines(packets));
    }

    public static IReadOnlyList<string> Lines(ImmutableArray<TracePacket> packets)
    {
        if (packets.IsDefaultOrEmpty)
        {
            return ["waiting for the flow's packets (send some traffic on it: a SYN retransmit will do)"];
        }
        List<string> lines = new(packets.Length * 2);
        foreach (TracePacket p in packets)
        {
            string time = p.Time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + "s";
            lines.Add($"{time,9}  {p.Family,-4}  {(p.Packet.Length > 0 ? p.Packet : "(packet not described)")}");
            lines.Add($"           {(p.Events.IsDefaultOrEmpty ? "(no rules met)" : p.Path)}  ⇒ {p.Verdict}");
        }
        return lines;
    }
}
