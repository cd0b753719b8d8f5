using System.Globalization;
using System.Net;
using System.Text.Json;
using NetTop.Kernel.Tests.Infrastructure;

namespace NetTop.Kernel.Tests;

/// <summary>
/// The documented non-root run: the JIT build and the native build (scripts/nettop, scripts/publish), with
/// `setcap cap_net_admin,cap_net_raw,cap_perfmon+ep`, run as an unprivileged user (uid 65534) inside a namespace scenario. What each capability gives is asserted:
/// sock_diag with max backlog (no capability needed), packets (CAP_NET_RAW), the firewall rules read by iptables-save
/// running with the CAP_NET_ADMIN NetTop passes on as an ambient capability, and resets; tracepoints need tracefs,
/// which this kernel mounts 0700 root, so without root the resets come from the packet capture (wire).
/// </summary>
public sealed class CapabilityRunTests
{
    private const string Nobody = "65534";
    private const string Caps = "cap_net_admin,cap_net_raw,cap_perfmon+ep";

    /// <summary>
    /// The framework-dependent build (the apphost `nettop` beside its dlls, what scripts/nettop runs): the host finds
    /// the shared runtime in its default location even in a secure-exec (file capability) process.
    /// </summary>
    [CapabilityFact(Published = false)]
    public Task The_built_app_with_file_capabilities_run_as_nobody_sees_backlogs_packets_rules_and_resets() =>
        RunAsNobodyAsync(Path.GetDirectoryName(Requirements.Nettop!)!, Path.GetFileName(Requirements.Nettop!));

    /// <summary>The native binary (NativeAOT, scripts/nettop and scripts/publish), the form the README documents for setcap.</summary>
    [CapabilityFact(Published = true)]
    public Task The_native_binary_with_file_capabilities_run_as_nobody_sees_backlogs_packets_rules_and_resets() =>
        RunAsNobodyAsync(Path.GetDirectoryName(Requirements.NativeNettop!)!, "nettop");

    private static async Task RunAsNobodyAsync(string sourceDir, string exeName)
    {
        string dir = Directory.CreateTempSubdirectory("nettop-cap-").FullName;
        try
        {
            // A copy the unprivileged user can read and execute, with the file capabilities (setcap on the copy only):
            // the binary, its dlls and runtimes, config.json and themes/ (not earlier publish outputs).
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            CopyTree(sourceDir, dir, top: true);
            string exe = Path.Combine(dir, exeName);
            Command.Run(["setcap", Caps, exe]).EnsureSuccess();
            Assert.Contains("cap_net_admin,cap_net_raw,cap_perfmon=ep", Command.Run(["getcap", exe]).EnsureSuccess().Stdout);
            // A HOME that nobody owns, for anything the run writes there.
            string home = Path.Combine(dir, "home");
            Directory.CreateDirectory(home);
            Command.Run(["chown", $"{Nobody}:{Nobody}", home]).EnsureSuccess();

            using TestNamespace ns = TestNamespace.Create();
            int port = TestNamespace.RandomPort(), dropPort = port + 1, closedPort = port + 2;
            string drop = dropPort.ToString(CultureInfo.InvariantCulture);
            ns.AddIptablesRule("INPUT", "-p", "tcp", "--dport", drop, "--syn", "-j", "DROP");
            await ns.ListenAsync(IPAddress.Loopback, port, backlog: 8);
            await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, dropPort));

            Task<CommandResult> run = Command.RunAsync(
            [
                "nsenter", $"--net={ns.Path}",
                "setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups",
                "env", $"HOME={home}", $"DOTNET_BUNDLE_EXTRACT_BASE_DIR={home}",
                exe, "snapshot", "--json", "--duration", "3",
            ], TimeSpan.FromSeconds(90), workingDirectory: home);
            // Resets while it samples: refused connects to a closed port (RSTs on the wire of this namespace).
            for (int i = 0; i < 8 && !run.IsCompleted; i++)
            {
                await Task.Delay(400);
                await ns.ConnectNonBlockingAsync(new IPEndPoint(IPAddress.Loopback, closedPort));
            }
            CommandResult r = await run;
            Assert.True(r.ExitCode == 0, r.ToString());
            using JsonDocument doc = JsonDocument.Parse(r.Stdout);
            JsonElement root = doc.RootElement;
            string Status(string name) => root.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).ToString();
            string Health(string name) => root.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("status").GetString()!;

            // sock_diag: the listener with its max backlog.
            JsonElement listener = root.GetProperty("listeners").EnumerateArray()
                .Single(l => l.GetProperty("local").GetString() == $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
            Assert.Equal(8, listener.GetProperty("backlog").GetInt32());
            Assert.True(Health("sockets") == "ok", Status("sockets"));
            // CAP_NET_RAW: the AF_PACKET capture.
            Assert.True(Health("packets") == "ok", Status("packets"));
            // CAP_NET_ADMIN passed on to iptables-save (ambient): the DROP rule and the stuck connect's suspect.
            Assert.True(Health("firewall") == "ok", Status("firewall"));
            Assert.Contains(root.GetProperty("firewall").EnumerateArray(), f => f.GetProperty("rule").GetString()!.Contains($"--dport {drop}", StringComparison.Ordinal));
            // Resets: from the tracepoints when tracefs is readable, else classified from the captured packets.
            Assert.Contains(root.GetProperty("resets").EnumerateArray(), e =>
                e.GetProperty("local").GetString() == $"127.0.0.1:{closedPort.ToString(CultureInfo.InvariantCulture)}"
                && e.GetProperty("direction").GetString() == "sent");
            string resets = Status("resets");
            if (Health("resets") != "ok")
            {
                // This kernel's tracefs is 0700 root: say so and name the fix, never a crash.
                Assert.Contains("tracefs", resets, StringComparison.Ordinal);
            }
            // Process owners need CAP_SYS_PTRACE (not granted): degraded, naming it.
            Assert.Contains("CAP_SYS_PTRACE", Status("owners"), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Copies a build or publish directory, world-readable, leaving out earlier publish outputs below it.</summary>
    private static void CopyTree(string from, string to, bool top = false)
    {
        foreach (string file in Directory.GetFiles(from))
        {
            string target = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
        }
        foreach (string sub in Directory.GetDirectories(from))
        {
            string name = Path.GetFileName(sub);
            if (top && name is "publish" or "linux-x64") continue; // earlier `dotnet publish` outputs beside the build
            string target = Path.Combine(to, name);
            Directory.CreateDirectory(target);
            File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
            CopyTree(sub, target, top: false);
        }
    }
}

/// <summary>
/// Root and the tools the capability run needs; then either the JIT build (src/NetTop/bin/…/nettop) or the native build
/// (artifacts/&lt;rid&gt;/nettop, which scripts/test makes first: a minute or two, longer than a test should; without it
/// that case is skipped and says so).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CapabilityFactAttribute : FactAttribute
{
    public CapabilityFactAttribute()
    {
        Skip = Requirements.Root(["ip", "setcap", "getcap", "setpriv", "nsenter", "iptables"]);
    }

    public bool Published
    {
        get => false;
        set => Skip ??= value ? Requirements.NativeNettopMissing : Requirements.NettopMissing;
    }
}
