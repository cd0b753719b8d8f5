using NetTop.Capture.Interop;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Recording;
using NetTop.Capture.Sockets;
using NetTop.Model.Sockets;
using Xunit;

namespace NetTop.Capture.Tests;

/// <summary>
/// The sockets source skips a family's sock_diag dump (a walk of the kernel's whole established hash) when the
/// namespace's sockstat says that family has no socket and there is no TIME_WAIT; it dumps whenever in doubt.
/// Texts as this kernel prints them (/proc/net/sockstat, sockstat6 of 6.18).
/// </summary>
public sealed class SockstatGateTests
{
    private static string Sockstat(int inuse, int tw) =>
        $"sockets: used 9\nTCP: inuse {inuse} orphan 0 tw {tw} alloc 1 mem 16\nUDP: inuse 0 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n";

    private static string Sockstat6(int inuse) => $"TCP6: inuse {inuse}\nUDP6: inuse 0\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n";

    [Theory]
    [InlineData(0, 0, 0, false, false)] // an empty namespace: nothing to walk for
    [InlineData(1, 0, 0, true, false)] // IPv4 only
    [InlineData(0, 0, 2, false, true)] // IPv6 only
    [InlineData(0, 3, 0, true, true)] // TIME_WAIT is counted for both families together
    [InlineData(5, 0, 7, true, true)]
    public void Dumps_only_families_that_hold_sockets(int v4, int tw, int v6, bool dumpV4, bool dumpV6) =>
        Assert.Equal((dumpV4, dumpV6), SockstatGate.Families(Sockstat(v4, tw), Sockstat6(v6)));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData("TCP: inuse x orphan 0 tw 0\n", "TCP6: inuse 0\n")]
    [InlineData("TCP: orphan 0 tw 0\n", "TCP6: inuse 0\n")]
    [InlineData("TCP: inuse 0 orphan 0\n", "TCP6: inuse 0\n")]
    [InlineData("UDP: inuse 0 mem 0\n", "TCP6: inuse 0\n")]
    public void Unreadable_counts_mean_dump_both(string? sockstat, string? sockstat6) =>
        Assert.Equal((true, true), SockstatGate.Families(sockstat, sockstat6));

    [Fact]
    public void Without_sockstat6_IPv6_is_still_dumped_so_a_missing_IPv6_is_reported() =>
        Assert.Equal((false, true), SockstatGate.Families(Sockstat(0, 0), null));

    [Fact]
    public async Task The_sockets_source_asks_sock_diag_only_for_the_families_sockstat_allows()
    {
        using NetnsThread thread = NetnsThread.Start("sockstat-test", null);
        FakeIo io = new() { Sockstat = Sockstat(0, 0), Sockstat6 = Sockstat6(1) };
        using SocketsSource source = new(thread, SocketsMode.Netlink, tcpInfo: true, () => TimeSpan.Zero, io);
        await source.PollAsync();
        Assert.Equal([InetDiag.AF_INET6], io.Dumped);

        io.Dumped.Clear();
        io.Sockstat = null; // unreadable: both
        await source.PollAsync();
        Assert.Equal([InetDiag.AF_INET, InetDiag.AF_INET6], io.Dumped);

        io.Dumped.Clear();
        io.Sockstat = Sockstat(0, 0);
        io.Sockstat6 = Sockstat6(0);
        SocketsSample empty = await source.PollAsync();
        Assert.Empty(io.Dumped);
        Assert.Empty(empty.Sockets);
        Assert.Equal(Model.SourceHealth.Ok, source.Status.Health);
    }

    private sealed class FakeIo : CaptureIo
    {
        public string? Sockstat;
        public string? Sockstat6;
        public readonly List<byte> Dumped = [];

        public override string ReadText(string path) =>
            (path.EndsWith("/sockstat", StringComparison.Ordinal) ? Sockstat : path.EndsWith("/sockstat6", StringComparison.Ordinal) ? Sockstat6 : null)
            ?? throw new FileNotFoundException(path);

        public override ISockDiagDumper OpenSockDiag() => new Dumper(this);

        private sealed class Dumper(FakeIo io) : ISockDiagDumper
        {
            public Action<ReadOnlyMemory<byte>>? Tap { get; set; }

            public void Dump(byte family, byte ext, uint states, SocketTableBuilder into, ref ParseStats stats, AsciiPool pool) => io.Dumped.Add(family);

            public void Dispose()
            {
            }
        }
    }
}
