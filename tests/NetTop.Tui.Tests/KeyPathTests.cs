using NetTop.Model.Net;
using NetTop.Model.Resets;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;
using NetTop.Tui.Detail;
using NetTop.Tui.Panels;
using NetTop.Tui.Themes;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>The keys of issue 5 end to end on a headless screen: filter, sort, refresh, theme, pcap, mouse, drill-down.</summary>
public sealed class KeyPathTests
{
    private static (IApplication App, MainView View) Open(HostSnapshot s, TuiOptions? options = null, int cols = 120, int rows = 40)
    {
        IApplication app = Headless.Create(cols, rows);
        MainView view = new(options ?? Headless.Options(), Headless.DefaultTheme, () => s);
        app.Begin(view);
        view.Pull();
        app.LayoutAndDraw();
        return (app, view);
    }

    private static string Draw(IApplication app)
    {
        app.LayoutAndDraw();
        return Headless.Screen(app);
    }

    private static void Type(IApplication app, string text)
    {
        foreach (char c in text)
        {
            app.InjectKey(new Key(c));
        }
    }

    /// <summary>Half-open rows: ports 80 and 443, SYN_SENT by curl and wget, one SYN_RECV.</summary>
    private static HostSnapshot HalfOpenMix() => Fixtures.Empty(5) with
    {
        HalfOpen =
        [
            Half(1, HalfOpenState.SynSent, "10.0.0.5:41000", "192.0.2.1:443", "curl", 3, 9000),
            Half(2, HalfOpenState.SynSent, "10.0.0.5:41001", "192.0.2.2:80", "wget", 1, 2000),
            Half(3, HalfOpenState.SynRecv, "10.0.0.5:80", "198.51.100.7:50000", "nginx", 0, 500),
            Half(4, HalfOpenState.SynSent, "10.0.0.5:41002", "192.0.2.3:443", "wget", 2, 4000),
        ],
    };

    private static HalfOpenRow Half(ulong key, HalfOpenState st, string local, string remote, string proc, int retx, long age) => new()
    {
        Key = key,
        State = st,
        Local = Fixtures.Ep(local),
        Remote = Fixtures.Ep(remote),
        Process = proc,
        Pid = (int)key * 100,
        AgeMs = age,
        Retransmits = retx,
    };

    private static List<string> Remotes(MainView view) =>
        [.. Enumerable.Range(0, view.HalfOpenPanel.Source.Rows).Select(i => view.HalfOpenPanel.Source.RowAt(i).Remote.ToString())];

    [Fact]
    public void Slash_filters_the_focused_panel_with_ANDed_field_terms_and_shows_it_in_title_and_breadcrumb()
    {
        (IApplication app, MainView view) = Open(HalfOpenMix());
        using (app)
        using (view)
        {
            app.InjectKey(Key.D2);
            app.InjectKey(new Key('/'));
            Assert.True(view.Prompt.IsOpen);
            Assert.Contains("Filter Half-open: /", Draw(app));
            Type(app, "state:syn-sent port:443");
            // Live while typing, before Enter.
            Assert.Equal(["192.0.2.1:443", "192.0.2.3:443"], Remotes(view));
            app.InjectKey(Key.Enter);
            Assert.False(view.Prompt.IsOpen);
            string screen = Draw(app);
            Assert.Contains("Half-open /state:syn-sent port:443 (2 of 4)", screen);
            Assert.Contains("│ Half-open /state:syn-sent port:443", view.Header.Drawn);
            // Keys typed into the prompt did not reach the screen ('p' would have paused it).
            Assert.False(view.Paused);

            // proc: and plain text (any cell) AND-ed.
            app.InjectKey(new Key('/'));
            app.InjectKey(Key.End);
            for (int i = 0; i < 30; i++)
            {
                app.InjectKey(Key.Backspace);
            }
            Type(app, "proc:wget 192.0.2.3");
            app.InjectKey(Key.Enter);
            Assert.Equal(["192.0.2.3:443"], Remotes(view));

            // Esc in the prompt puts back the filter there was.
            app.InjectKey(new Key('/'));
            Type(app, "x");
            Assert.Empty(Remotes(view));
            Assert.Contains("no rows match", Draw(app));
            app.InjectKey(Key.Esc);
            Assert.False(view.Prompt.IsOpen);
            Assert.Equal(["192.0.2.3:443"], Remotes(view));
            Assert.Equal("proc:wget 192.0.2.3", view.HalfOpenPanel.FilterText);

            // An unknown field is an error beside the prompt; the old filter stays; Enter does not close.
            app.InjectKey(new Key('/'));
            for (int i = 0; i < 30; i++)
            {
                app.InjectKey(Key.Backspace);
            }
            Type(app, "colour:red");
            Assert.StartsWith("unknown field \"colour\" (fields here: port, state, proc, local, remote", view.Prompt.Error);
            app.InjectKey(Key.Enter);
            Assert.True(view.Prompt.IsOpen);
            Assert.Contains("unknown field", Draw(app));

            // An empty filter clears.
            for (int i = 0; i < 30; i++)
            {
                app.InjectKey(Key.Backspace);
            }
            app.InjectKey(Key.Enter);
            Assert.Null(view.HalfOpenPanel.FilterText);
            Assert.Equal(4, view.HalfOpenPanel.Source.Rows);
            Assert.Contains("filter cleared", Draw(app));

            // Other panels are untouched by a Half-open filter.
            Assert.Null(view.ListenersPanel.FilterText);
        }
    }

    [Fact]
    public void A_filter_survives_new_snapshots_and_keeps_the_selection()
    {
        HostSnapshot s = HalfOpenMix();
        (IApplication app, MainView view) = Open(s);
        using (app)
        using (view)
        {
            app.InjectKey(Key.D2);
            Assert.Null(view.HalfOpenPanel.TrySetFilter("state:syn_sent"));
            Assert.Equal(3, view.HalfOpenPanel.Source.Rows);
            view.HalfOpenPanel.Table.SetSelection(0, 2, false);
            ulong key = view.HalfOpenPanel.SelectedRow!.Key;
            view.Show(s with { Sequence = 6, HalfOpen = [.. s.HalfOpen.Reverse()] });
            Assert.Equal(3, view.HalfOpenPanel.Source.Rows);
            Assert.Equal(key, view.HalfOpenPanel.SelectedRow!.Key);
        }
    }

    [Fact]
    public void Angle_brackets_pick_the_sort_column_with_an_indicator_and_r_reverses()
    {
        (IApplication app, MainView view) = Open(HalfOpenMix());
        using (app)
        using (view)
        {
            app.InjectKey(Key.D2);
            // Model order first (worst first as the snapshot has it).
            Assert.Equal(["192.0.2.1:443", "192.0.2.2:80", "198.51.100.7:50000", "192.0.2.3:443"], Remotes(view));
            app.InjectKey(new Key('>')); // STATE
            app.InjectKey(new Key('>')); // LOCAL
            app.InjectKey(new Key('>')); // REMOTE, ascending (text)
            Assert.Equal(2, view.HalfOpenPanel.SortColumn);
            Assert.Equal(["192.0.2.1:443", "192.0.2.2:80", "192.0.2.3:443", "198.51.100.7:50000"], Remotes(view));
            Assert.Contains("REMOTE▲", Draw(app));
            app.InjectKey(Key.R);
            Assert.Equal(["198.51.100.7:50000", "192.0.2.3:443", "192.0.2.2:80", "192.0.2.1:443"], Remotes(view));
            Assert.Contains("REMOTE▼", Draw(app));

            // AGE is a number column: biggest first, by value not by text ("9.0s" vs "500ms").
            app.InjectKey(new Key('>'));
            app.InjectKey(new Key('>'));
            Assert.Equal(4, view.HalfOpenPanel.SortColumn);
            Assert.Equal(["192.0.2.1:443", "192.0.2.3:443", "192.0.2.2:80", "198.51.100.7:50000"], Remotes(view));
            string screen = Draw(app);
            Assert.Contains("AGE▼", screen);
            Assert.DoesNotContain("REMOTE▼", screen);
            Assert.Contains("Half-open: sorted by AGE", screen);

            // < from the first column goes back to the model's order, no indicator.
            for (int i = 0; i < 5; i++)
            {
                app.InjectKey(new Key('<'));
            }
            Assert.Equal(-1, view.HalfOpenPanel.SortColumn);
            Assert.DoesNotContain("▼", Draw(app));
            Assert.DoesNotContain("▲", Draw(app));
        }
    }

    [Fact]
    public void Plus_and_minus_change_the_refresh_interval_within_bounds_and_tell_the_hub()
    {
        List<TimeSpan> told = [];
        TuiOptions options = Headless.Options() with { RefreshIntervalChanged = told.Add };
        (IApplication app, MainView view) = Open(Fixtures.Scenario(), options);
        using (app)
        using (view)
        {
            app.InjectKey(new Key('+'));
            Assert.Equal(TimeSpan.FromSeconds(2), view.RefreshInterval);
            Assert.Contains("NetTop  web01  netns host  kernel 6.18.0  refresh 2.0s  LIVE", Draw(app));
            app.InjectKey(new Key('-'));
            app.InjectKey(new Key('-'));
            app.InjectKey(new Key('-'));
            Assert.Equal(TimeSpan.FromSeconds(0.2), view.RefreshInterval);
            app.InjectKey(new Key('-')); // bounded: stays, says so, tells nobody
            Assert.Equal(TimeSpan.FromSeconds(0.2), view.RefreshInterval);
            Assert.Contains("refresh stays 0.2s", Draw(app));
            Assert.Equal([2, 1, 0.5, 0.2], told.Select(t => t.TotalSeconds));
            for (int i = 0; i < 20; i++)
            {
                app.InjectKey(new Key('+'));
            }
            Assert.Equal(TimeSpan.FromSeconds(60), view.RefreshInterval);
            Assert.Contains("refresh 60.0s", Draw(app));
        }
    }

    [Fact]
    public void Shift_T_cycles_every_shipped_theme_and_recolors_the_screen()
    {
        (IApplication app, MainView view) = Open(Fixtures.Full());
        using (app)
        using (view)
        {
            string[] expected = [.. Directory.GetFiles(Path.GetDirectoryName(Headless.ThemePath("default"))!, "*.json")
                .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!];
            Assert.Contains("high-contrast", expected);
            List<string> seen = [view.Theme.Name];
            for (int i = 0; i < expected.Length; i++)
            {
                app.InjectKey(Key.T.WithShift);
                seen.Add(view.Theme.Name);
                Assert.Contains("theme " + view.Theme.Name, Draw(app));
                // The header is drawn in the new theme's header colors.
                Terminal.Gui.Drawing.Attribute a = app.Driver!.Contents![0, 0].Attribute!.Value;
                Assert.Equal(view.Theme.Header.Normal.Background, a.Background);
            }
            Assert.Equal("default", seen[^1]); // round trip
            Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Skip(1).Concat(["default"]).Distinct().Order(StringComparer.Ordinal));
        }
        ThemeLoader.Register(Headless.DefaultTheme);
    }

    [Fact]
    public void W_writes_the_selected_flow_through_the_writer_and_shows_the_path_or_the_error()
    {
        List<(NetEndpoint, NetEndpoint)> asked = [];
        bool fail = false;
        TuiOptions options = Headless.Options() with
        {
            WritePcap = (l, r) =>
            {
                asked.Add((l, r));
                return fail ? throw new IOException("Read-only file system") : "/var/tmp/nettop/flow.pcap (4 packets)";
            },
        };
        (IApplication app, MainView view) = Open(Fixtures.Full(), options);
        using (app)
        using (view)
        {
            // Listen queues rows have no flow.
            app.InjectKey(Key.W);
            Assert.Empty(asked);
            Assert.Contains("select a Half-open or RST feed row", Draw(app));

            app.InjectKey(Key.D2);
            app.InjectKey(Key.W);
            Assert.Equal((Fixtures.Ep("10.0.0.5:41000"), Fixtures.Ep("192.0.2.1:443")), asked.Single());
            Assert.Contains("pcap /var/tmp/nettop/flow.pcap (4 packets)", Draw(app));

            fail = true;
            app.InjectKey(Key.D3);
            app.InjectKey(Key.W);
            Assert.Equal((Fixtures.Ep("127.0.0.1:8080"), Fixtures.Ep("127.0.0.1:52001")), asked[^1]);
            Assert.Contains("pcap of 127.0.0.1:8080 ⇄ 127.0.0.1:52001 failed: Read-only file system", Draw(app));
            // Still running: keys still work.
            app.InjectKey(Key.P);
            Assert.True(view.Paused);
        }

        // Without a writer the key says why.
        (IApplication app2, MainView view2) = Open(Fixtures.Full());
        using (app2)
        using (view2)
        {
            app2.InjectKey(Key.D2);
            app2.InjectKey(Key.W);
            Assert.Contains("pcap export is not available here", Draw(app2));
        }
    }

    [Fact]
    public void A_click_selects_the_row_and_focuses_its_panel_and_the_wheel_moves_the_selection()
    {
        HostSnapshot s = HalfOpenMix() with
        {
            Listeners = [.. Enumerable.Range(0, 30).Select(i => Fixtures.Listener((ulong)i + 1, $"127.0.0.1:{9000 + i}", 0, 128))],
        };
        (IApplication app, MainView view) = Open(s);
        using (app)
        using (view)
        {
            Assert.True(view.ListenersTable.HasFocus);
            string[] lines = Draw(app).Split(Environment.NewLine);
            int y = Array.FindIndex(lines, l => l.Contains("192.0.2.3:443", StringComparison.Ordinal));
            app.InjectSequence(InputInjectionExtensions.LeftButtonClick(new System.Drawing.Point(lines[y].IndexOf("192.0.2.3", StringComparison.Ordinal), y)));
            app.LayoutAndDraw();
            Assert.True(view.HalfOpenTable.HasFocus);
            Assert.Equal("192.0.2.3:443", view.HalfOpenPanel.SelectedRow!.Remote.ToString());
            Assert.Contains("│ Half-open", view.Header.Drawn);

            app.InjectKey(Key.D1);
            int listenerRow = Array.FindIndex(lines, l => l.Contains("127.0.0.1:9001 ", StringComparison.Ordinal));
            System.Drawing.Point at = new(5, listenerRow);
            app.InjectMouse(new Mouse { ScreenPosition = at, Flags = MouseFlags.WheeledDown });
            app.InjectMouse(new Mouse { ScreenPosition = at, Flags = MouseFlags.WheeledDown });
            Assert.Equal(6, view.ListenersTable.Value!.SelectedCell.Y);
            app.InjectMouse(new Mouse { ScreenPosition = at, Flags = MouseFlags.WheeledUp });
            Assert.Equal(3, view.ListenersTable.Value!.SelectedCell.Y);
        }
    }

    [Fact]
    public void Enter_on_a_listener_lists_its_process_SYN_SENT_and_Enter_there_opens_the_connection_and_Esc_walks_back()
    {
        // A forwarder: nginx/1234 listens on :8080 and its own connect to a stale upstream hangs in SYN_SENT.
        HostSnapshot s = Fixtures.Full();
        HalfOpenRow sent = s.HalfOpen.Single(h => h.State == HalfOpenState.SynSent);
        s = s with { HalfOpen = [.. s.HalfOpen.Select(h => h == sent ? h with { Process = "nginx", Pid = 1234 } : h)] };
        List<(NetEndpoint, NetEndpoint)> packetsAsked = [];
        TuiOptions options = Headless.Options() with
        {
            FlowPackets = (l, r) =>
            {
                packetsAsked.Add((l, r));
                return
                [
                    Packet(0, PacketDirection.Out, l, r, TcpFlags.Syn),
                    Packet(1000, PacketDirection.Out, l, r, TcpFlags.Syn),
                    new PacketEvent
                    {
                        Time = T0.AddMilliseconds(1200), IfIndex = 2, Direction = PacketDirection.In, Family = IpFamily.V4,
                        Protocol = 1, Source = Fixtures.Ep("10.0.0.1:0"), Destination = Fixtures.Ep("10.0.0.5:0"),
                        IsIcmpError = true, IcmpType = 3, IcmpCode = 1, InnerProtocol = 6, InnerSource = l, InnerDestination = r,
                    },
                ];
            },
        };
        HostSnapshot current = s;
        IApplication app = Headless.Create(120, 40);
        using MainView view = new(options, Headless.DefaultTheme, () => current);
        string? listener = null, connection = null, crumbs2 = null, crumbs1 = null, afterUpdate = null;
        using (app)
        {
            Script.Run(app, view,
                Script.Do(() => view.Pull()),
                Script.Do(() => app.InjectKey(Key.D1)),
                Script.Do(() => app.InjectKey(Key.Enter)),
                () => view.Modals.Count == 1,
                () =>
                {
                    listener = Draw(app);
                    crumbs1 = view.Breadcrumb();
                    return true;
                },
                // The listener's rows: its SYN_RECV client first, then its own connect.
                Script.Do(() => app.InjectKey(Key.CursorDown)),
                Script.Do(() => app.InjectKey(Key.Enter)),
                () => view.Modals.Count == 2,
                () =>
                {
                    connection = string.Join('\n', ((DetailView)view.Modals[1]).Pane.Lines);
                    crumbs2 = view.Breadcrumb();
                    return true;
                },
                // A covered screen stops refreshing: a new snapshot reaches only the top one.
                Script.Do(() =>
                {
                    current = current with { Sequence = 50, Listeners = [] };
                    view.Pull();
                }),
                () =>
                {
                    afterUpdate = string.Join('\n', ((ListenerView)view.Modals[0]).HeadLines);
                    return true;
                },
                Script.Do(() => app.InjectKey(Key.Esc)),
                () => view.Modals.Count == 1,
                Script.Do(() => app.InjectKey(Key.Esc)),
                () => view.Modals.Count == 0);
        }
        string[] rows = listener!.Split(Environment.NewLine);
        Assert.Matches(@"own connect\s+SYN_SENT\s+10\.0\.0\.5:41000\s+192\.0\.2\.1:443\s+nginx/1234", rows.Single(l => l.Contains("own connect", StringComparison.Ordinal)));
        Assert.Equal("│ Listen queues › Listener 127.0.0.1:8080", crumbs1);
        Assert.Equal("│ Listen queues › Listener 127.0.0.1:8080 › 10.0.0.5:41000 → 192.0.2.1:443", crumbs2);

        Assert.Contains("SYN_SENT  10.0.0.5:41000 → 192.0.2.1:443   (ipv4)   cookie 0x2001", connection);
        Assert.Contains("process  nginx/1234", connection);
        Assert.Contains("timer", connection);
        Assert.Contains("queues   recv-q 0   send-q 0", connection);
        Assert.Contains("firewall suspects 1", connection);
        Assert.Contains("timeline (3 control packets captured; w writes them to a pcap)", connection);
        Assert.Matches(@"\+0\.000s  out  10\.0\.0\.5:41000 → 192\.0\.2\.1:443  SYN  \[S\]", connection);
        Assert.Matches(@"\+1\.000s  out  .*  SYN ", connection);
        Assert.Contains("ICMP error type 3 code 1 (host unreachable) about 10.0.0.5:41000 → 192.0.2.1:443", connection);
        Assert.Contains((Fixtures.Ep("10.0.0.5:41000"), Fixtures.Ep("192.0.2.1:443")), packetsAsked);
        // The covered listener screen did not take the snapshot without the listener.
        Assert.DoesNotContain("gone at", afterUpdate);
    }

    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch.AddDays(20000);

    private static PacketEvent Packet(int ms, PacketDirection dir, NetEndpoint l, NetEndpoint r, TcpFlags flags) => new()
    {
        Time = T0.AddMilliseconds(ms),
        IfIndex = 2,
        Direction = dir,
        Family = IpFamily.V4,
        Protocol = 6,
        Source = dir == PacketDirection.Out ? l : r,
        Destination = dir == PacketDirection.Out ? r : l,
        Flags = flags,
    };

    [Fact]
    public void A_connection_detail_shows_the_whole_tcp_info_and_says_closed_at_when_the_flow_goes()
    {
        TcpSocket est = new()
        {
            Family = IpFamily.V4, State = TcpState.Established, Local = Fixtures.Ep("10.0.0.5:5000"), Remote = Fixtures.Ep("10.0.0.9:80"),
            Cookie = 0x77, Inode = 9, RQueue = 1, WQueue = 2, HasTcpInfo = true, HasSkMem = true, Congestion = "bbr",
            Info = new TcpInfo
            {
                RttUs = 1500, RttVarUs = 250, SndCwnd = 10, SndSsthresh = 0x7fffffff, TotalRetrans = 3, Lost = 1, BytesAcked = 12345,
                BytesReceived = 678, DeliveryRate = 125_000, PacingRate = 250_000, LastDataSentMs = 1200, LastDataRecvMs = 300,
            },
            SkMem = new SkMemInfo { RcvBuf = 131072, SndBuf = 16384, Drops = 4 },
        };
        HostSnapshot s = Fixtures.Empty(3) with { Sockets = [est] };
        ConnectionKey key = new(0x77, est.Local, est.Remote);
        DetailContext ctx = new(null, pid => pid == 42 ? "/usr/bin/app --serve" : null,
            new Owners(9, new ProcessOwner(42, "app")));
        string text = string.Join('\n', Connection.Lines(s, key, ctx)!);
        Assert.Contains("ESTABLISHED  10.0.0.5:5000 → 10.0.0.9:80", text);
        Assert.Contains("process  app/42", text);
        Assert.Contains("command  /usr/bin/app --serve", text);
        Assert.Contains("queues   recv-q 1   send-q 2", text);
        Assert.Contains("tcp_info rtt 1.5ms ± 250µs", text);
        Assert.Contains("cwnd 10   ssthresh ∞", text);
        Assert.Contains("retransmits 0 now, 3 total   lost 1", text);
        Assert.Contains("bytes acked 12.3k   received 678", text);
        Assert.Contains("delivery rate 1Mbit/s   pacing rate 2Mbit/s", text);
        Assert.Contains("last send 1.2s ago   last receive 300ms ago", text);
        Assert.Contains("skmem    rmem 0/131072   wmem 0/16384", text);
        Assert.Contains("drops 4", text);
        Assert.Contains("cc       bbr   ca_state open", text);
        Assert.Contains("timeline unavailable: the packet capture is off", text);

        using DetailView view = new("c", Headless.DefaultTheme, Connection.Lines(s, key, ctx)!,
            snap => Connection.Lines(snap, key, ctx), goneWord: "closed");
        HostSnapshot later = Fixtures.Empty(4) with { TakenAt = s.TakenAt.AddSeconds(5) };
        view.Refresh(later);
        Assert.True(view.IsGone);
        Assert.Equal(DetailView.GoneNote(later.TakenAt, "closed"), view.Pane.Lines[0]);
        Assert.StartsWith("closed at ", view.Pane.Lines[0]);
        Assert.Contains("ESTABLISHED  10.0.0.5:5000", view.Pane.ToString()); // last known state kept
    }

    private sealed class Owners(ulong inode, ProcessOwner owner) : IProcessOwners
    {
        public bool TryGet(ulong i, out ProcessOwner? o)
        {
            o = i == inode ? owner : null;
            return o is not null;
        }
    }

    [Fact]
    public void Port_in_firewall_rule_text_matches_whole_numbers_only()
    {
        Assert.True(FilterFields.PortInText("-p tcp -m tcp --dport 443 -j DROP", "443"));
        Assert.False(FilterFields.PortInText("-p tcp -m tcp --dport 4430 -j DROP", "443"));
        Assert.False(FilterFields.PortInText("-d 10.0.0.443/32 -j DROP", "443"));
        Assert.True(FilterFields.PortInText("tcp dport { 80, 443 } drop", "80"));
    }

    [Fact]
    public void The_header_keeps_the_full_info_and_cuts_the_breadcrumb_from_the_left_when_narrow()
    {
        const string info = "NetTop  web01  netns host  kernel 6.18.0  refresh 1.0s  LIVE  12:00:00";
        const string shortInfo = "NetTop web01 host 1.0s LIVE  12:00:00";
        const string crumb = "│ Half-open › SYN_SENT 10.0.0.5:41000 → 192.0.2.1:443";
        Assert.Equal(info + "  " + crumb, HeaderLine.Fit(info, shortInfo, crumb, 160));
        string at100 = HeaderLine.Fit(info, shortInfo, crumb, 100);
        Assert.Equal(100, at100.Length);
        Assert.StartsWith(info + "  …", at100);
        Assert.EndsWith("192.0.2.1:443", at100);
        string at80 = HeaderLine.Fit(info, shortInfo, crumb, 80);
        Assert.StartsWith(shortInfo + "  …", at80);
        Assert.EndsWith("192.0.2.1:443", at80);
        Assert.True(at80.Length <= 80);
    }
}
