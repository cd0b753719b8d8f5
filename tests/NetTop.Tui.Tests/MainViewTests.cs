using NetTop.Model;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;
using NetTop.Model.Tables;
using NetTop.Tui.Themes;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Xunit;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace NetTop.Tui.Tests;

public sealed class MainViewTests
{
    private static (IApplication App, MainView View) Open(HostSnapshot? snapshot, int cols = 80, int rows = 24,
        Theme? theme = null)
    {
        IApplication app = Headless.Create(cols, rows);
        MainView view = new(Headless.Options(), theme ?? Headless.DefaultTheme, () => snapshot);
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

    [Fact]
    public void Both_panels_render_the_scenario_rows_with_the_model_cell_text()
    {
        HostSnapshot s = Fixtures.Scenario();
        (IApplication app, MainView view) = Open(s, 100, 30);
        using (app)
        using (view)
        {
            string[] lines = Headless.Lines(app);

            string listener = lines[LineIndex(lines, "127.0.0.1:8080 ")];
            Assert.Contains("nginx/1234", listener);
            Assert.Matches(@"\s3/2\s", listener);
            // FILL column: the model's bar for a full queue.
            Assert.Contains(Format.Bar(1.0, PanelTables.FillBarWidth), listener);

            string synSent = lines[LineIndex(lines, "SYN_SENT")];
            Assert.Contains("10.0.0.5:41000", synSent);
            Assert.Contains("192.0.2.1:443", synSent);
            Assert.Contains("curl/777", synSent);
            HalfOpenRow sent = s.HalfOpen.Single(r => r.State == HalfOpenState.SynSent);
            Assert.Contains(" " + PanelTables.HalfOpen[4].Cell(sent) + " ", synSent); // AGE
            Assert.Matches(@"\s2\s", synSent); // RETX

            string synRecv = lines[LineIndex(lines, "127.0.0.1:52000")];
            Assert.StartsWith("SYN_RECV ", synRecv.TrimStart('│'));
            Assert.Contains("127.0.0.1:8080", synRecv);
            Assert.Contains("nginx/1234", synRecv);
            // Worst first as the model sorted it: the retransmitting SYN_SENT above the fresh SYN_RECV.
            Assert.True(LineIndex(lines, "SYN_SENT") < LineIndex(lines, "127.0.0.1:52000"));

            foreach (Column<ListenerRow> c in PanelTables.Listeners)
            {
                Assert.Contains(c.Header, lines[LineIndex(lines, "ACCEPTQ")]);
            }
            foreach (Column<HalfOpenRow> c in PanelTables.HalfOpen)
            {
                Assert.Contains(c.Header, lines[LineIndex(lines, "BACKOFF")]);
            }
        }
    }

    [Fact]
    public void An_80x24_screen_shows_header_counters_both_panels_and_the_status_line()
    {
        (IApplication app, MainView view) = Open(Fixtures.Scenario());
        using (app)
        using (view)
        {
            string[] lines = Headless.Lines(app);
            // 80 columns: the short header, so the breadcrumb (focused panel) fits beside it.
            Assert.StartsWith("NetTop web01 host 1.0s LIVE", lines[0]);
            Assert.EndsWith("│ Listen queues", lines[0].TrimEnd());
            Assert.StartsWith("ovfl 12  ldrop 12", lines[1]);
            Assert.Contains("Listen queues", lines[2]);
            int half = LineIndex(lines, "Half-open");
            Assert.True(half > 4 && half < 20, $"Half-open title on line {half}");
            Assert.Contains("127.0.0.1:8080", Headless.Screen(app));
            Assert.Contains("SYN_SENT", Headless.Screen(app));
            string status = lines[23];
            Assert.StartsWith("sockets ok  counters ok", status);
            Assert.EndsWith(MainView.Hints, status.TrimEnd());
        }
    }

    [Fact]
    public void Empty_panels_say_so()
    {
        (IApplication app, MainView view) = Open(Fixtures.Empty());
        using (app)
        using (view)
        {
            string screen = Headless.Screen(app);
            Assert.Contains("no listeners", screen);
            Assert.Contains("no half-open connections", screen);
            Assert.Contains("counters: none yet", screen);

            // And the notes go away when rows arrive.
            view.Show(Fixtures.Scenario());
            app.LayoutAndDraw();
            screen = Headless.Screen(app);
            Assert.DoesNotContain("no listeners", screen);
            Assert.DoesNotContain("no half-open connections", screen);
        }
    }

    [Fact]
    public void Before_the_first_snapshot_the_screen_says_it_is_waiting()
    {
        (IApplication app, MainView view) = Open(null);
        using (app)
        using (view)
        {
            string[] lines = Headless.Lines(app);
            Assert.StartsWith("NetTop  refresh 1.0s  LIVE", lines[0]);
            Assert.Contains("waiting for first snapshot", lines[23]);
            Assert.False(view.Pull());
        }
    }

    [Fact]
    public void Backlog_unknown_reason_is_shown_in_the_listeners_panel()
    {
        HostSnapshot s = Fixtures.Scenario(SocketsOrigin.ProcNet);
        Assert.NotNull(s.BacklogUnknownReason);
        (IApplication app, MainView view) = Open(s);
        using (app)
        using (view)
        {
            string[] lines = Headless.Lines(app);
            int warning = LineIndex(lines, "! max backlog unknown: sock_diag: permission denied");
            int header = LineIndex(lines, "ACCEPTQ");
            Assert.True(warning > LineIndex(lines, "Listen queues") && warning < header, "warning sits above the table");
            // All of it, wrapped inside the panel rather than cut at 80 columns.
            string panelText = string.Join(" ", lines[warning..header].Select(l => l.Trim().Trim('│').Trim()));
            Assert.Equal("! " + s.BacklogUnknownReason, panelText);
            Assert.Contains("3/?", lines[LineIndex(lines, "127.0.0.1:8080 ")]);

            // The warning disappears with the condition.
            view.Show(Fixtures.Scenario());
            app.LayoutAndDraw();
            Assert.DoesNotContain("max backlog unknown", Headless.Screen(app));
        }
    }

    [Fact]
    public void Gone_listeners_are_dim_and_full_ones_critical()
    {
        Theme theme = Headless.DefaultTheme;
        HostSnapshot s = Fixtures.WithListeners(1,
            Fixtures.Listener(1, "127.0.0.1:8080", 3, 2),
            Fixtures.Listener(2, "127.0.0.1:9090", 1, 128),
            Fixtures.Listener(3, "127.0.0.1:7070", 0, 128, goneAt: DateTimeOffset.UnixEpoch));
        (IApplication app, MainView view) = Open(s, theme: theme);
        using (app)
        using (view)
        {
            // Selection (row 0) is drawn with the focus colors; move it off the rows under test.
            view.ListenersTable.SetSelection(0, 1, false);
            app.LayoutAndDraw();
            string[] lines = Headless.Lines(app);
            Attribute At(string text)
            {
                int y = LineIndex(lines, text);
                int x = lines[y].IndexOf(text, StringComparison.Ordinal);
                return app.Driver!.Contents![y, x].Attribute!.Value;
            }
            Assert.Contains("gone", lines[LineIndex(lines, "127.0.0.1:7070")]);
            Assert.Equal(theme.Dim, At("127.0.0.1:7070"));
            Assert.Equal(theme.Critical, At("127.0.0.1:8080"));
            Assert.NotEqual(theme.Dim, theme.Table.Focus);
            Assert.Equal(theme.Table.Focus, At("127.0.0.1:9090"));

            // Not selected and healthy: the table's normal colors.
            view.ListenersTable.SetSelection(0, 0, false);
            app.LayoutAndDraw();
            lines = Headless.Lines(app);
            Assert.Equal(theme.Table.Normal, At("127.0.0.1:9090"));
        }
    }

    [Fact]
    public void Rising_drops_are_critical()
    {
        Theme theme = Headless.DefaultTheme;
        HostSnapshot s = Fixtures.WithListeners(1,
            Fixtures.Listener(1, "127.0.0.1:22", 0, 128),
            Fixtures.Listener(2, "127.0.0.1:8080", 1, 128, dropsPerSec: 4));
        (IApplication app, MainView view) = Open(s, theme: theme);
        using (app)
        using (view)
        {
            string[] lines = Headless.Lines(app);
            int y = LineIndex(lines, "127.0.0.1:8080");
            Assert.Equal(theme.Critical, app.Driver!.Contents![y, lines[y].IndexOf("127.0.0.1:8080", StringComparison.Ordinal)].Attribute!.Value);
        }
    }

    [Fact]
    public void Syn_sent_with_retransmits_is_highlighted_and_syn_recv_is_not()
    {
        Theme theme = Headless.DefaultTheme;
        (IApplication app, MainView view) = Open(Fixtures.Scenario(), 100, 30, theme);
        using (app)
        using (view)
        {
            // The half-open table is not focused, but its selected row (0) uses the Active colors: select the other.
            view.HalfOpenTable.SetSelection(0, 1, false);
            app.LayoutAndDraw();
            string[] lines = Headless.Lines(app);
            int sent = LineIndex(lines, "SYN_SENT");
            int recv = LineIndex(lines, "127.0.0.1:52000");
            int x = lines[sent].IndexOf("SYN_SENT", StringComparison.Ordinal);
            Assert.Equal(theme.Warning, app.Driver!.Contents![sent, x].Attribute!.Value);

            view.HalfOpenTable.SetSelection(0, 0, false);
            app.LayoutAndDraw();
            Assert.Equal(theme.Table.Normal, app.Driver!.Contents![recv, x].Attribute!.Value);
        }
    }

    [Fact]
    public void Non_ok_sources_are_colored_and_say_why_and_how_to_fix()
    {
        Theme theme = Headless.DefaultTheme;
        HostSnapshot s = Fixtures.Scenario(SocketsOrigin.SockDiag,
            SourceStatus.Ok("sockets", "sock_diag"),
            new SourceStatus("owners", SourceHealth.Degraded, "cannot read /proc/1/fd", "run as root"),
            new SourceStatus("resets", SourceHealth.Unavailable, "perf_event_open: EACCES", "needs CAP_PERFMON"));
        (IApplication app, MainView view) = Open(s, 120, 24, theme);
        using (app)
        using (view)
        {
            string[] lines = Headless.Lines(app);
            // What is wrong comes first, so a narrow screen cuts healthy sources rather than broken ones.
            Assert.StartsWith("resets unavailable  owners degraded  sockets ok", lines[22]);
            Assert.StartsWith("owners: cannot read /proc/1/fd (fix: run as root); resets: perf_event_open: EACCES (fix: needs CAP_PERFMON)", lines[23]);
            Attribute At(int y, string text) => app.Driver!.Contents![y, lines[y].IndexOf(text, StringComparison.Ordinal)].Attribute!.Value;
            Assert.Equal(theme.Ok.Foreground, At(22, "ok").Foreground);
            Assert.Equal(theme.Warning.Foreground, At(22, "degraded").Foreground);
            Assert.Equal(theme.Critical.Foreground, At(22, "unavailable").Foreground);
            // The half-open panel gave up a line for it and still ends above the status lines.
            Assert.Contains("╰", lines[21]);
        }
    }

    [Fact]
    public void Tab_and_shift_tab_move_focus_through_the_four_tables_and_wrap()
    {
        (IApplication app, MainView view) = Open(Fixtures.Scenario());
        using (app)
        using (view)
        {
            Assert.True(view.ListenersTable.HasFocus);
            app.InjectKey(Key.Tab);
            Assert.True(view.HalfOpenTable.HasFocus);
            Assert.False(view.ListenersTable.HasFocus);
            app.InjectKey(Key.Tab);
            Assert.True(view.ResetsTable.HasFocus);
            app.InjectKey(Key.Tab);
            Assert.True(view.FirewallTable.HasFocus);
            app.InjectKey(Key.Tab);
            Assert.True(view.ListenersTable.HasFocus);
            app.InjectKey(Key.Tab.WithShift);
            Assert.True(view.FirewallTable.HasFocus);
            app.InjectKey(Key.Tab.WithShift);
            Assert.True(view.ResetsTable.HasFocus);
        }
    }

    [Fact]
    public void Arrows_move_the_selection_and_it_follows_the_row_key_across_snapshots()
    {
        HostSnapshot first = Fixtures.WithListeners(1,
            Fixtures.Listener(1, "127.0.0.1:1001", 5, 128),
            Fixtures.Listener(2, "127.0.0.1:1002", 4, 128),
            Fixtures.Listener(3, "127.0.0.1:1003", 3, 128));
        (IApplication app, MainView view) = Open(first);
        using (app)
        using (view)
        {
            app.InjectKey(Key.CursorDown);
            Assert.Equal(1, view.ListenersTable.Value!.SelectedCell.Y);

            // Key 2 moves to the bottom in the next snapshot: the selection goes with it.
            view.Show(Fixtures.WithListeners(2,
                Fixtures.Listener(3, "127.0.0.1:1003", 9, 128),
                Fixtures.Listener(1, "127.0.0.1:1001", 5, 128),
                Fixtures.Listener(2, "127.0.0.1:1002", 0, 128)));
            Assert.Equal(2, view.ListenersTable.Value!.SelectedCell.Y);

            // Its row vanished: back to the top (the worst row).
            view.Show(Fixtures.WithListeners(3, Fixtures.Listener(1, "127.0.0.1:1001", 5, 128), Fixtures.Listener(3, "127.0.0.1:1003", 1, 128)));
            Assert.Equal(0, view.ListenersTable.Value!.SelectedCell.Y);
        }
    }

    [Fact]
    public void Pull_shows_only_new_sequences_and_pause_freezes_the_screen()
    {
        HostSnapshot current = Fixtures.WithListeners(1, Fixtures.Listener(1, "127.0.0.1:1001", 1, 128));
        IApplication app = Headless.Create(80, 24);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => current);
        using (app)
        {
            app.Begin(view);
            Assert.True(view.Pull());
            Assert.Same(current, view.Shown);

            HostSnapshot first = current;
            current = current with { Listeners = [Fixtures.Listener(9, "127.0.0.1:9999", 1, 128)] }; // same Sequence
            view.Pull();
            Assert.Same(first, view.Shown);

            current = current with { Sequence = 2 };
            view.Pull();
            Assert.Same(current, view.Shown);

            app.InjectKey(Key.P);
            app.LayoutAndDraw();
            Assert.True(view.Paused);
            Assert.Contains("PAUSED", Headless.Lines(app)[0]);
            HostSnapshot frozen = current;
            current = current with { Sequence = 3 };
            view.Pull();
            Assert.Same(frozen, view.Shown);

            app.InjectKey(Key.Space);
            app.LayoutAndDraw();
            Assert.False(view.Paused);
            Assert.Same(current, view.Shown); // unfreezing shows the latest at once
            Assert.Contains("LIVE", Headless.Lines(app)[0]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // TableView 2.5.0 swallows printable keys while a focused table is empty (PanelTableView)
    public void Q_stops_the_app_and_Esc_does_not(bool emptyPanels)
    {
        IApplication app = Headless.Create(80, 24);
        HostSnapshot s = emptyPanels ? Fixtures.Empty() : Fixtures.Scenario();
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => s);
        using (app)
        {
            int iterations = 0;
            int afterEsc = 0;
            bool escSent = false;
            bool qSent = false;
            bool guardHit = false;
            void OnIteration(object? sender, EventArgs e)
            {
                iterations++;
                if (iterations > 500)
                {
                    guardHit = true;
                    app.RequestStop();
                    return;
                }
                if (!escSent)
                {
                    view.Pull();
                    escSent = true;
                    app.InjectKey(Key.Esc);
                }
                else if (afterEsc < 5)
                {
                    afterEsc++; // the loop keeps running after Esc
                }
                else if (!qSent)
                {
                    qSent = true;
                    app.InjectKey(Key.Q);
                }
            }
            app.Iteration += OnIteration;
            try
            {
                app.Run(view);
            }
            finally
            {
                app.Iteration -= OnIteration;
            }
            Assert.False(guardHit, "q did not stop the app");
            Assert.True(qSent);
            Assert.Equal(5, afterEsc);
            Assert.Equal(emptyPanels ? 0 : 2, view.Panels[0].Table.Table!.Rows);
        }
    }

    [Fact]
    public void Data_text_with_underscores_is_drawn_as_given()
    {
        HostSnapshot s = Fixtures.Empty() with { Host = "db_01", Netns = "ns_blue" };
        (IApplication app, MainView view) = Open(s);
        using (app)
        using (view)
        {
            Assert.StartsWith("NetTop db_01 ns_blue", Headless.Lines(app)[0]);
        }
    }
}
