using System.Collections.Immutable;
using NetTop.Model.Firewall;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;
using NetTop.Tui.Detail;
using NetTop.Tui.Themes;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>The main screen's global keys (s, T, + -, p) inside a detail, and `w` in the trace view.</summary>
public sealed class DetailKeysTests
{
    private static string Draw(IApplication app)
    {
        app.LayoutAndDraw();
        return Headless.Screen(app);
    }

    [Fact]
    public void S_in_a_connection_detail_saves_the_detail_as_drawn()
    {
        HostSnapshot s = Fixtures.Full();
        string? saved = null;
        TuiOptions options = Headless.Options() with
        {
            SaveSnapshot = (_, text) =>
            {
                saved = text;
                return "/var/tmp/nettop/nettop-web01-x.{txt,json}";
            },
        };
        using IApplication app = Headless.Create(120, 40);
        using MainView view = new(options, Headless.DefaultTheme, () => s);
        string? detail = null;
        string? after = null;
        Script.Run(app, view,
            Script.Do(() => view.Pull()),
            Script.Do(() => app.InjectKey(Key.D2)),
            Script.Do(() => app.InjectKey(Key.Enter)),
            () => view.Modals.Count == 1,
            Script.Do(() => detail = Draw(app)),
            Script.Do(() => app.InjectKey(Key.S)),
            Script.Do(() => after = Draw(app)),
            Script.Do(() => app.InjectKey(Key.Esc)),
            () => view.Modals.Count == 0);

        Assert.NotNull(saved);
        Assert.Equal(detail, saved); // the screen as drawn: the detail over the main screen
        Assert.Contains("SYN_SENT 10.0.0.5:41000 → 192.0.2.1:443", saved);
        Assert.Contains("╔", saved);
        Assert.Contains("saved /var/tmp/nettop/nettop-web01-x.{txt,json}", after); // said on the status line
    }

    [Fact]
    public void Shift_T_plus_minus_and_p_work_in_a_detail()
    {
        HostSnapshot s = Fixtures.Full();
        using IApplication app = Headless.Create(120, 40);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => s);
        string before = view.Theme.Name;
        Theme? themeInDetail = null;
        Terminal.Gui.Drawing.Scheme? detailScheme = null;
        TimeSpan slower = default;
        TimeSpan faster = default;
        bool paused = false;
        try
        {
            Script.Run(app, view,
                Script.Do(() => view.Pull()),
                Script.Do(() => app.InjectKey(Key.D3)), // RST feed
                Script.Do(() => app.InjectKey(Key.Enter)),
                () => view.Modals.Count == 1,
                Script.Do(() => app.InjectKey(Key.T.WithShift)),
                Script.Do(() =>
                {
                    themeInDetail = view.Theme;
                    detailScheme = view.Modals[0].GetScheme();
                }),
                Script.Do(() => app.InjectKey(new Key('+'))),
                Script.Do(() => slower = view.RefreshInterval),
                Script.Do(() => app.InjectKey(new Key('-'))),
                Script.Do(() => app.InjectKey(new Key('-'))),
                Script.Do(() => faster = view.RefreshInterval),
                Script.Do(() => app.InjectKey(Key.P)),
                Script.Do(() => paused = view.Paused),
                Script.Do(() => app.InjectKey(Key.Esc)),
                () => view.Modals.Count == 0);
        }
        finally
        {
            ThemeLoader.Register(Headless.DefaultTheme); // themes are process-wide
        }

        Assert.NotNull(themeInDetail);
        Assert.NotEqual(before, themeInDetail.Name);
        Assert.Equal(themeInDetail.Panel, detailScheme); // the open detail took the new colors
        Assert.Equal(TimeSpan.FromSeconds(2), slower);
        Assert.Equal(TimeSpan.FromSeconds(0.5), faster);
        Assert.True(paused);
    }

    private sealed class FakeTrace : IFlowTraceView
    {
        public string Title => "10.0.0.5:41000 ⇄ 192.0.2.1:443 (fake)";
        public string Status => "ok: tracing";
        public long Version => 1;
        public ImmutableArray<TracePacket> Packets => [];

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public void W_in_the_trace_view_writes_the_traced_flow()
    {
        HostSnapshot s = Fixtures.Full();
        List<(NetEndpoint, NetEndpoint)> asked = [];
        TuiOptions options = Headless.Options() with
        {
            TraceFlow = _ => Task.FromResult<IFlowTraceView>(new FakeTrace()),
            WritePcap = (l, r) =>
            {
                asked.Add((l, r));
                return "/var/tmp/nettop/flow.pcap (2 packets)";
            },
        };
        using IApplication app = Headless.Create(120, 40);
        using MainView view = new(options, Headless.DefaultTheme, () => s);
        string? screen = null;
        Script.Run(app, view,
            Script.Do(() => view.Pull()),
            Script.Do(() => app.InjectKey(Key.D2)),
            Script.Do(() => app.InjectKey(Key.T)),
            () => view.Modals.Count == 1 && view.Modals[0] is TraceView,
            Script.Do(() => app.InjectKey(Key.W)),
            Script.Do(() => screen = Draw(app)),
            Script.Do(() => app.InjectKey(Key.Esc)),
            () => view.Modals.Count == 0);

        Assert.Equal((Fixtures.Ep("10.0.0.5:41000"), Fixtures.Ep("192.0.2.1:443")), asked.Single());
        Assert.Contains("pcap /var/tmp/nettop/flow.pcap (2 packets)", screen);
        Assert.Contains("w write pcap", screen);
    }
}
