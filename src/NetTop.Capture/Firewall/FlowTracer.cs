using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using NetTop.Capture.Namespaces;
using NetTop.Model;
using NetTop.Model.Firewall;
using NetTop.Model.Net;

namespace NetTop.Capture.Firewall;

/// <summary>How a tracer marks and watches its flow.</summary>
public enum TraceMode
{
    /// <summary>iptables(-nft) raw-table <c>-j TRACE</c> rules (stored as <c>meta nftrace set 1</c>) + a trace monitor.</summary>
    Iptables,
    /// <summary>A native table <c>inet nettop_trace_ID</c> whose chains set nftrace (no iptables, or iptables-legacy) + `nft monitor trace`.</summary>
    Nft,
}

/// <summary>A trace that could not start; nothing is left behind when this is thrown.</summary>
public sealed class FlowTraceException(string message, string? fix = null) : Exception(message)
{
    public string? Fix { get; } = fix;
}

/// <summary>
/// Traces one TCP flow through the firewall of a namespace. Started with <see cref="StartAsync"/>, it first
/// starts the monitor (trace events reach only a monitor in the same namespace: it is forked from the namespace
/// thread), then inserts at position 1 of the raw table's PREROUTING and OUTPUT chains, for both directions,
/// <c>-p tcp -s A -d B --sport P --dport Q -m comment --comment "nettop-trace ID" -j TRACE</c>
/// (ip6tables for IPv6). The monitor is `xtables-monitor --trace` for IPv4; for IPv6 `nft monitor trace`,
/// because xtables-monitor 1.8.9 exits on an IPv6 TRACE rule ("unsupported layer 4 protocol value",
/// tests/fixtures/firewall/xtables-monitor-trace-ipv6.txt). Its lines become <see cref="TracePacket"/>s
/// (bounded: the last <see cref="FlowTracerOptions.Capacity"/> passes).
/// The rules go away on <see cref="DisposeAsync"/>, on process exit (AppDomain.ProcessExit, which SIGTERM
/// raises when nothing handles it), and, after a crash or SIGKILL, through <see cref="CleanupAsync"/>, which removes every rule whose
/// comment starts with "nettop-trace" (and every nettop_trace_* nft table). Never a shell: argv lists only.
/// </summary>
public sealed class FlowTracer : IAsyncDisposable
{
    public const string CommentPrefix = "nettop-trace";
    public const string NftTablePrefix = "nettop_trace_";

    private static readonly ConcurrentDictionary<FlowTracer, byte> s_active = new();
    private static int s_exitHookInstalled;

    private readonly NetnsThread _thread;
    private readonly FlowTracerOptions _options;
    private readonly TraceAssembler _assembler;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(string File, string[] Args)> _removals = [];
    private readonly HashSet<string> _foreign = new(StringComparer.Ordinal);
    private Process? _monitor;
    private Task? _reader;
    private Task? _errReader;
    private string _monitorError = "";
    private volatile SourceStatus _status;
    private long _version;
    private int _otherLines;
    private int _disposed;

    private FlowTracer(NetnsThread thread, NetEndpoint local, NetEndpoint remote, TraceMode mode, FlowTracerOptions options)
    {
        _thread = thread;
        _options = options;
        _assembler = new TraceAssembler(options.Capacity);
        Local = local;
        Remote = remote;
        Mode = mode;
        TraceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        _status = new SourceStatus("trace", SourceHealth.Ok, "starting");
    }

    public NetEndpoint Local { get; }
    public NetEndpoint Remote { get; }
    public TraceMode Mode { get; }
    /// <summary>8 hex digits, in the rule comment "nettop-trace ID".</summary>
    public string TraceId { get; }
    public string Comment => $"{CommentPrefix} {TraceId}";
    /// <summary>Which monitor reads the events ("xtables-monitor" or "nft").</summary>
    public string Monitor { get; private set; } = "";
    public SourceStatus Status => _status;
    /// <summary>Increases whenever <see cref="Packets"/> changes.</summary>
    public long Version => Interlocked.Read(ref _version);
    /// <summary>Monitor lines that were not trace lines (startup notes, errors).</summary>
    public int OtherLines => Volatile.Read(ref _otherLines);

    /// <summary>The traced passes so far, oldest first.</summary>
    public ImmutableArray<TracePacket> Packets
    {
        get
        {
            lock (_lock)
            {
                return _assembler.Snapshot();
            }
        }
    }

    /// <summary>
    /// Starts tracing the flow <paramref name="local"/> ⇄ <paramref name="remote"/> in the namespace of
    /// <paramref name="thread"/>. Throws <see cref="FlowTraceException"/> (with the fix, e.g. the package to
    /// install) when it cannot; nothing is left behind then.
    /// </summary>
    public static async Task<FlowTracer> StartAsync(NetnsThread thread, NetEndpoint local, NetEndpoint remote,
        FlowTracerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new FlowTracerOptions();
        local = local.Unmapped;
        remote = remote.Unmapped;
        if (local.Family != remote.Family)
        {
            throw new FlowTraceException($"cannot trace {local} ⇄ {remote}: address families differ");
        }
        bool v6 = local.Family == IpFamily.V6;
        string? iptables = FirewallCommand.Find(v6 ? "ip6tables" : "iptables");
        string? nft = FirewallCommand.Find("nft");
        string? xmon = FirewallCommand.Find("xtables-monitor");
        TraceMode mode;
        if (iptables is not null && options.PreferredMode != TraceMode.Nft && await IsNfTablesAsync(thread, iptables, ct).ConfigureAwait(false))
        {
            mode = TraceMode.Iptables;
        }
        else if (nft is not null)
        {
            mode = TraceMode.Nft; // no iptables, or iptables-legacy (whose TRACE logs to the kernel log, not to a monitor)
        }
        else
        {
            throw new FlowTraceException(iptables is null ? "cannot trace: neither iptables nor nft found" : "cannot trace: iptables uses the legacy backend and nft is not installed",
                "apt-get install -y nftables");
        }
        string? monitor = mode == TraceMode.Iptables && !v6 && xmon is not null ? xmon : nft ?? xmon;
        if (monitor is null)
        {
            throw new FlowTraceException("cannot trace: neither xtables-monitor nor nft found", "apt-get install -y iptables nftables");
        }

        FlowTracer t = new(thread, local, remote, mode, options);
        try
        {
            await t.StartMonitorAsync(monitor, ct).ConfigureAwait(false);
            InstallExitHook();
            s_active.TryAdd(t, 0);
            if (mode == TraceMode.Iptables)
            {
                await t.InsertIptablesRulesAsync(iptables!, ct).ConfigureAwait(false);
            }
            else
            {
                await t.InsertNftTableAsync(nft!, ct).ConfigureAwait(false);
            }
            t._status = SourceStatus.Ok("trace", $"tracing {local} ⇄ {remote} ({t.Comment}, {t.Monitor})");
            return t;
        }
        catch
        {
            await t.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<bool> IsNfTablesAsync(NetnsThread thread, string iptables, CancellationToken ct)
    {
        CommandOutput o = await FirewallCommand.RunAsync(thread, iptables, ["-V"], TimeSpan.FromSeconds(5), ct: ct).ConfigureAwait(false);
        return o.Succeeded && o.Stdout.Contains("nf_tables", StringComparison.Ordinal);
    }

    private async Task StartMonitorAsync(string monitor, CancellationToken ct)
    {
        bool xt = Path.GetFileName(monitor) == "xtables-monitor";
        Monitor = xt ? "xtables-monitor" : "nft";
        string[] args = xt ? ["--trace"] : ["monitor", "trace"];
        try
        {
            _monitor = await FirewallCommand.StartAsync(_thread, FirewallCommand.StartInfo(monitor, args), ct).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            throw new FlowTraceException($"cannot run {monitor}: {e.Message}");
        }
        _monitor.StandardInput.Close();
        _reader = Task.Run(() => ReadMonitorAsync(_monitor, _stop.Token));
        _errReader = Task.Run(() => ReadErrorsAsync(_monitor, _stop.Token));
        // The monitor subscribes to NFNLGRP_NFTRACE right after exec; give it that moment before any packet is marked.
        await Task.Delay(_options.MonitorStartDelay, ct).ConfigureAwait(false);
        if (_monitor.HasExited)
        {
            await Task.WhenAny(_errReader, Task.Delay(500, CancellationToken.None)).ConfigureAwait(false);
            throw new FlowTraceException($"{Monitor} exited at once (code {_monitor.ExitCode}): {_monitorError.Trim()}",
                "run as root (tracing needs CAP_NET_ADMIN)");
        }
    }

    private async Task ReadMonitorAsync(Process p, CancellationToken ct)
    {
        try
        {
            while (await p.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                TraceLine t = TraceLineParser.Parse(line, _clock.Elapsed);
                lock (_lock)
                {
                    switch (t.Kind)
                    {
                        case TraceLineKind.Packet when !IsOurs(t.Packet):
                            // Another flow traced in this namespace (another NetTop, an admin's TRACE rule).
                            if (_foreign.Count >= 1024)
                            {
                                _foreign.Clear();
                            }
                            _foreign.Add(t.TraceId);
                            continue;
                        case TraceLineKind.Packet:
                            _assembler.AddPacket(_clock.Elapsed, t.TraceId, t.Family, t.Packet);
                            break;
                        case TraceLineKind.Event when _foreign.Contains(t.TraceId):
                            continue;
                        case TraceLineKind.Event:
                            _assembler.AddEvent(t.Event!, t.Family);
                            break;
                        default:
                            _otherLines++;
                            continue;
                    }
                }
                Interlocked.Increment(ref _version);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            return;
        }
        if (!ct.IsCancellationRequested)
        {
            _status = new SourceStatus("trace", SourceHealth.Degraded, $"{Monitor} ended: {_monitorError.Trim()}");
        }
    }

    /// <summary>Whether a monitor's packet description is this flow, either direction (xtables-monitor or nft wording).</summary>
    internal bool IsOurs(string packet)
    {
        string a = Local.Port.ToString(CultureInfo.InvariantCulture), b = Remote.Port.ToString(CultureInfo.InvariantCulture);
        return packet.Contains($"SPORT={a} DPORT={b}", StringComparison.Ordinal)
            || packet.Contains($"SPORT={b} DPORT={a}", StringComparison.Ordinal)
            || packet.Contains($"tcp sport {a} tcp dport {b}", StringComparison.Ordinal)
            || packet.Contains($"tcp sport {b} tcp dport {a}", StringComparison.Ordinal);
    }

    private async Task ReadErrorsAsync(Process p, CancellationToken ct)
    {
        try
        {
            while (await p.StandardError.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (_monitorError.Length < 4096)
                {
                    _monitorError += line + "\n";
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private async Task InsertIptablesRulesAsync(string iptables, CancellationToken ct)
    {
        string a = Local.AddressText, b = Remote.AddressText;
        string pa = Local.Port.ToString(CultureInfo.InvariantCulture), pb = Remote.Port.ToString(CultureInfo.InvariantCulture);
        foreach (string chain in new[] { "PREROUTING", "OUTPUT" })
        {
            foreach ((string src, string dst, string sport, string dport) in new[] { (a, b, pa, pb), (b, a, pb, pa) })
            {
                string[] spec = ["-p", "tcp", "-s", src, "-d", dst, "--sport", sport, "--dport", dport,
                    "-m", "comment", "--comment", Comment, "-j", "TRACE"];
                // Register the removal first: a rule that was inserted but whose insert "failed" (timeout) still goes.
                lock (_removals)
                {
                    _removals.Add((iptables, ["-w", "5", "-t", "raw", "-D", chain, .. spec]));
                }
                CommandOutput o = await RunAsync(iptables, ["-w", "5", "-t", "raw", "-I", chain, "1", .. spec], ct).ConfigureAwait(false);
                if (!o.Succeeded)
                {
                    throw new FlowTraceException($"{Path.GetFileName(iptables)} -t raw -I {chain}: {o.Error}",
                        o.Error.Contains("ermission", StringComparison.Ordinal) ? "run as root (CAP_NET_ADMIN)" : null);
                }
            }
        }
    }

    private async Task InsertNftTableAsync(string nft, CancellationToken ct)
    {
        string table = NftTablePrefix + TraceId;
        string ip = Local.Family == IpFamily.V6 ? "ip6" : "ip";
        string a = Local.AddressText, b = Remote.AddressText;
        string fwd = $"{ip} saddr {a} {ip} daddr {b} tcp sport {Local.Port} tcp dport {Remote.Port} meta nftrace set 1";
        string rev = $"{ip} saddr {b} {ip} daddr {a} tcp sport {Remote.Port} tcp dport {Local.Port} meta nftrace set 1";
        // Priority -350 runs before raw (-300), so the whole path is traced. Passed on stdin to `nft -f -`, not to a shell.
        string ruleset = string.Create(CultureInfo.InvariantCulture, $$"""
            table inet {{table}} {
              chain pre {
                type filter hook prerouting priority -350; policy accept;
                {{fwd}} comment "{{Comment}}"
                {{rev}} comment "{{Comment}}"
              }
              chain out {
                type filter hook output priority -350; policy accept;
                {{fwd}} comment "{{Comment}}"
                {{rev}} comment "{{Comment}}"
              }
            }

            """);
        lock (_removals)
        {
            _removals.Add((nft, ["delete", "table", "inet", table]));
        }
        CommandOutput o;
        try
        {
            o = await FirewallCommand.RunAsync(_thread, nft, ["-f", "-"], _options.CommandTimeout, ruleset, ct).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            throw new FlowTraceException($"cannot run {nft}: {e.Message}");
        }
        if (!o.Succeeded)
        {
            throw new FlowTraceException($"nft -f: {o.Error}");
        }
    }

    private async Task<CommandOutput> RunAsync(string file, string[] args, CancellationToken ct)
    {
        try
        {
            return await FirewallCommand.RunAsync(_thread, file, args, _options.CommandTimeout, ct: ct).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            return new CommandOutput(-1, "", $"cannot run {file}: {e.Message}", false, false);
        }
        catch (ObjectDisposedException)
        {
            // The namespace thread stopped first (the hub was disposed before the tracer): enter by path instead.
            return RunViaNsenter(_thread.Target, file, args)
                ? new CommandOutput(0, "", "", false, false)
                : new CommandOutput(-1, "", $"cannot run {file} in the namespace (its thread has stopped)", false, false);
        }
    }

    /// <summary>Removes the rules (each removal tried even when another fails), then stops the monitor.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        List<string> failures = [];
        foreach ((string file, string[] args) in TakeRemovals())
        {
            CommandOutput o = await RunAsync(file, args, CancellationToken.None).ConfigureAwait(false);
            // "does a matching rule exist" / "No such file": the insert never happened.
            if (!o.Succeeded && !o.Error.Contains("exist", StringComparison.Ordinal) && !o.Error.Contains("No such file", StringComparison.Ordinal))
            {
                failures.Add(o.Error);
            }
        }
        s_active.TryRemove(this, out _);
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_monitor is not null)
        {
            FirewallCommand.Kill(_monitor);
            await _monitor.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (Task? t in new[] { _reader, _errReader })
            {
                if (t is not null)
                {
                    await t.WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            _monitor.Dispose();
        }
        _stop.Dispose();
        _status = failures.Count == 0
            ? new SourceStatus("trace", SourceHealth.Ok, "stopped; trace rules removed")
            : new SourceStatus("trace", SourceHealth.Degraded, "stopped; removing a trace rule failed: " + string.Join("; ", failures),
                "scripts/nettop --cleanup");
    }

    private List<(string, string[])> TakeRemovals()
    {
        lock (_removals)
        {
            List<(string, string[])> r = [.. _removals];
            _removals.Clear();
            return r;
        }
    }

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref s_exitHookInstalled, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAllOnExit();
        }
    }

    /// <summary>On process exit: remove every live tracer's rules synchronously, bounded in time.</summary>
    private static void RemoveAllOnExit()
    {
        foreach (FlowTracer t in s_active.Keys)
        {
            foreach ((string file, string[] args) in t.TakeRemovals())
            {
                try
                {
                    // The namespace thread is a background thread and may already be gone: nsenter then.
                    Task<CommandOutput> run = FirewallCommand.RunAsync(t._thread, file, args, TimeSpan.FromSeconds(3));
                    if (!run.Wait(TimeSpan.FromSeconds(4)) || !run.IsCompletedSuccessfully)
                    {
                        RunViaNsenter(t._thread.Target, file, args);
                    }
                }
                catch (Exception e) when (e is AggregateException or Win32Exception or ObjectDisposedException or InvalidOperationException)
                {
                    RunViaNsenter(t._thread.Target, file, args);
                }
            }
        }
    }

    private static bool RunViaNsenter(NetnsTarget? target, string file, string[] args)
    {
        string? nsenter = FirewallCommand.Find("nsenter");
        try
        {
            ProcessStartInfo psi = target is null
                ? FirewallCommand.StartInfo(file, args)
                : FirewallCommand.StartInfo(nsenter ?? "nsenter", [$"--net={target.Path}", "--", file, .. args]);
            using Process? p = Process.Start(psi);
            if (p is null)
            {
                return false;
            }
            p.StandardInput.Close();
            if (!p.WaitForExit(3000))
            {
                FirewallCommand.Kill(p);
                return false;
            }
            return p.ExitCode == 0;
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            Console.Error.WriteLine($"nettop: could not remove a trace rule ({e.Message}); run `scripts/nettop --cleanup`");
            return false;
        }
    }

    /// <summary>
    /// Removes every trace rule NetTop may have left in the namespace of <paramref name="thread"/>: raw-table rules
    /// whose comment starts with "nettop-trace" (iptables and ip6tables; the legacy backend too when it has a raw
    /// table) and nft tables named nettop_trace_*. For `scripts/nettop --cleanup` and for start-up after a crash.
    /// Returns how many rules and tables it removed; throws nothing for a missing tool.
    /// </summary>
    public static async Task<CleanupResult> CleanupAsync(NetnsThread thread, CancellationToken ct = default)
    {
        int removed = 0;
        List<string> errors = [];
        (bool legacy4, bool legacy6) = await thread.InvokeAsync(() => (HasRaw("/proc/thread-self/net/ip_tables_names"), HasRaw("/proc/thread-self/net/ip6_tables_names")), ct)
            .ConfigureAwait(false);
        List<(string Save, string Cmd, string Family)> pairs = [("iptables-save", "iptables", "ipv4"), ("ip6tables-save", "ip6tables", "ipv6")];
        if (legacy4)
        {
            pairs.Add(("iptables-legacy-save", "iptables-legacy", "ipv4"));
        }
        if (legacy6)
        {
            pairs.Add(("ip6tables-legacy-save", "ip6tables-legacy", "ipv6"));
        }
        foreach ((string saveName, string cmdName, string family) in pairs)
        {
            string? save = FirewallCommand.Find(saveName), cmd = FirewallCommand.Find(cmdName);
            if (save is null || cmd is null)
            {
                continue;
            }
            CommandOutput o = await FirewallCommand.RunAsync(thread, save, ["-t", "raw"], ct: ct).ConfigureAwait(false);
            if (!o.Succeeded)
            {
                continue; // no raw table (nothing to clean) or no permission (the deletes would fail too)
            }
            List<FirewallRule> rules = [];
            IptablesSaveParser.Parse(o.Stdout, family, FirewallBackends.NfTables, new FirewallRuleNumbering(), rules);
            foreach (FirewallRule r in rules)
            {
                if (r.Match.Comment is not { } c || !c.StartsWith(CommentPrefix, StringComparison.Ordinal))
                {
                    continue;
                }
                CommandOutput d = await FirewallCommand.RunAsync(thread, cmd, ["-w", "5", "-t", "raw", "-D", r.Chain, .. RuleTokenizer.Split(r.Rule)], ct: ct)
                    .ConfigureAwait(false);
                if (d.Succeeded)
                {
                    removed++;
                }
                else
                {
                    errors.Add($"{cmdName} -t raw -D {r.Chain} {r.Rule}: {d.Error}");
                }
            }
        }
        if (FirewallCommand.Find("nft") is { } nft)
        {
            CommandOutput tables = await FirewallCommand.RunAsync(thread, nft, ["list", "tables"], ct: ct).ConfigureAwait(false);
            if (tables.Succeeded)
            {
                foreach ((string fam, string name) in NftJsonParser.ParseTables(tables.Stdout))
                {
                    if (!name.StartsWith(NftTablePrefix, StringComparison.Ordinal))
                    {
                        continue;
                    }
                    CommandOutput d = await FirewallCommand.RunAsync(thread, nft, ["delete", "table", fam, name], ct: ct).ConfigureAwait(false);
                    if (d.Succeeded)
                    {
                        removed++;
                    }
                    else
                    {
                        errors.Add($"nft delete table {fam} {name}: {d.Error}");
                    }
                }
            }
        }
        return new CleanupResult(removed, [.. errors]);
    }

    private static bool HasRaw(string path)
    {
        try
        {
            return File.Exists(path) && File.ReadAllLines(path).Any(l => l.Trim() == "raw");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>What <see cref="FlowTracer.CleanupAsync"/> did: rules/tables removed, and removals that failed.</summary>
public sealed record CleanupResult(int Removed, ImmutableArray<string> Errors);

public sealed record FlowTracerOptions
{
    /// <summary>Traced passes kept (oldest dropped first).</summary>
    public int Capacity { get; init; } = 256;
    public TimeSpan CommandTimeout { get; init; } = FirewallCommand.DefaultTimeout;
    /// <summary>Time the monitor gets to subscribe before the rules go in.</summary>
    public TimeSpan MonitorStartDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Force native nft tracing even when iptables-nft is there.</summary>
    public TraceMode? PreferredMode { get; init; }
}
