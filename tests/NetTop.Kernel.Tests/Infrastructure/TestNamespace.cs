using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using NetTop.Capture.Namespaces;

namespace NetTop.Kernel.Tests.Infrastructure;

/// <summary>
/// A private network namespace for one test: `ip netns add nettop-t-&lt;hex&gt;` with lo up. Sockets are made
/// inside it on a <see cref="NetnsThread"/> (a socket stays in the netns it was created in and can then be used
/// from any thread). Dispose closes the sockets, removes the iptables rules it added and deletes the namespace,
/// also when the test failed.
/// </summary>
internal sealed class TestNamespace : IDisposable
{
    public const string Prefix = "nettop-t-";

    private readonly List<Socket> _sockets = [];
    private readonly List<string[]> _rules = [];
    private NetnsThread? _thread;
    private bool _disposed;

    private TestNamespace(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>The nsfs bind mount `ip netns add` made, for nsenter --net= and setns.</summary>
    public string Path => $"{NetnsTarget.NetnsDir}/{Name}";

    public static TestNamespace Create()
    {
        string name = Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Command.Run(["ip", "netns", "add", name]).EnsureSuccess();
        TestNamespace ns = new(name);
        try
        {
            Command.Run(["ip", "-n", name, "link", "set", "lo", "up"]).EnsureSuccess();
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>A port from a random range (each namespace has its own port space; this only avoids habits).</summary>
    /// <remarks>
    /// Below the ephemeral range (net.ipv4.ip_local_port_range starts at 32768): a connect to a closed port inside
    /// that range can pick the same port as its source and connect to itself (TCP simultaneous open), which once
    /// turned one of 20,000 refused connects into a success.
    /// </remarks>
    public static int RandomPort() => Random.Shared.Next(20_000, 32_000);

    /// <summary>Runs argv inside the namespace (`ip netns exec NAME ...`); throws when it fails.</summary>
    public CommandResult Run(params string[] argv) => Command.Run(["ip", "netns", "exec", Name, .. argv]).EnsureSuccess();

    /// <summary>`iptables -A CHAIN spec...` inside the namespace; Dispose deletes it again.</summary>
    public void AddIptablesRule(string chain, params string[] spec)
    {
        string[] rule = [chain, .. spec];
        Run(["iptables", "-w", "5", "-A", .. rule]);
        _rules.Add(rule);
    }

    /// <summary>A TCP listener bound in the namespace that never accepts.</summary>
    public Task<Socket> ListenAsync(IPAddress address, int port, int backlog) => NewSocketAsync(address.AddressFamily, s =>
    {
        s.Bind(new IPEndPoint(address, port));
        s.Listen(backlog);
    });

    /// <summary>
    /// A client socket made in the namespace with a non-blocking connect: the call returns at once whatever
    /// happens to the handshake (EINPROGRESS is the normal answer).
    /// </summary>
    public async Task<Socket> ConnectNonBlockingAsync(IPEndPoint remote)
    {
        Socket s = await NewSocketAsync(remote.AddressFamily, _ => { });
        s.Blocking = false;
        try
        {
            s.Connect(remote);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
        }
        return s;
    }

    private async Task<Socket> NewSocketAsync(AddressFamily family, Action<Socket> setup)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _thread ??= NetnsThread.Start($"test-{Name}", NetnsTarget.Resolve(Name));
        Socket s = await _thread.InvokeAsync(() =>
        {
            Socket socket = new(family, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                setup(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            return socket;
        }).WaitAsync(TimeSpan.FromSeconds(10));
        lock (_sockets)
        {
            _sockets.Add(s);
        }
        return s;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        lock (_sockets)
        {
            foreach (Socket s in _sockets)
            {
                s.Dispose();
            }
            _sockets.Clear();
        }
        _thread?.Dispose();
        // Deleting the namespace would drop the rules with it; removing them first keeps the cleanup explicit.
        foreach (string[] rule in _rules)
        {
            TryRun(["ip", "netns", "exec", Name, "iptables", "-w", "5", "-D", .. rule]);
        }
        _rules.Clear();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (TryRun(["ip", "netns", "del", Name]) || !File.Exists(Path))
            {
                return;
            }
            Thread.Sleep(100);
        }
        Console.Error.WriteLine($"warning: could not delete network namespace {Name}; remove it with `ip netns del {Name}`");
    }

    private static bool TryRun(string[] argv)
    {
        try
        {
            return Command.Run(argv).Succeeded;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public override string ToString() => Name;
}
