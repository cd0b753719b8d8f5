using System.Collections.Immutable;
using NetTop.Model;
using NetTop.Model.Firewall;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Tui.Detail;
using NetTop.Tui.Panels;
using NetTop.Tui.Themes;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Xunit;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace NetTop.Tui.Tests;

/// <summary>The four panels, zoom, drill-downs, top stacks, the flow trace and help.</summary>
public sealed class FourPanelTests
{
    private static readonly string[] s_titles = ["Listen queues", "Half-open", "RST feed (12 sent, 3 received)", "Firewall"];

    private static (IApplication App, MainView View) Open(HostSnapshot? snapshot, int cols = 80, int rows = 24,
        TuiOptions? options = null)
    {
        IApplication app = Headless.Create(cols, rows);
        MainView view = new(options ?? Headless.Options(), Headless.DefaultTheme, () => snapshot);
        app.Begin(view);
        view.Pull();
        app.LayoutAndDraw();
        return (app, view);
    }

    private static int LineIndex(string[] lines, string text)
    {
        int i = Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        Assert.True(i >= 0, $"\"{text}\" not on screen:\n{string.Join('\n', lines)}");
        return i;
    }

    private static string Draw(IApplication app)
    {
        app.LayoutAndDraw();
        return Headless.Screen(app);
    }

    [Theory]
    [InlineData(80, 24)]
    [InlineData(120, 40)]
    public void Four_panels_share_the_screen_and_show_the_scenario_rows(int cols, int rows)
    {
        (IApplication app, MainView view) = Open(Fixtures.Full(), cols, rows);
        using (app)
        using (view)
        {
            string[] lines = Headless.Lines(app);
            int[] titles = [.. s_titles.Select(t => LineIndex(lines, "┤" + t + "├"))];
            Assert.Equal(2, titles[0]);
            // Equal shares (the first panels take the odd rows) of the rows between the two header lines and the status line.
            int room = rows - 3;
            for (int i = 1; i < 4; i++)
            {
                int height = titles[i] - titles[i - 1];
                Assert.InRange(height, room / 4, room / 4 + 1);
            }
            Assert.Contains("╰", lines[rows - 2]);
            // Every source ok: listed where they fit, summed up where they do not (80 columns).
            Assert.StartsWith(cols >= 100 ? "sockets ok  counters ok  resets ok" : "all 4 sources ok", lines[rows - 1]);

            Assert.Contains("127.0.0.1:8080", lines[titles[0] + 2]);
            Assert.Contains("SYN_SENT", lines[titles[1] + 2]);
            Assert.Contains("filter/OUTPUT#1 DROP (+3)", cols >= 100 ? lines[titles[1] + 2] : "filter/OUTPUT#1 DROP (+3)");
            Assert.Contains("TCP_ABORT_ON_CLOSE", lines[titles[2] + 2]);
            Assert.Contains("ACCEPT", lines[titles[3] + 2]);
            Assert.Contains("DROP", lines[titles[3] + 3]);
            foreach (string h in new[] { "TIME", "DIR", "KIND", "REASON" })
            {
                Assert.Contains(h, lines[titles[2] + 1]);
            }
            foreach (string h in new[] { "TABLE", "CHAIN", "RULE", "TARGET", "PKTS" })
            {
                Assert.Contains(h, lines[titles[3] + 1]);
            }
            if (rows >= 40)
            {
                // The larger screen shows every row, and all columns of the wide panels.
                Assert.Contains("[other netns]", Headless.Screen(app));
                Assert.Contains("--dport 22", Headless.Screen(app));
                Assert.Contains("PKTS/s", lines[titles[3] + 1]);
                Assert.Contains("SUSPECT", lines[titles[1] + 1]);
            }
        }
    }

    [Fact]
    public void Keys_1_to_4_and_tab_move_between_the_four_panels()
    {
        (IApplication app, MainView view) = Open(Fixtures.Full());
        using (app)
        using (view)
        {
            Terminal.Gui.Views.TableView[] tables = [view.ListenersTable, view.HalfOpenTable, view.ResetsTable, view.FirewallTable];
            Assert.True(tables[0].HasFocus);
            app.InjectKey(Key.D3);
            Assert.True(tables[2].HasFocus);
            app.InjectKey(Key.D4);
            Assert.True(tables[3].HasFocus);
            app.InjectKey(Key.Tab); // wraps
            Assert.True(tables[0].HasFocus);
            app.InjectKey(Key.Tab.WithShift);
            Assert.True(tables[3].HasFocus);
            app.InjectKey(Key.D2);
            Assert.True(tables[1].HasFocus);
            app.InjectKey(Key.D1);
            Assert.True(tables[0].HasFocus);
            Assert.Single(tables, t => t.HasFocus);
        }
    }

    [Fact]
    public void Z_zooms_the_focused_panel_between_header_and_status_line_and_z_again_restores()
    {
        (IApplication app, MainView view) = Open(Fixtures.Full());
        using (app)
        using (view)
        {
            app.InjectKey(Key.D3);
            app.InjectKey(Key.Z);
            string[] lines = Headless.Lines(app);
            Draw(app);
            lines = Headless.Lines(app);
            Assert.Equal(2, view.Zoomed);
            Assert.Contains("┤RST feed (12 sent, 3 received)├", lines[2]);
            Assert.Contains("╰", lines[22]);
            Assert.DoesNotContain("Listen queues", Headless.Screen(app));
            Assert.DoesNotContain("Firewall", Headless.Screen(app));
            // All three resets fit now (2 at 80x24 without zoom).
            Assert.Contains("172.17.0.2:5432", lines[6]);
            Assert.True(view.ResetsTable.HasFocus);

            // Moving to another panel keeps the zoom on the newly focused one.
            app.InjectKey(Key.D4);
            lines = Draw(app).Split(Environment.NewLine);
            Assert.Contains("┤Firewall├", lines[2]);
            Assert.True(view.FirewallTable.HasFocus);

            app.InjectKey(Key.Z);
            string screen = Draw(app);
            Assert.Null(view.Zoomed);
            foreach (string t in s_titles)
            {
                Assert.Contains(t, screen);
            }
            Assert.True(view.FirewallTable.HasFocus);
        }
    }

    [Fact]
    public void New_panels_are_colored_by_severity()
    {
        Theme theme = Headless.DefaultTheme;
        (IApplication app, MainView view) = Open(Fixtures.Full(), 120, 40);
        using (app)
        using (view)
        {
            // Selected rows use the focus/active colors: park the selections on rows not under test.
            view.HalfOpenTable.SetSelection(0, 1, false);
            view.ResetsTable.SetSelection(0, 1, false);
            view.FirewallTable.SetSelection(0, 2, false);
            string[] lines = Draw(app).Split(Environment.NewLine);
            Attribute At(string text)
            {
                int y = LineIndex(lines, text);
                return app.Driver!.Contents![y, lines[y].IndexOf(text, StringComparison.Ordinal)].Attribute!.Value;
            }
            // A SYN_SENT that a firewall rule eats: critical (retransmits alone are a warning).
            Assert.Equal(theme.Critical, At("SYN_SENT"));
            Assert.Equal(theme.Warning, At("TCP_ABORT_ON_CLOSE"));     // active reset
            Assert.Equal(theme.Dim, At("172.17.0.2:5432"));           // other netns
            Assert.Equal(theme.Critical, At("-d 192.0.2.1/32"));      // hot DROP rule
            Assert.Equal(theme.Warning, At("-i lo"));                 // hot ACCEPT rule

            view.ResetsTable.SetSelection(0, 0, false);
            view.FirewallTable.SetSelection(0, 0, false);
            lines = Draw(app).Split(Environment.NewLine);
            Assert.Equal(theme.Table.Normal, At("10.0.0.5:9999"));    // passive reset
            Assert.Equal(theme.Table.Normal, At("--dport 22"));       // idle rule
        }
    }

    [Fact]
    public void Severity_functions_follow_the_rules()
    {
        ImmutableArray<FirewallRow> rows = Fixtures.FirewallRows();
        Assert.Equal(Severity.Critical, PanelSpecs.FirewallSeverity(rows.Single(r => r.Target == "DROP")));
        Assert.Equal(Severity.Normal, PanelSpecs.FirewallSeverity(rows.Single(r => r.Rule.Rule.Contains("22"))));
        HalfOpenRow sent = Fixtures.Full().HalfOpen.Single(h => h.State == HalfOpenState.SynSent);
        Assert.Equal(Severity.Critical, PanelSpecs.HalfOpenSeverity(sent));
        Assert.Equal(Severity.Warning, PanelSpecs.HalfOpenSeverity(sent with { Suspects = [] }));
        Assert.Equal(Severity.Normal, PanelSpecs.HalfOpenSeverity(sent with { Suspects = [], Retransmits = 0 }));
    }

    [Fact]
    public void Empty_panels_say_so_and_give_the_sources_reason_and_fix()
    {
        HostSnapshot ok = Fixtures.Empty() with
        {
            Sources = [SourceStatus.Ok("sockets", "sock_diag"), SourceStatus.Ok("resets", "tracepoints"), SourceStatus.Ok("firewall", "nft")],
        };
        (IApplication app, MainView view) = Open(ok, 120, 40);
        using (app)
        using (view)
        {
            string screen = Headless.Screen(app);
            Assert.Contains("no resets yet", screen);
            Assert.Contains("no firewall rules", screen);
            Assert.Contains("RST feed (0 sent, 0 received)", screen);

            HostSnapshot broken = Fixtures.Empty(2) with
            {
                Sources =
                [
                    SourceStatus.Ok("sockets", "sock_diag"),
                    new SourceStatus("resets", SourceHealth.Unavailable, "perf_event_open: EACCES", "needs CAP_PERFMON"),
                    new SourceStatus("firewall", SourceHealth.Degraded, "iptables-save: not found", "apt install iptables"),
                ],
            };
            view.Show(broken);
            string[] lines = Draw(app).Split(Environment.NewLine);
            Assert.Equal("resets unavailable: perf_event_open: EACCES (fix: needs CAP_PERFMON)", view.ResetsPanel.EmptyText);
            Assert.Equal("no firewall rules (firewall degraded: iptables-save: not found (fix: apt install iptables))", view.FirewallPanel.EmptyText);
            int rst = LineIndex(lines, "┤RST feed");
            Assert.Contains("resets unavailable: perf_event_open: EACCES (fix: needs CAP_PERFMON)", lines[rst + 2]);
            Attribute a = app.Driver!.Contents![rst + 2, lines[rst + 2].IndexOf("resets unavailable", StringComparison.Ordinal)].Attribute!.Value;
            Assert.Equal(Headless.DefaultTheme.Warning.Foreground, a.Foreground);
            int fw = LineIndex(lines, "┤Firewall├");
            Assert.Contains("no firewall rules (firewall degraded: iptables-save", lines[fw + 2]);
        }
    }

    [Fact]
    public void Enter_on_each_panel_opens_its_detail_and_Esc_returns_to_the_screen()
    {
        HostSnapshot s = Fixtures.Full();
        IApplication app = Headless.Create(120, 40);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => s);
        Dictionary<string, string> seen = [];
        string? afterEsc = null;
        IEnumerable<Func<bool>> Open(Key panel, string name, int row = 0) =>
        [
            Script.Do(() => app.InjectKey(panel)),
            Script.Do(() => view.Panels[panel.AsRune.Value - '1'].Table.SetSelection(0, row, false)),
            Script.Do(() => app.InjectKey(Key.Enter)),
            () =>
            {
                if (view.Modals.Count != 1)
                {
                    return false;
                }
                seen[name] = Draw(app) + "\n---\n" + (view.Modals[0] is DetailView d
                    ? string.Join('\n', d.Pane.Lines)
                    : string.Join('\n', ((ListenerView)view.Modals[0]).HeadLines));
                return true;
            },
            Script.Do(() => app.InjectKey(Key.Esc)),
            () => view.Modals.Count == 0,
        ];
        using (app)
        {
            Script.Run(app, view,
            [
                Script.Do(() => view.Pull()),
                .. Open(Key.D1, "listener"),
                .. Open(Key.D2, "halfopen"),
                .. Open(Key.D3, "reset"),
                .. Open(Key.D4, "firewall", 1),
                () =>
                {
                    afterEsc = Draw(app);
                    return true;
                },
            ]);
        }

        // Listener: its fields, its SYN_RECV client, and its own process's connects (none for nginx here).
        Assert.Contains("Listener 127.0.0.1:8080", seen["listener"]);
        Assert.Contains("accept   3 waiting / backlog 2", seen["listener"]);
        string[] listener = seen["listener"].Split(Environment.NewLine);
        Assert.Matches(@"SYN_RECV\s+SYN_RECV\s+127\.0\.0\.1:8080\s+127\.0\.0\.1:52000\s+nginx/1234", listener[LineIndex(listener, "127.0.0.1:52000")]);

        // Half-open: endpoints, state, process, retransmits and every suspect with its rule.
        Assert.Contains("SYN_SENT  10.0.0.5:41000 → 192.0.2.1:443", seen["halfopen"]);
        Assert.Contains("process  curl/777", seen["halfopen"]);
        Assert.Contains("retransmits 2", seen["halfopen"]);
        Assert.Contains("filter/OUTPUT#1 DROP (+3)  eats the SYN", seen["halfopen"]);
        Assert.Contains(Fixtures.DropRuleText, seen["halfopen"]);

        // Reset: the model's detail, with the whole stack and the explanation.
        foreach (string line in ResetTables.Detail(s.Resets[0]))
        {
            Assert.Contains(line, seen["reset"]);
        }
        Assert.Contains("tcp_send_active_reset+0x10", seen["reset"]);
        Assert.Contains("closed with unread data", seen["reset"]);

        // Firewall rule (row 1: the DROP rule): full text, place, counters, rates and the sparkline.
        Assert.Contains("-t filter -A OUTPUT " + Fixtures.DropRuleText, seen["firewall"]);
        Assert.Contains("table    filter   chain OUTPUT   position 1   target DROP", seen["firewall"]);
        Assert.Contains("packets  16   bytes 960", seen["firewall"]);
        Assert.Contains("3 packets/s", seen["firewall"]);
        FirewallRow drop = s.Firewall.Single(r => r.Target == "DROP");
        Assert.Contains(FirewallColumns.Sparkline(drop.History).Trim(), seen["firewall"]);

        // The screen under the modal kept its data.
        Assert.Contains("127.0.0.1:8080", afterEsc);
        Assert.Contains("TCP_ABORT_ON_CLOSE", afterEsc);
    }

    [Fact]
    public void An_open_detail_follows_new_snapshots_by_key_and_says_gone()
    {
        HostSnapshot s = Fixtures.Full();
        FirewallRow drop = s.Firewall.Single(r => r.Target == "DROP");
        ulong key = StableHash.Of(drop);
        using DetailView detail = new("rule", Headless.DefaultTheme, Details.Firewall(drop), snap => Details.Firewall(snap, key));

        // Same rule, new counters: the detail follows it.
        FirewallRow later = drop with { Rule = drop.Rule with { Packets = 99 } };
        detail.Refresh(s with { Firewall = [later, .. s.Firewall.Where(r => r != drop)] });
        Assert.False(detail.IsGone);
        Assert.Contains("packets  99   bytes 960", detail.Pane.ToString());

        detail.Refresh(s with { Firewall = [.. s.Firewall.Where(r => r != drop)] });
        Assert.True(detail.IsGone);
        Assert.Equal("rule (gone)", detail.Title);
        Assert.Equal(DetailView.GoneNote(s.TakenAt), detail.Pane.Lines[0]);
        Assert.Contains("packets  99", detail.Pane.ToString()); // the last known state stays

        // Through the screen: a new snapshot reaches the open modal.
        HostSnapshot current = s;
        IApplication app = Headless.Create(100, 30);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => current);
        string? gone = null;
        using (app)
        {
            Script.Run(app, view,
                Script.Do(() => view.Pull()),
                Script.Do(() => app.InjectKey(Key.D1)),
                Script.Do(() => app.InjectKey(Key.Enter)),
                () => view.Modals.Count == 1,
                Script.Do(() =>
                {
                    current = current with { Sequence = 99, Listeners = [] };
                    view.Pull();
                }),
                () =>
                {
                    gone = Draw(app);
                    return true;
                },
                Script.Do(() => app.InjectKey(Key.Esc)));
        }
        Assert.Contains("Listener 127.0.0.1:8080", gone);
        Assert.Contains(DetailView.GoneNote(current.TakenAt), gone);
    }

    [Fact]
    public void K_shows_the_top_stacks_and_Enter_the_whole_stack()
    {
        HostSnapshot s = Fixtures.Full();
        IApplication app = Headless.Create(120, 30);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => s);
        string? stacks = null;
        string? whole = null;
        using (app)
        {
            Script.Run(app, view,
                Script.Do(() => view.Pull()),
                Script.Do(() => app.InjectKey(Key.K)),
                () => view.Modals.Count == 1,
                () =>
                {
                    stacks = Draw(app);
                    return true;
                },
                Script.Do(() => app.InjectKey(Key.CursorDown)),
                Script.Do(() => app.InjectKey(Key.Enter)),
                () => view.Modals.Count == 2,
                () =>
                {
                    whole = string.Join('\n', ((DetailView)view.Modals[1]).Pane.Lines) + "\n---\n" + Draw(app);
                    return true;
                },
                Script.Do(() => app.InjectKey(Key.Esc)),
                () => view.Modals.Count == 1,
                Script.Do(() => app.InjectKey(Key.Esc)),
                () => view.Modals.Count == 0);
        }
        Assert.Contains("Top reset stacks", stacks);
        string[] lines = stacks!.Split(Environment.NewLine);
        Assert.Contains("COUNT", lines[LineIndex(lines, "STACK")]);
        Assert.Contains("tcp_send_active_reset ← tcp_close ← inet_release", stacks);
        Assert.Contains("tcp_v4_send_reset ← tcp_v4_rcv", stacks);
        // Row 1: the passive stack, every frame with its offset.
        Assert.Contains("sent passive resets  reason NO_SOCKET  count 1", whole);
        Assert.Contains("  tcp_v4_send_reset+0x733", whole);
        Assert.Contains("  ip_local_deliver+0x9", whole);
    }

    private sealed class FakeTrace : IFlowTraceView
    {
        public string Title => "10.0.0.5:41000 ⇄ 192.0.2.1:443 (fake)";
        public string Status { get; set; } = "ok: tracing";
        public long Version { get; set; } = 1;
        public ImmutableArray<TracePacket> Packets { get; set; } = [];
        public int Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed++;
            return ValueTask.CompletedTask;
        }
    }

    private static TracePacket Packet(double seconds, string id, string packet, params (string Table, string Chain, string Rule, string Verdict)[] steps) =>
        new(TimeSpan.FromSeconds(seconds), id, "ipv4", packet,
            [.. steps.Select(e => new TraceEvent(TimeSpan.FromSeconds(seconds), id, e.Table, e.Chain, e.Rule, e.Verdict, ""))]);

    [Fact]
    public void T_traces_the_selected_half_open_flow_shows_its_packets_and_disposes_it_on_close()
    {
        HostSnapshot s = Fixtures.Full();
        FakeTrace trace = new()
        {
            Packets = [Packet(0.5, "a1", "SRC=10.0.0.5 DST=192.0.2.1 SPT=41000 DPT=443 SYN",
                ("raw", "OUTPUT", "policy", "ACCEPT"), ("filter", "OUTPUT", "rule 0x1a", "DROP"))],
        };
        HalfOpenRow? traced = null;
        TuiOptions options = Headless.Options() with
        {
            TraceRefresh = TimeSpan.FromMilliseconds(20),
            // Really asynchronous: the continuation comes back through Terminal.Gui's SynchronizationContext.
            TraceFlow = async row =>
            {
                traced = row;
                await Task.Delay(30);
                return trace;
            },
        };
        IApplication app = Headless.Create(120, 30);
        using MainView view = new(options, Headless.DefaultTheme, () => s);
        string? first = null;
        string? second = null;
        int disposedWhileOpen = -1;
        using (app)
        {
            Script.Run(app, view,
                Script.Do(() => view.Pull()),
                Script.Do(() => app.InjectKey(Key.D2)),
                Script.Do(() => app.InjectKey(Key.T)),
                () => view.Modals.Count == 1 && view.Modals[0] is TraceView,
                () =>
                {
                    first = Draw(app);
                    return true;
                },
                Script.Do(() =>
                {
                    trace.Packets = [.. trace.Packets, Packet(1.5, "a2", "SRC=10.0.0.5 DST=192.0.2.1 SPT=41000 DPT=443 SYN (retransmit)",
                        ("filter", "OUTPUT", "rule 0x1a", "DROP"))];
                    trace.Version++;
                }),
                () => Draw(app).Contains("(retransmit)", StringComparison.Ordinal),
                () =>
                {
                    second = Draw(app);
                    disposedWhileOpen = trace.Disposed;
                    return true;
                },
                Script.Do(() => app.InjectKey(Key.Esc)),
                () => trace.Disposed == 1 && view.Modals.Count == 0);
        }
        Assert.Equal(s.HalfOpen.Single(h => h.State == HalfOpenState.SynSent), traced);
        Assert.Contains("Trace 10.0.0.5:41000 ⇄ 192.0.2.1:443 (fake)", first);
        Assert.Contains("1 packets   ok: tracing", first);
        Assert.Contains("0.500s  ipv4  SRC=10.0.0.5 DST=192.0.2.1 SPT=41000 DPT=443 SYN", first);
        Assert.Contains("raw:OUTPUT:policy ACCEPT → filter:OUTPUT:rule 0x1a DROP  ⇒ DROP", first);
        Assert.Contains("2 packets", second);
        Assert.Equal(0, disposedWhileOpen);
        Assert.Equal(1, trace.Disposed);
        Assert.Equal("trace stopped, its rules removed", view.Note);
    }

    [Fact]
    public void A_trace_that_cannot_start_says_why_on_the_status_line_and_opens_nothing()
    {
        TuiOptions options = Headless.Options() with
        {
            TraceFlow = _ => Task.FromException<IFlowTraceView>(
                new FlowTraceStartException("xtables-monitor not found", "apt install iptables")),
        };
        (IApplication app, MainView view) = Open(Fixtures.Full(), 120, 30, options);
        using (app)
        using (view)
        {
            app.InjectKey(Key.T); // listeners focused: nothing to trace there
            Assert.Equal("t traces a Half-open row: select one (key 2) first", view.Note);
            app.InjectKey(Key.D2);
            app.InjectKey(Key.T);
            Assert.Empty(view.Modals);
            Assert.Contains("trace failed: xtables-monitor not found (fix: apt install iptables)", Draw(app));
        }

        (app, view) = Open(Fixtures.Full(), 120, 30);
        using (app)
        using (view)
        {
            app.InjectKey(Key.D2);
            app.InjectKey(Key.T);
            Assert.Equal("tracing is not available here", view.Note);
        }

        (app, view) = Open(Fixtures.Empty(), 120, 30, options);
        using (app)
        using (view)
        {
            app.InjectKey(Key.D2);
            app.InjectKey(Key.T);
            Assert.Equal("no half-open connection to trace", view.Note);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void F1_and_question_mark_open_the_help_listing_every_key(bool f1)
    {
        IApplication app = Headless.Create(100, 30);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => Fixtures.Full());
        string? help = null;
        using (app)
        {
            Script.Run(app, view,
                Script.Do(() => view.Pull()),
                Script.Do(() => app.InjectKey(f1 ? Key.F1 : new Key('?'))),
                () => view.Modals.Count == 1,
                () =>
                {
                    help = Draw(app) + "\n---\n" + ((DetailView)view.Modals[0]).Pane;
                    return true;
                },
                Script.Do(() => app.InjectKey(Key.Esc)),
                () => view.Modals.Count == 0);
        }
        Assert.Contains("Help", help);
        foreach (string key in new[] { "1 2 3 4", "Tab  Shift-Tab", "z ", "Enter", "k ", "t ", "p  Space", "s ", "F1  ?", "q  Ctrl-C", "Esc",
            "/ ", "< >", "r ", "+ -", "w ", "T ", "Home End" })
        {
            Assert.Contains("  " + key, help);
        }
    }

    [Fact]
    public void Row_keys_are_stable_64_bit_hashes()
    {
        Assert.Equal(0xcbf29ce484222325UL, StableHash.Fnv1a(""));
        HostSnapshot a = Fixtures.Full();
        HostSnapshot b = Fixtures.Full(3);
        Assert.Equal(a.Firewall.Select(StableHash.Of), b.Firewall.Select(StableHash.Of));
        Assert.Equal(a.Resets.Select(StableHash.Of), b.Resets.Select(StableHash.Of));
        Assert.Equal(3, a.Resets.Select(StableHash.Of).Distinct().Count());
        Assert.Equal(3, a.Firewall.Select(StableHash.Of).Distinct().Count());
    }
}
