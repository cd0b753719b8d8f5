using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NetTop.Capture.Perf;
using NetTop.Kernel.Tests.Infrastructure;
using NetTop.Model.Resets;

namespace NetTop.Kernel.Tests.Resets;

/// <summary>
/// The recording hook for tests/fixtures/perf: raw ring records of real resets (closed port v4/v6, linger-0,
/// unread data) through <see cref="ResetTraceSource.Tap"/>, the tracepoint format files, and the kallsyms lines
/// covering the recorded stacks. Runs only when NETTOP_RECORD_FIXTURES names the fixtures directory.
/// </summary>
public sealed class RecordPerfFixtures
{
    [RecordFact]
    public async Task Record_perf_ring_fixtures()
    {
        string dir = Path.Combine(Environment.GetEnvironmentVariable("NETTOP_RECORD_FIXTURES")!, "perf");
        Directory.CreateDirectory(dir);
        using ResetScenario sc = await ResetScenario.StartAsync();
        MemoryStream records = new();
        sc.Trace.Tap = record =>
        {
            lock (records) records.Write(record);
        };
        Dictionary<string, int> ports = [];
        foreach ((string name, IPAddress addr) in new[] { ("refused_v4", IPAddress.Loopback), ("refused_v6", IPAddress.IPv6Loopback) })
        {
            int port = TestNamespace.RandomPort();
            Socket s = await sc.SocketAsync(addr.AddressFamily);
            try { await s.ConnectAsync(new IPEndPoint(addr, port)); } catch (SocketException) { }
            ports[name] = port;
            await sc.WaitForAsync(r => r.Local.Port == port, name);
        }
        (Socket c1, Socket s1, _) = await sc.ConnectedPairAsync(IPAddress.Loopback);
        ports["linger_client"] = ((IPEndPoint)c1.LocalEndPoint!).Port;
        ports["linger_server"] = ((IPEndPoint)s1.LocalEndPoint!).Port;
        c1.LingerState = new LingerOption(true, 0);
        await sc.InNamespace(() => { c1.Close(); return 0; });
        await sc.WaitForAsync(r => r.Direction == ResetDirection.Received && r.Local.Port == ports["linger_server"], "linger peer");
        (Socket c2, Socket s2, _) = await sc.ConnectedPairAsync(IPAddress.Loopback);
        ports["unread_server"] = ((IPEndPoint)s2.LocalEndPoint!).Port;
        ports["unread_client"] = ((IPEndPoint)c2.LocalEndPoint!).Port;
        await c2.SendAsync(new byte[100]);
        await Task.Delay(100);
        await sc.InNamespace(() => { s2.Close(); return 0; });
        await sc.WaitForAsync(r => r.Direction == ResetDirection.Received && r.Local.Port == ports["unread_client"], "unread peer");
        await Task.Delay(200);
        byte[] bytes;
        lock (records) bytes = records.ToArray();
        File.WriteAllBytes(Path.Combine(dir, "resets.bin"), bytes);
        File.WriteAllText(Path.Combine(dir, "resets.ports"), string.Join(' ', ports.Select(kv => $"{kv.Key}={kv.Value}")) + "\n");
        File.WriteAllText(Path.Combine(dir, "sample_type"), ResetTraceSource.SampleType.ToString(CultureInfo.InvariantCulture) + "\n");
        string tracing = Tracefs.FindInMounts(File.ReadAllText("/proc/mounts"))!;
        foreach (string tp in new[] { "tcp_send_reset", "tcp_receive_reset" })
        {
            File.Copy(Path.Combine(tracing, "events", "tcp", tp, "format"), Path.Combine(dir, tp + ".format"), overwrite: true);
        }
        File.WriteAllText(Path.Combine(dir, "kallsyms-subset.txt"), KallsymsSubset(bytes));
    }

    /// <summary>The t/T kallsyms lines that cover every recorded callchain address, plus the next symbol of each.</summary>
    private static string KallsymsSubset(byte[] records)
    {
        HashSet<ulong> ips = [];
        PerfRecordParser.Walk(records, ResetTraceSource.SampleType, (ref PerfSample s) =>
        {
            for (int i = 0; i < s.CallchainCount; i++) ips.Add(s.CallchainAt(i));
        });
        List<(ulong Addr, string Line)> text = [];
        foreach (string line in File.ReadLines(KallsymsSymbolizer.ProcKallsyms))
        {
            string[] f = line.Split(' ');
            if (f.Length >= 3 && f[1] is "t" or "T" && ulong.TryParse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong a) && a != 0)
            {
                text.Add((a, line));
            }
        }
        text.Sort((x, y) => x.Addr.CompareTo(y.Addr));
        SortedSet<int> keep = [];
        ulong[] addrs = text.Select(t => t.Addr).ToArray();
        foreach (ulong ip in ips)
        {
            int i = Array.BinarySearch(addrs, ip);
            if (i < 0) i = ~i - 1;
            if (i < 0) continue;
            keep.Add(i);
            if (i + 1 < text.Count) keep.Add(i + 1);
        }
        StringBuilder sb = new();
        foreach (int i in keep) sb.Append(text[i].Line).Append('\n');
        return sb.ToString();
    }

    private sealed class RecordFactAttribute : FactAttribute
    {
        public RecordFactAttribute()
        {
            Skip = Environment.GetEnvironmentVariable("NETTOP_RECORD_FIXTURES") is null
                ? "records fixtures: run with NETTOP_RECORD_FIXTURES=<repo>/tests/fixtures (as root)"
                : Requirements.Root(["ip"]);
        }
    }
}
