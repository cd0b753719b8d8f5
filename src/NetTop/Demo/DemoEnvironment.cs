using System.Diagnostics;
using System.Globalization;
using NetTop.Capture.Firewall;
using NetTop.Capture.Namespaces;
using NetTop.Cli;

namespace NetTop.Demo;

/// <summary>
/// What `--demo` creates and must remove again: a private network namespace <c>nettop-demo-&lt;pid&gt;</c> (ip netns
/// add, lo up), the scenarios' iptables rules in it, and one thread per scenario that has entered it (setns via
/// <see cref="NetnsThread"/>). Nothing runs through a shell: `ip` and `iptables` get argument lists, and run from a
/// thread in the right namespace (<see cref="FirewallCommand"/>). <see cref="DisposeAsync"/> stops the scenarios
/// (their sockets close), deletes the rules and the namespace; it runs on exit, on `q`, SIGINT and SIGTERM. Only a
/// SIGKILL can leave the namespace behind, and the next demo removes it (<see cref="RemoveLeftovers"/>).
/// </summary>
internal sealed class DemoEnvironment : IAsyncDisposable
{
    public const string Prefix = "nettop-demo-";
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);

    private readonly string _ip;
    private readonly string _iptables;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(DemoScenario Scenario, NetnsThread Thread, Task Loop)> _running = [];
    private readonly List<string[]> _rules = [];
    private readonly List<string> _problems = [];
    private NetnsThread? _setup;
    private bool _created;
    private bool _disposed;

    private DemoEnvironment(string name, string ip, string iptables)
    {
        Name = name;
        _ip = ip;
        _iptables = iptables;
    }

    /// <summary>The namespace's `ip netns` name: what --netns would be given.</summary>
    public string Name { get; }

    /// <summary>What went wrong while running or cleaning up (empty when all went well), for stderr after the run.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>
    /// Checks root and the tools (throws <see cref="UsageException"/>, exit 2, naming what is missing), removes
    /// leftovers of killed demos, then creates the namespace, its rules and the scenarios. On failure or
    /// cancellation whatever was made is removed before the exception leaves.
    /// </summary>
    public static async Task<DemoEnvironment> StartAsync(CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new UsageException("--demo needs root: it creates a network namespace (CAP_SYS_ADMIN) and iptables rules in it " +
                "(CAP_NET_ADMIN); run `sudo scripts/nettop --demo`");
        }
        string? ip = FirewallCommand.Find("ip");
        string? iptables = FirewallCommand.Find("iptables");
        if (ip is null || iptables is null)
        {
            string missing = string.Join(" and ", new[] { ip is null ? "ip" : null, iptables is null ? "iptables" : null }.OfType<string>());
            string packages = string.Join(" ", new[] { ip is null ? "iproute2" : null, iptables is null ? "iptables" : null }.OfType<string>());
            throw new UsageException($"--demo needs {missing} on PATH (apt-get install {packages})");
        }
        await RemoveLeftoversAsync(ip, ct).ConfigureAwait(false);

        DemoEnvironment env = new(Prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture), ip, iptables);
        try
        {
            await env.CreateAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await env.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return env;
    }

    private async Task CreateAsync(CancellationToken ct)
    {
        if (File.Exists(Path.Combine(NetnsTarget.NetnsDir, Name)))
        {
            // Our pid, so not a live demo: one from an earlier boot or pid namespace that had the same pid.
            await RunHostAsync(["netns", "del", Name], ct).ConfigureAwait(false);
        }
        CommandOutput added = await RunHostAsync(["netns", "add", Name], ct).ConfigureAwait(false);
        if (!added.Succeeded)
        {
            throw new DemoException($"cannot create network namespace {Name}: ip netns add: {added.Error}");
        }
        _created = true;
        CommandOutput lo = await RunHostAsync(["-n", Name, "link", "set", "lo", "up"], ct).ConfigureAwait(false);
        if (!lo.Succeeded)
        {
            throw new DemoException($"cannot bring up lo in {Name}: {lo.Error}");
        }

        NetnsTarget target = NetnsTarget.Resolve(Name);
        _setup = NetnsThread.Start("nettop-demo-setup", target);
        IReadOnlyList<DemoScenario> scenarios = DemoScenarios.All();
        foreach (string[] rule in scenarios.SelectMany(s => s.Rules))
        {
            CommandOutput r = await FirewallCommand.RunAsync(_setup, _iptables, ["-w", "5", "-A", .. rule], s_toolTimeout, ct: ct)
                .ConfigureAwait(false);
            if (!r.Succeeded)
            {
                throw new DemoException($"cannot add the demo's iptables rule `-A {string.Join(' ', rule)}`: {r.Error}");
            }
            _rules.Add(rule);
        }
        foreach (DemoScenario s in scenarios)
        {
            ct.ThrowIfCancellationRequested();
            NetnsThread thread = NetnsThread.Start("nettop-demo-" + s.Name, target);
            CancellationToken stop = _stop.Token;
            Task loop = thread.InvokeAsync(() =>
            {
                s.Run(stop);
                return 0;
            }, CancellationToken.None);
            _running.Add((s, thread, loop));
        }
    }

    /// <summary>Whether every scenario is still looping (a scenario that threw has stopped; see <see cref="Problems"/>).</summary>
    public bool AllRunning => _running.All(r => !r.Loop.IsCompleted);

    /// <summary>
    /// Deletes every <c>nettop-demo-&lt;pid&gt;</c> namespace whose process no longer exists: what a SIGKILLed
    /// demo left (a live demo's pid is alive, so a concurrent demo is never touched).
    /// </summary>
    private static async Task RemoveLeftoversAsync(string ip, CancellationToken ct)
    {
        if (!Directory.Exists(NetnsTarget.NetnsDir))
        {
            return;
        }
        foreach (string path in Directory.GetFiles(NetnsTarget.NetnsDir, Prefix + "*"))
        {
            string name = Path.GetFileName(path);
            if (int.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}"))
            {
                CommandOutput r = await RunAsync(ip, ["netns", "del", name], ct).ConfigureAwait(false);
                if (!r.Succeeded)
                {
                    Console.Error.WriteLine($"nettop: cannot remove the leftover demo namespace {name}: {r.Error}");
                }
            }
        }
    }

    private Task<CommandOutput> RunHostAsync(IEnumerable<string> args, CancellationToken ct) => RunAsync(_ip, args, ct);

    /// <summary>A tool in NetTop's own namespace (the calling thread's: the main threads never setns).</summary>
    private static async Task<CommandOutput> RunAsync(string file, IEnumerable<string> args, CancellationToken ct)
    {
        using Process p = Process.Start(FirewallCommand.StartInfo(file, args))
            ?? throw new DemoException($"cannot start {file}");
        return await FirewallCommand.CollectAsync(p, s_toolTimeout, ct: ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // Cleanup must finish even when the run was cancelled (SIGTERM): none of it takes the caller's token.
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach ((DemoScenario s, NetnsThread thread, Task loop) in _running)
        {
            try
            {
                await loop.WaitAsync(s_stopTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _problems.Add($"scenario {s.Name} did not stop within {s_stopTimeout.TotalSeconds} s");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _problems.Add($"scenario {s.Name} failed: {e.Message}");
            }
            if (s.Errors > 0)
            {
                _problems.Add($"scenario {s.Name}: {s.Errors} failed step(s), last: {s.LastError}");
            }
            thread.Dispose();
        }
        _running.Clear();
        // Deleting the namespace would take the rules with it; deleting them first keeps the cleanup explicit
        // and leaves nothing if the namespace were still held open by something else.
        for (int i = _rules.Count - 1; i >= 0 && _setup is not null; i--)
        {
            CommandOutput r = await FirewallCommand.RunAsync(_setup, _iptables, ["-w", "5", "-D", .. _rules[i]], s_toolTimeout)
                .ConfigureAwait(false);
            if (!r.Succeeded)
            {
                _problems.Add($"cannot delete the demo rule `-A {string.Join(' ', _rules[i])}`: {r.Error}");
            }
        }
        _rules.Clear();
        _setup?.Dispose();
        if (_created)
        {
            CommandOutput r = await RunHostAsync(["netns", "del", Name], CancellationToken.None).ConfigureAwait(false);
            if (!r.Succeeded && File.Exists(Path.Combine(NetnsTarget.NetnsDir, Name)))
            {
                _problems.Add($"cannot delete network namespace {Name} ({r.Error}); remove it with `ip netns del {Name}`");
            }
        }
        _stop.Dispose();
    }
}

/// <summary>The demo could not set itself up (a tool failed): exit 1 with the message.</summary>
internal sealed class DemoException(string message) : Exception(message);
