using System.Net;
using System.Net.Sockets;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Packets;
using NetTop.Capture.Perf;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Resets;

namespace NetTop.Kernel.Tests.Resets;

/// <summary>
/// A private namespace with its own thread (sockets are made there), the global reset tracepoint source, and
/// optionally that namespace's packet capture; collects what they report. Disposes everything it made.
/// </summary>
internal sealed class ResetScenario : IDisposable
{
    private readonly List<Socket> _sockets = [];
    private readonly List<ResetEvent> _seen = [];

    private ResetScenario(TestNamespace ns, NetnsThread thread, ResetTraceSource trace, ulong inode)
    {
        Namespace = ns;
        Thread = thread;
        Trace = trace;
        NetnsInode = inode;
    }

    public TestNamespace Namespace { get; }
    public NetnsThread Thread { get; }
    public ResetTraceSource Trace { get; }
    public PacketCaptureSource? Capture { get; private set; }
    public ulong NetnsInode { get; }

    public static async Task<ResetScenario> StartAsync(ResetTraceOptions? options = null)
    {
        TestNamespace ns = TestNamespace.Create();
        NetnsThread? thread = null;
        ResetTraceSource? trace = null;
        try
        {
            thread = NetnsThread.Start($"rst-{ns.Name}", NetnsTarget.Resolve(ns.Name));
            ulong inode = await thread.InvokeAsync(() => ResetTraceSource.ReadNetnsInode("/proc/thread-self/ns/net"))
                ?? throw new InvalidOperationException("cannot read the test namespace's inode");
            trace = new ResetTraceSource(options);
            trace.Start();
            Assert.True(trace.IsRunning, $"reset source not running: {trace.Status.DetailWithFix}");
            return new ResetScenario(ns, thread, trace, inode);
        }
        catch
        {
            trace?.Dispose();
            thread?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    public async Task<PacketCaptureSource> StartCaptureAsync(PacketCaptureOptions? options = null)
    {
        Capture = new PacketCaptureSource(Thread, options);
        await Capture.StartAsync();
        Assert.True(Capture.Status.Health == Model.SourceHealth.Ok, Capture.Status.DetailWithFix);
        return Capture;
    }

    /// <summary>Runs <paramref name="work"/> on the namespace's thread (sockets made there stay in the namespace).</summary>
    public Task<T> InNamespace<T>(Func<T> work) => Thread.InvokeAsync(work).WaitAsync(TimeSpan.FromSeconds(120));

    public Task<Socket> SocketAsync(AddressFamily family) => InNamespace(() =>
    {
        Socket s = new(family, SocketType.Stream, ProtocolType.Tcp);
        lock (_sockets) _sockets.Add(s);
        return s;
    });

    /// <summary>A connected pair inside the namespace: (client, accepted server side).</summary>
    public async Task<(Socket Client, Socket Server, Socket Listener)> ConnectedPairAsync(IPAddress address)
    {
        int port = TestNamespace.RandomPort();
        Socket listener = await SocketAsync(address.AddressFamily);
        await InNamespace(() => { listener.Bind(new IPEndPoint(address, port)); listener.Listen(4); return 0; });
        Socket client = await SocketAsync(address.AddressFamily);
        await client.ConnectAsync(new IPEndPoint(address, port)).WaitAsync(TimeSpan.FromSeconds(10));
        Socket server = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
        lock (_sockets) _sockets.Add(server);
        return (client, server, listener);
    }

    /// <summary>Drains the source until an event matches or the time is up; returns every event seen so far.</summary>
    public async Task<ResetEvent> WaitForAsync(Func<ResetEvent, bool> match, string what, TimeSpan? timeout = null)
    {
        DateTime until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Trace.Drain(_seen);
            ResetEvent? hit = _seen.FirstOrDefault(match);
            if (hit is not null) return hit;
            if (DateTime.UtcNow > until)
            {
                string seen = string.Join("\n", _seen.TakeLast(20).Select(e => $"  {e.DirectionText} {e.KindText} {e.Reason} {e.Local} -> {e.Remote} pid {e.Pid}"));
                throw new Xunit.Sdk.XunitException($"no reset {what} within the timeout; status: {Trace.Status.DetailWithFix}; last events:\n{seen}");
            }
            await Task.Delay(50);
        }
    }

    public IReadOnlyList<ResetEvent> Seen => _seen;

    /// <summary>One counter of /proc/thread-self/net/snmp (Tcp: line) read on the namespace's thread.</summary>
    public Task<long> SnmpTcpAsync(string name) => InNamespace(() =>
    {
        string[] lines = File.ReadAllLines("/proc/thread-self/net/snmp");
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (!lines[i].StartsWith("Tcp:", StringComparison.Ordinal)) continue;
            string[] keys = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int at = Array.IndexOf(keys, name);
            return long.Parse(values[at], System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("no Tcp: line in snmp");
    });

    public void Dispose()
    {
        lock (_sockets)
        {
            foreach (Socket s in _sockets) s.Dispose();
            _sockets.Clear();
        }
        Capture?.Dispose();
        Trace.Dispose();
        Thread.Dispose();
        Namespace.Dispose();
    }
}
