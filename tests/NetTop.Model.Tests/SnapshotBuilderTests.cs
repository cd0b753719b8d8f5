using System.Collections.Immutable;
using NetTop.Model.Counters;
using NetTop.Model.Net;
using NetTop.Model.Snapshot;
using NetTop.Model.Sockets;
using static NetTop.Model.Tests.Sockets;

namespace NetTop.Model.Tests;

public sealed class SnapshotBuilderTests
{
    private static readonly DateTimeOffset s_t0 = new(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private readonly SnapshotBuilder _builder = new("host1", "6.8.0", "host", TimeSpan.FromSeconds(5));

    private HostSnapshot Build(double atSeconds, params TcpSocket[] sockets) =>
        Build(atSeconds, NoProcessOwners.Instance, sockets);

    private HostSnapshot Build(double atSeconds, IProcessOwners owners, params TcpSocket[] sockets)
    {
        TimeSpan at = TimeSpan.FromSeconds(atSeconds);
        return _builder.Build(new SnapshotInputs
        {
            At = at,
            Now = s_t0 + at,
            Sockets = Sample(at, sockets),
            Owners = owners,
        });
    }

    private static ListenerRow Row(HostSnapshot s, string local) =>
        Assert.Single(s.Listeners, l => l.Local == Ep(local));

    [Fact]
    public void Listener_row_takes_accept_queue_and_backlog_from_the_queues()
    {
        FakeOwners owners = new(new() { [4242] = new ProcessOwner(1234, "nginx") });
        HostSnapshot s = Build(1, owners, Listener("127.0.0.1:8080", cookie: 11, acceptQueue: 3, backlog: 128, inode: 4242));

        ListenerRow r = Assert.Single(s.Listeners);
        Assert.Equal(11UL, r.Key);
        Assert.Equal(IpFamily.V4, r.Family);
        Assert.Equal("127.0.0.1:8080", r.Local.ToString());
        Assert.Equal(3u, r.AcceptQueue);
        Assert.Equal(128u, r.Backlog);
        Assert.Equal(3u, r.PeakAcceptQueue);
        Assert.Equal(0, r.SynRecv);
        Assert.Equal("nginx", r.Process);
        Assert.Equal(1234, r.Pid);
        Assert.Equal(4242UL, r.Inode);
        Assert.Null(r.Drops);
        Assert.Null(r.DropsPerSec);
        Assert.False(r.IsGone);
        Assert.Equal(1L, s.Sequence);
        Assert.Equal("host1", s.Host);
        Assert.Equal("6.8.0", s.Kernel);
        Assert.Null(s.BacklogUnknownReason);
    }

    [Fact]
    public void Unknown_backlog_is_null_not_the_write_queue()
    {
        TcpSocket l = Listener("0.0.0.0:22", cookie: 1, acceptQueue: 2, backlog: null);
        l.WQueue = 77; // /proc/net/tcp's tx_queue of a listener is not its backlog
        HostSnapshot s = Build(1, l);
        ListenerRow r = Assert.Single(s.Listeners);
        Assert.Null(r.Backlog);
        Assert.Null(r.Fill);
        Assert.False(r.IsFull);
        Assert.Equal(2u, r.AcceptQueue);
    }

    [Fact]
    public void Listener_without_known_owner_has_null_process_and_pid()
    {
        FakeOwners owners = new([]);
        HostSnapshot s = Build(1, owners, Listener("0.0.0.0:22", cookie: 1, inode: 99), Listener("0.0.0.0:23", cookie: 2, inode: 0));
        Assert.All(s.Listeners, r => { Assert.Null(r.Process); Assert.Null(r.Pid); });
        Assert.Equal([99UL], owners.Asked);
    }

    [Fact]
    public void Peak_accept_queue_keeps_the_maximum_across_builds()
    {
        Assert.Equal(2u, Row(Build(1, Listener("127.0.0.1:80", 7, acceptQueue: 2)), "127.0.0.1:80").PeakAcceptQueue);
        ListenerRow r = Row(Build(2, Listener("127.0.0.1:80", 7, acceptQueue: 9)), "127.0.0.1:80");
        Assert.Equal(9u, r.PeakAcceptQueue);
        r = Row(Build(3, Listener("127.0.0.1:80", 7, acceptQueue: 1)), "127.0.0.1:80");
        Assert.Equal(1u, r.AcceptQueue);
        Assert.Equal(9u, r.PeakAcceptQueue);
        r = Row(Build(4, Listener("127.0.0.1:80", 7, acceptQueue: 0)), "127.0.0.1:80");
        Assert.Equal(9u, r.PeakAcceptQueue);
    }

    [Fact]
    public void Peaks_are_per_listener()
    {
        Build(1, Listener("127.0.0.1:80", 7, acceptQueue: 9), Listener("127.0.0.1:81", 8, acceptQueue: 1));
        HostSnapshot s = Build(2, Listener("127.0.0.1:80", 7, acceptQueue: 0), Listener("127.0.0.1:81", 8, acceptQueue: 2));
        Assert.Equal(9u, Row(s, "127.0.0.1:80").PeakAcceptQueue);
        Assert.Equal(2u, Row(s, "127.0.0.1:81").PeakAcceptQueue);
    }

    [Fact]
    public void Drops_per_second_comes_from_sk_drops_over_the_sample_times()
    {
        HostSnapshot first = Build(10, Listener("127.0.0.1:80", 7, drops: 100));
        ListenerRow r = Row(first, "127.0.0.1:80");
        Assert.Equal(100UL, r.Drops);
        Assert.Null(r.DropsPerSec);

        HostSnapshot second = Build(12, Listener("127.0.0.1:80", 7, drops: 130));
        r = Row(second, "127.0.0.1:80");
        Assert.Equal(130UL, r.Drops);
        Assert.Equal(15.0, r.DropsPerSec!.Value, 9);
    }

    [Fact]
    public void Drops_rate_uses_the_sockets_sample_time_not_the_tick_time()
    {
        SnapshotInputs Inputs(double tick, double sampled, uint drops) => new()
        {
            At = TimeSpan.FromSeconds(tick),
            Now = s_t0,
            Sockets = Sample(TimeSpan.FromSeconds(sampled), Listener("127.0.0.1:80", 7, drops: drops)),
        };
        _builder.Build(Inputs(tick: 10, sampled: 9, drops: 0));
        HostSnapshot s = _builder.Build(Inputs(tick: 11, sampled: 13, drops: 40));
        Assert.Equal(10.0, Row(s, "127.0.0.1:80").DropsPerSec!.Value, 9);
    }

    [Fact]
    public void Drops_counter_going_down_gives_no_rate()
    {
        Build(1, Listener("127.0.0.1:80", 7, drops: 100));
        ListenerRow r = Row(Build(2, Listener("127.0.0.1:80", 7, drops: 5)), "127.0.0.1:80");
        Assert.Null(r.DropsPerSec);
        Assert.Equal(5UL, r.Drops);
    }

    [Fact]
    public void SynRecv_is_counted_under_the_listener_with_the_same_address_and_port()
    {
        HostSnapshot s = Build(1,
            Listener("127.0.0.1:8080", 1),
            Listener("127.0.0.2:8080", 2),
            Listener("127.0.0.1:9090", 3),
            SynRecv("127.0.0.1:8080", "127.0.0.9:40000", 100),
            SynRecv("127.0.0.1:8080", "127.0.0.9:40001", 101),
            SynRecv("127.0.0.2:8080", "127.0.0.9:40002", 102));

        Assert.Equal(2, Row(s, "127.0.0.1:8080").SynRecv);
        Assert.Equal(1, Row(s, "127.0.0.2:8080").SynRecv);
        Assert.Equal(0, Row(s, "127.0.0.1:9090").SynRecv);
        Assert.Equal(3, s.HalfOpen.Length);
        Assert.All(s.HalfOpen, h => Assert.Equal(HalfOpenState.SynRecv, h.State));
        Assert.Equal(1UL, s.HalfOpen.Single(h => h.Key == 100).ListenerKey);
        Assert.Equal(2UL, s.HalfOpen.Single(h => h.Key == 102).ListenerKey);
    }

    [Fact]
    public void NewSynRecv_state_counts_like_SynRecv()
    {
        TcpSocket req = SynRecv("10.0.0.1:80", "10.0.0.2:5000", 100);
        req.State = TcpState.NewSynRecv;
        HostSnapshot s = Build(1, Listener("10.0.0.1:80", 1), req);
        Assert.Equal(1, Row(s, "10.0.0.1:80").SynRecv);
        Assert.Equal("SYN_RECV", Assert.Single(s.HalfOpen).StateName);
    }

    [Fact]
    public void SynRecv_counts_under_an_ipv4_wildcard_listener()
    {
        HostSnapshot s = Build(1, Listener("0.0.0.0:80", 1), SynRecv("10.0.0.1:80", "10.0.0.2:5000", 100));
        Assert.Equal(1, Row(s, "0.0.0.0:80").SynRecv);
        Assert.Equal(1UL, Assert.Single(s.HalfOpen).ListenerKey);
    }

    [Theory]
    [InlineData("10.0.0.1:80")]
    [InlineData("[::ffff:10.0.0.1]:80")]
    [InlineData("[2001:db8::1]:80")]
    public void Dual_stack_ipv6_wildcard_takes_ipv4_and_ipv6_requests(string local)
    {
        HostSnapshot s = Build(1, Listener("[::]:80", 1), SynRecv(local, "10.0.0.2:5000", 100));
        Assert.Equal(1, Row(s, "[::]:80").SynRecv);
    }

    [Fact]
    public void Ipv4_wildcard_does_not_take_ipv6_requests()
    {
        HostSnapshot s = Build(1, Listener("0.0.0.0:80", 1), SynRecv("[2001:db8::1]:80", "[2001:db8::2]:5000", 100));
        Assert.Equal(0, Row(s, "0.0.0.0:80").SynRecv);
        Assert.Null(Assert.Single(s.HalfOpen).ListenerKey);
    }

    [Fact]
    public void With_both_wildcards_each_family_goes_to_its_own()
    {
        foreach (TcpSocket[] order in new[]
        {
            new[] { Listener("[::]:80", 6), Listener("0.0.0.0:80", 4) },
            new[] { Listener("0.0.0.0:80", 4), Listener("[::]:80", 6) },
        })
        {
            SnapshotBuilder b = new("h", "k", "host");
            TimeSpan at = TimeSpan.FromSeconds(1);
            HostSnapshot s = b.Build(new SnapshotInputs
            {
                At = at,
                Now = s_t0,
                Sockets = Sample(at, [.. order,
                    SynRecv("10.0.0.1:80", "10.0.0.2:5000", 100),
                    SynRecv("[2001:db8::1]:80", "[2001:db8::2]:5000", 101)]),
            });
            Assert.Equal(1, Row(s, "0.0.0.0:80").SynRecv);
            Assert.Equal(1, Row(s, "[::]:80").SynRecv);
        }
    }

    [Fact]
    public void Exact_address_match_is_preferred_over_a_wildcard()
    {
        // The wildcard comes first in the dump, so a first-match search would pick it.
        HostSnapshot s = Build(1,
            Listener("0.0.0.0:80", 1),
            Listener("[::]:80", 2),
            Listener("127.0.0.1:80", 3),
            SynRecv("127.0.0.1:80", "127.0.0.1:40000", 100),
            SynRecv("10.9.9.9:80", "10.0.0.2:40000", 101));
        Assert.Equal(1, Row(s, "127.0.0.1:80").SynRecv);
        Assert.Equal(1, Row(s, "0.0.0.0:80").SynRecv);
        Assert.Equal(0, Row(s, "[::]:80").SynRecv);
        Assert.Equal(3UL, s.HalfOpen.Single(h => h.Key == 100).ListenerKey);
    }

    [Fact]
    public void V4_mapped_request_matches_an_exact_ipv4_listener()
    {
        HostSnapshot s = Build(1, Listener("[::]:80", 1), Listener("10.0.0.1:80", 2),
            SynRecv("[::ffff:10.0.0.1]:80", "[::ffff:10.0.0.2]:5000", 100));
        Assert.Equal(1, Row(s, "10.0.0.1:80").SynRecv);
        Assert.Equal(0, Row(s, "[::]:80").SynRecv);
    }

    [Fact]
    public void SynRecv_on_a_port_nobody_listens_on_is_listed_without_a_listener()
    {
        HostSnapshot s = Build(1, Listener("0.0.0.0:80", 1), SynRecv("10.0.0.1:81", "10.0.0.2:5000", 100));
        Assert.Equal(0, Row(s, "0.0.0.0:80").SynRecv);
        HalfOpenRow h = Assert.Single(s.HalfOpen);
        Assert.Null(h.ListenerKey);
        Assert.Null(h.Process);
    }

    [Fact]
    public void SynRecv_row_takes_the_listeners_owner_and_an_age_from_the_synack_schedule()
    {
        FakeOwners owners = new(new() { [500] = new ProcessOwner(77, "httpd") });
        HostSnapshot s = Build(1, owners, Listener("0.0.0.0:80", 1, inode: 500),
            SynRecv("10.0.0.1:80", "10.0.0.2:5000", 100, retrans: 2, expiresMs: 3524));
        HalfOpenRow h = Assert.Single(s.HalfOpen);
        Assert.Equal("httpd", h.Process);
        Assert.Equal(77, h.Pid);
        Assert.Equal(3476, h.AgeMs);
        Assert.Equal(2, h.Retransmits);
        Assert.Null(h.Backoff);
        Assert.Equal(3524u, h.ExpiresMs);
        Assert.Equal("10.0.0.2:5000", h.Remote.ToString());
    }

    [Fact]
    public void SynSent_rows_use_the_owner_of_their_inode()
    {
        FakeOwners owners = new(new()
        {
            [777] = new ProcessOwner(42, "curl"),
            [888] = new ProcessOwner(43, "wget"),
        });
        HostSnapshot s = Build(1, owners,
            SynSent("10.0.0.1:50000", "192.0.2.1:443", 200, inode: 777),
            SynSent("10.0.0.1:50001", "192.0.2.1:443", 201, inode: 888),
            SynSent("10.0.0.1:50002", "192.0.2.1:443", 202, inode: 999),
            SynSent("10.0.0.1:50003", "192.0.2.1:443", 203, inode: 0));
        Assert.Equal(4, s.HalfOpen.Length);
        HalfOpenRow Get(ulong key) => s.HalfOpen.Single(h => h.Key == key);
        Assert.Equal(("curl", 42), (Get(200).Process, Get(200).Pid));
        Assert.Equal(("wget", 43), (Get(201).Process, Get(201).Pid));
        Assert.Null(Get(202).Process);
        Assert.Null(Get(202).Pid);
        Assert.Null(Get(203).Process);
        Assert.DoesNotContain(0UL, owners.Asked);
        Assert.All(s.HalfOpen, h => Assert.Equal(HalfOpenState.SynSent, h.State));
        Assert.All(s.HalfOpen, h => Assert.Null(h.ListenerKey));
        Assert.Empty(s.Listeners);
    }

    [Fact]
    public void SynSent_age_follows_the_linear_schedule_and_tcp_info()
    {
        TimeSpan at = TimeSpan.FromSeconds(1);
        HostSnapshot s = _builder.Build(new SnapshotInputs
        {
            At = at,
            Now = s_t0,
            SynLinearTimeouts = 4,
            Sockets = Sample(at,
                SynSent("10.0.0.1:50000", "192.0.2.1:443", 200, retrans: 2, expiresMs: 400),
                SynSent("10.0.0.1:50001", "192.0.2.1:443", 201, retrans: 2, expiresMs: 400, rtoUs: 3_000_000, backoff: 1)),
        });
        HalfOpenRow noInfo = s.HalfOpen.Single(h => h.Key == 200);
        HalfOpenRow withInfo = s.HalfOpen.Single(h => h.Key == 201);
        Assert.Equal(2600, noInfo.AgeMs);
        Assert.Null(noInfo.Backoff);
        Assert.Equal(2000 + 3000 - 400, withInfo.AgeMs);
        Assert.Equal(1, withInfo.Backoff);
    }

    [Fact]
    public void Half_open_age_is_never_less_than_the_time_it_has_been_watched()
    {
        Build(1, SynSent("10.0.0.1:50000", "192.0.2.1:443", 200, retrans: 0, expiresMs: 1000));
        HostSnapshot s = Build(11, SynSent("10.0.0.1:50000", "192.0.2.1:443", 200, retrans: 0, expiresMs: 1000));
        Assert.Equal(10_000, Assert.Single(s.HalfOpen).AgeMs);
    }

    [Fact]
    public void A_half_open_connection_that_went_away_starts_over_when_seen_again()
    {
        Build(1, SynSent("10.0.0.1:50000", "192.0.2.1:443", 200, expiresMs: 1000));
        Build(5);
        HostSnapshot s = Build(11, SynSent("10.0.0.1:50000", "192.0.2.1:443", 200, expiresMs: 1000));
        Assert.Equal(0, Assert.Single(s.HalfOpen).AgeMs);
    }

    [Fact]
    public void Half_open_rows_sort_by_retransmits_then_age()
    {
        HostSnapshot s = Build(1,
            SynSent("10.0.0.1:1", "192.0.2.1:443", 1, retrans: 1, expiresMs: 500),    // 1000 + 500
            SynSent("10.0.0.1:2", "192.0.2.1:443", 2, retrans: 3, expiresMs: 1000),   // 3000 + 0
            SynSent("10.0.0.1:3", "192.0.2.1:443", 3, retrans: 1, expiresMs: 100),    // 1000 + 900
            SynRecv("10.0.0.1:80", "10.0.0.2:5", 4, retrans: 0, expiresMs: 10),       // 990
            SynRecv("10.0.0.1:80", "10.0.0.2:6", 5, retrans: 5, expiresMs: 32000));   // 31000
        Assert.Equal([5UL, 2UL, 3UL, 1UL, 4UL], s.HalfOpen.Select(h => h.Key));
        Assert.Equal([1900L, 1500L], s.HalfOpen.Where(h => h.Retransmits == 1).Select(h => h.AgeMs));
    }

    [Fact]
    public void A_missing_listener_is_a_tombstone_until_the_tombstone_time_passes()
    {
        Build(1, Listener("127.0.0.1:80", 7, acceptQueue: 4, backlog: 10), Listener("127.0.0.1:81", 8));

        HostSnapshot gone = Build(2, Listener("127.0.0.1:81", 8));
        ListenerRow r = Row(gone, "127.0.0.1:80");
        Assert.True(r.IsGone);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(2), r.GoneAt);
        Assert.Equal(0u, r.AcceptQueue);
        Assert.Equal(4u, r.PeakAcceptQueue);
        Assert.False(Row(gone, "127.0.0.1:81").IsGone);

        HostSnapshot still = Build(7, Listener("127.0.0.1:81", 8));
        r = Row(still, "127.0.0.1:80");
        Assert.True(r.IsGone);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(2), r.GoneAt);

        HostSnapshot after = Build(7.5, Listener("127.0.0.1:81", 8));
        Assert.DoesNotContain(after.Listeners, l => l.Local == Ep("127.0.0.1:80"));
        Assert.Single(after.Listeners);
    }

    [Fact]
    public void A_listener_back_before_its_tombstone_expires_is_live_again()
    {
        Build(1, Listener("127.0.0.1:80", 7, acceptQueue: 4));
        Build(2);
        ListenerRow r = Row(Build(3, Listener("127.0.0.1:80", 7, acceptQueue: 1)), "127.0.0.1:80");
        Assert.False(r.IsGone);
        Assert.Equal(1u, r.AcceptQueue);
        Assert.False(Assert.Single(Build(4, Listener("127.0.0.1:80", 7)).Listeners).IsGone);
    }

    [Fact]
    public void A_listener_that_comes_back_and_goes_again_gets_a_fresh_tombstone()
    {
        Build(1, Listener("127.0.0.1:80", 7));
        Build(2);                                    // gone at 2
        Build(3, Listener("127.0.0.1:80", 7));       // back
        HostSnapshot s = Build(20);                  // gone again at 20: a tombstone for 5 s from now
        ListenerRow r = Row(s, "127.0.0.1:80");
        Assert.True(r.IsGone);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(20), r.GoneAt);
    }

    [Fact]
    public void Listeners_are_sorted_by_pressure_in_the_snapshot()
    {
        Build(1,
            Listener("127.0.0.1:1", 1, acceptQueue: 0, backlog: 10, drops: 0),
            Listener("127.0.0.1:2", 2, acceptQueue: 1, backlog: 10, drops: 0),
            Listener("127.0.0.1:3", 3, acceptQueue: 11, backlog: 10, drops: 0),
            Listener("127.0.0.1:4", 4, acceptQueue: 0, backlog: 10, drops: 0),
            Listener("127.0.0.1:5", 5, acceptQueue: 8, backlog: 10, drops: 0));
        HostSnapshot s = Build(2,
            Listener("127.0.0.1:1", 1, acceptQueue: 0, backlog: 10, drops: 0),
            Listener("127.0.0.1:2", 2, acceptQueue: 1, backlog: 10, drops: 50),
            Listener("127.0.0.1:3", 3, acceptQueue: 11, backlog: 10, drops: 0),
            Listener("127.0.0.1:5", 5, acceptQueue: 8, backlog: 10, drops: 0));
        Assert.Equal([3, 2, 5, 1, 4], s.Listeners.Select(l => (int)l.Local.Port));
        Assert.True(s.Listeners[^1].IsGone);
    }

    [Fact]
    public void ComparePressure_orders_full_then_dropping_then_fill_and_gone_last()
    {
        ListenerRow L(ushort port, uint queue, uint? backlog, double? dropsPerSec = null, bool gone = false) => new()
        {
            Key = port,
            Family = IpFamily.V4,
            Local = new NetEndpoint(IpFamily.V4, 0x7F00_0001, port),
            AcceptQueue = queue,
            Backlog = backlog,
            PeakAcceptQueue = queue,
            SynRecv = 0,
            DropsPerSec = dropsPerSec,
            GoneAt = gone ? s_t0 : null,
        };
        ListenerRow goneFull = L(1, 200, 10, 99, gone: true);
        ListenerRow full = L(2, 11, 10);
        ListenerRow fullDropping = L(3, 129, 128, 5);
        ListenerRow dropping = L(4, 0, 10, 3);
        ListenerRow droppingMore = L(5, 0, 10, 30);
        ListenerRow fuller = L(6, 9, 10);
        ListenerRow half = L(7, 5, 10);
        ListenerRow unknownBacklog = L(8, 3, null);
        ListenerRow idle = L(9, 0, 10);

        List<ListenerRow> rows = [idle, half, goneFull, dropping, fuller, unknownBacklog, full, droppingMore, fullDropping];
        rows.Sort(SnapshotBuilder.ComparePressure);
        Assert.Equal([fullDropping, full, droppingMore, dropping, fuller, half, unknownBacklog, idle, goneFull], rows);

        Assert.True(SnapshotBuilder.ComparePressure(full, goneFull) < 0);
        Assert.True(SnapshotBuilder.ComparePressure(goneFull, idle) > 0);
        Assert.Equal(0, SnapshotBuilder.ComparePressure(idle, idle));
    }

    [Fact]
    public void Counters_rows_only_for_watched_counters_present_with_rates_from_the_second_sample()
    {
        CountersSample C(double at, ulong overflows, ulong rsts) => new(TimeSpan.FromSeconds(at),
            new Dictionary<string, ulong>
            {
                ["ListenOverflows"] = overflows,
                ["TcpOutRsts"] = rsts,
                ["TcpExtSomethingElse"] = 5,
                ["IpExtInOctets"] = 1_000_000,
            }, 0);
        SnapshotInputs I(double at, CountersSample c) => new() { At = TimeSpan.FromSeconds(at), Now = s_t0, Counters = c };

        HostSnapshot first = _builder.Build(I(1, C(1, 10, 100)));
        Assert.Equal(["ListenOverflows", "TcpOutRsts"], first.Counters.Select(c => c.Name));
        Assert.All(first.Counters, c => Assert.Null(c.PerSec));
        Assert.Equal(10UL, first.Counter("ListenOverflows")!.Value);
        Assert.Null(first.Counter("ListenDrops"));
        Assert.Null(first.Counter("IpExtInOctets"));

        HostSnapshot second = _builder.Build(I(3, C(3, 30, 100)));
        Assert.Equal(10.0, second.Counter("ListenOverflows")!.PerSec!.Value, 9);
        Assert.Equal(0.0, second.Counter("TcpOutRsts")!.PerSec);
        Assert.Equal(30UL, second.Counter("ListenOverflows")!.Value);
    }

    [Fact]
    public void Counters_follow_the_watched_display_order()
    {
        Dictionary<string, ulong> all = WatchedCounters.Names.Reverse().ToDictionary(n => n, _ => 1UL);
        HostSnapshot s = _builder.Build(new SnapshotInputs
        {
            At = TimeSpan.FromSeconds(1),
            Now = s_t0,
            Counters = new CountersSample(TimeSpan.FromSeconds(1), all, 0),
        });
        Assert.Equal(WatchedCounters.Names, s.Counters.Select(c => c.Name));
    }

    [Fact]
    public void No_counters_sample_means_no_counter_rows()
    {
        HostSnapshot s = _builder.Build(new SnapshotInputs { At = TimeSpan.FromSeconds(1), Now = s_t0 });
        Assert.Empty(s.Counters);
        Assert.Empty(s.Listeners);
        Assert.Empty(s.HalfOpen);
    }

    [Fact]
    public void Backlog_unknown_reason_is_set_for_the_proc_fallback()
    {
        TimeSpan at = TimeSpan.FromSeconds(1);
        SocketsSample proc = new(at, SocketsOrigin.ProcNet, [Listener("0.0.0.0:22", 0, backlog: null)], 0, false,
            "sock_diag: permission denied");
        HostSnapshot s = _builder.Build(new SnapshotInputs { At = at, Now = s_t0, Sockets = proc });
        Assert.NotNull(s.BacklogUnknownReason);
        Assert.Contains("sock_diag: permission denied", s.BacklogUnknownReason);
        Assert.Contains("max backlog unknown", s.BacklogUnknownReason);

        HostSnapshot noReason = new SnapshotBuilder("h", "k", "n").Build(new SnapshotInputs
        {
            At = at,
            Now = s_t0,
            Sockets = proc with { FallbackReason = null },
        });
        Assert.Contains("sock_diag unavailable", noReason.BacklogUnknownReason);
    }

    [Fact]
    public void Backlog_unknown_reason_is_null_with_sock_diag_or_no_sample()
    {
        Assert.Null(Build(1, Listener("0.0.0.0:22", 1)).BacklogUnknownReason);
        Assert.Null(_builder.Build(new SnapshotInputs { At = TimeSpan.FromSeconds(2), Now = s_t0 }).BacklogUnknownReason);
    }

    [Fact]
    public void Proc_fallback_listeners_without_cookies_keep_their_peak_by_tuple()
    {
        TimeSpan at1 = TimeSpan.FromSeconds(1), at2 = TimeSpan.FromSeconds(2);
        _builder.Build(new SnapshotInputs
        {
            At = at1,
            Now = s_t0,
            Sockets = new SocketsSample(at1, SocketsOrigin.ProcNet, [Listener("0.0.0.0:22", 0, acceptQueue: 6, backlog: null)], 0, false, null),
        });
        HostSnapshot s = _builder.Build(new SnapshotInputs
        {
            At = at2,
            Now = s_t0,
            Sockets = new SocketsSample(at2, SocketsOrigin.ProcNet, [Listener("0.0.0.0:22", 0, acceptQueue: 1, backlog: null)], 0, false, null),
        });
        ListenerRow r = Assert.Single(s.Listeners);
        Assert.Equal(6u, r.PeakAcceptQueue);
        Assert.False(r.IsGone);
    }

    [Fact]
    public void Sequence_increments_and_sources_pass_through()
    {
        ImmutableArray<SourceStatus> sources = [SourceStatus.Ok("sockets", "sock_diag")];
        HostSnapshot a = _builder.Build(new SnapshotInputs { At = TimeSpan.FromSeconds(1), Now = s_t0, Sources = sources });
        HostSnapshot b = _builder.Build(new SnapshotInputs { At = TimeSpan.FromSeconds(2), Now = s_t0.AddSeconds(1), Sources = sources });
        Assert.Equal(1, a.Sequence);
        Assert.Equal(2, b.Sequence);
        Assert.Equal(sources, b.Sources);
        Assert.Equal(s_t0.AddSeconds(1), b.TakenAt);
    }
}
