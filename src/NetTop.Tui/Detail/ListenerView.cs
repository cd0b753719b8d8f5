using System.Collections.Immutable;
using System.Globalization;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;
using NetTop.Model.Tables;
using NetTop.Tui.Panels;
using NetTop.Tui.Themes;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace NetTop.Tui.Detail;

/// <summary>A socket related to a listener: a client's handshake on it, a connection it accepted, or another
/// socket of its process (a forwarder's upstream connect stuck in SYN_SENT is one of these).</summary>
internal sealed record RelatedSocket(string Relation, ulong Key, TcpState State, NetEndpoint Local, NetEndpoint Remote,
    string Process, uint RecvQ, uint SendQ, long? AgeMs, int Retransmits);

/// <summary>
/// A listener's detail (Enter on a Listen queues row): its numbers on top, then a table of its SYN_RECV entries,
/// its accepted connections and its process's other sockets; Enter opens the selected socket's connection detail.
/// Follows the snapshots by the listener's key; says "gone" when it left.
/// </summary>
internal sealed class ListenerView : ModalView, ILiveView
{
    private const int MaxHeadLines = 6;
    private readonly ulong _key;
    private readonly DetailContext _ctx;
    private readonly TextPane _head;
    private IReadOnlyList<string> _lastHead;

    public ListenerView(Theme theme, HostSnapshot snapshot, ListenerRow row, DetailContext ctx,
        Action<RelatedSocket> open)
        : base($"Listener {row.Local}", theme, "Enter open socket  ↑↓ PgUp PgDn move  Esc back")
    {
        _key = row.Key;
        _ctx = ctx;
        _lastHead = Head(row, snapshot);
        _head = new TextPane(theme) { X = 0, Y = 0, Width = Dim.Fill(), Height = MaxHeadLines, CanFocus = false };
        _head.SetLines(_lastHead);
        PanelSpec<RelatedSocket> spec = Spec(s => Related(s, _key, _ctx));
        Panel = new TablePanel<RelatedSocket>(spec, theme)
        {
            X = 0,
            Y = Pos.Bottom(_head),
            Width = Dim.Fill(),
            Height = Dim.Fill(Footer),
        };
        Panel.RowActivated += open;
        Add(_head, Panel);
        Panel.Show(snapshot);
        Panel.Table.SetFocus();
    }

    internal TablePanel<RelatedSocket> Panel { get; }

    internal IReadOnlyList<string> HeadLines => _head.Lines;

    public bool IsGone { get; private set; }

    protected override void OnThemeApplied(Theme theme)
    {
        _head.ApplyTheme(theme);
        Panel.ApplyTheme(theme);
    }

    public void Refresh(HostSnapshot snapshot)
    {
        ListenerRow? row = snapshot.Listeners.FirstOrDefault(l => l.Key == _key);
        if (row is null)
        {
            IsGone = true;
            _head.SetLines([DetailView.GoneNote(snapshot.TakenAt), .. _lastHead], problemLines: 1);
        }
        else
        {
            IsGone = row.IsGone;
            _lastHead = Head(row, snapshot);
            _head.SetLines(_lastHead, problemLines: row.IsGone ? 1 : 0);
        }
        Panel.Show(snapshot);
    }

    private static IReadOnlyList<string> Head(ListenerRow r, HostSnapshot s)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        return
        [
            $"listener {r.Local}  ({r.Family.Name()})" + (r.IsGone ? $"  GONE since {r.GoneAt!.Value.ToLocalTime().ToString("HH:mm:ss", inv)}" : ""),
            $"process  {PanelTables.ProcessText(r.Process, r.Pid)}   uid {r.Uid.ToString(inv)}   inode {r.Inode.ToString(inv)}",
            $"accept   {r.AcceptQueue.ToString(inv)} waiting / backlog {(r.Backlog is { } b ? b.ToString(inv) : "unknown")}   peak {r.PeakAcceptQueue.ToString(inv)}"
                + (r.IsFull ? "   FULL: the next connection is dropped" : ""),
            $"drops    {Format.Optional(r.Drops)}   {Format.Rate(r.DropsPerSec)}/s   SYN_RECV {r.SynRecv.ToString(inv)}",
            "",
            "Its handshakes, accepted connections and its process's other sockets (Enter opens one):",
        ];
    }

    private static PanelSpec<RelatedSocket> Spec(Func<HostSnapshot, ImmutableArray<RelatedSocket>> rows) => new()
    {
        Title = "Sockets",
        Columns =
        [
            new("RELATION", 12, false, r => r.Relation),
            new("STATE", 11, false, r => r.State.Name()),
            new("LOCAL", 22, false, r => r.Local.ToString()),
            new("REMOTE", 22, false, r => r.Remote.ToString()),
            new("PROCESS", 16, false, r => r.Process),
            new("RECV-Q", 6, true, r => r.RecvQ.ToString(CultureInfo.InvariantCulture)),
            new("SEND-Q", 6, true, r => r.SendQ.ToString(CultureInfo.InvariantCulture)),
            new("AGE", 7, true, r => r.AgeMs is { } a ? Format.Duration(a) : "-"),
            new("RETX", 4, true, r => r.Retransmits.ToString(CultureInfo.InvariantCulture)),
        ],
        Rows = rows,
        Key = static r => r.Key,
        EmptyText = "no handshakes, no accepted connections, no other sockets of its process",
        Severity = static r => r.State == TcpState.SynSent && r.Retransmits > 0 ? Severity.Warning : Severity.Normal,
        Flow = static r => (r.Local, r.Remote),
        Fields =
        [
            new("port", static (r, v) => FilterFields.Port(r.Local, v) || FilterFields.Port(r.Remote, v)),
            new("state", static (r, v) => FilterFields.State(r.State.Name(), v)),
            new("proc", static (r, v) => FilterFields.Contains(r.Process, v)),
        ],
    };

    /// <summary>
    /// The listener's SYN_RECV entries, the connections accepted from it (its local port, not listening), and the
    /// other sockets of its process: the process's own handshakes first, since a forwarder stuck on its upstream
    /// is the question this screen answers. Owners beyond listeners and handshakes come from the owner cache.
    /// </summary>
    internal static ImmutableArray<RelatedSocket> Related(HostSnapshot s, ulong key, DetailContext ctx)
    {
        ListenerRow? l = s.Listeners.FirstOrDefault(r => r.Key == key);
        if (l is null || l.IsGone)
        {
            return [];
        }
        string owner = PanelTables.ProcessText(l.Process, l.Pid);
        ImmutableArray<RelatedSocket>.Builder handshakes = ImmutableArray.CreateBuilder<RelatedSocket>();
        ImmutableArray<RelatedSocket>.Builder accepted = ImmutableArray.CreateBuilder<RelatedSocket>();
        ImmutableArray<RelatedSocket>.Builder own = ImmutableArray.CreateBuilder<RelatedSocket>();
        HashSet<ulong> seen = [];
        foreach (HalfOpenRow h in s.HalfOpen)
        {
            if (h.State == HalfOpenState.SynRecv && h.ListenerKey == key)
            {
                handshakes.Add(new RelatedSocket("SYN_RECV", h.Key, TcpState.SynRecv, h.Local, h.Remote, owner, 0, 0, h.AgeMs, h.Retransmits));
                seen.Add(h.Key);
            }
            else if (h.State == HalfOpenState.SynSent && l.Pid is { } pid && h.Pid == pid)
            {
                own.Add(new RelatedSocket("own connect", h.Key, TcpState.SynSent, h.Local, h.Remote,
                    PanelTables.ProcessText(h.Process, h.Pid), 0, 0, h.AgeMs, h.Retransmits));
                seen.Add(h.Key);
            }
        }
        ReadOnlySpan<TcpSocket> sockets = s.Sockets.Span;
        for (int i = 0; i < sockets.Length; i++)
        {
            ref readonly TcpSocket k = ref sockets[i];
            if (k.Key == key || seen.Contains(k.Key) || k.IsRequest)
            {
                continue;
            }
            bool fromListener = k.State != TcpState.Listen && k.Local.Port == l.Local.Port
                && (l.Local.IsUnspecified || k.Local.Unmapped.Address == l.Local.Unmapped.Address);
            ProcessOwner? o = ctx.OwnerOf(k.Inode);
            bool sameProcess = l.Pid is { } pid && o?.Pid == pid;
            if (fromListener)
            {
                accepted.Add(Row("accepted", in k, o is null ? owner : PanelTables.ProcessText(o.Comm, o.Pid)));
            }
            else if (sameProcess)
            {
                own.Add(Row(k.State == TcpState.SynSent ? "own connect" : "same process", in k, PanelTables.ProcessText(o!.Comm, o.Pid)));
            }
        }
        return [.. handshakes, .. own.OrderBy(r => r.State == TcpState.SynSent ? 0 : 1), .. accepted];
    }

    private static RelatedSocket Row(string relation, in TcpSocket k, string process) =>
        new(relation, k.Key, k.State, k.Local, k.Remote, process, k.RQueue, k.WQueue, null, k.Retrans);
}
