using System.Globalization;
using System.Net;
using System.Text.Json;
using NetTop.Kernel.Tests.Infrastructure;

namespace NetTop.Kernel.Tests;

/// <summary>The built app (src/NetTop, assembly nettop), run the way an admin would.</summary>
public sealed class NettopBinaryTests
{
    private const string Nobody = "65534";
    private static readonly TimeSpan AppTimeout = TimeSpan.FromSeconds(30);

    [RootFact("nsenter", "setpriv", NeedsNettop = true)]
    public async Task Unprivileged_snapshot_in_namespace_sees_listener_but_not_its_owner()
    {
        using TestNamespace ns = TestNamespace.Create();
        int port = TestNamespace.RandomPort();
        await ns.ListenAsync(IPAddress.Loopback, port, backlog: 8);

        // Enter the namespace as root, then drop to nobody: the app watches its own namespace without privileges.
        CommandResult r = await Command.RunAsync(
        [
            "nsenter", $"--net={ns.Path}",
            "setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups",
            "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
            Requirements.Nettop!, "snapshot", "--json", "--duration", "0.3",
        ], AppTimeout, workingDirectory: "/tmp");

        Assert.True(r.ExitCode == 0, r.ToString());
        using JsonDocument doc = ParseJson(r);
        JsonElement root = doc.RootElement;
        Assert.Equal("nettop.snapshot/1", root.GetProperty("schema").GetString());

        string local = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        JsonElement[] listeners = root.GetProperty("listeners").EnumerateArray()
            .Where(l => l.GetProperty("local").GetString() == local).ToArray();
        Assert.True(listeners.Length == 1, $"{listeners.Length} listeners at {local}, expected 1:\n{r.Stdout}");
        JsonElement listener = listeners[0];
        // Owned by the root test process, whose fd table nobody cannot read: the owner is unknown, not guessed.
        Assert.Equal(JsonValueKind.Null, listener.GetProperty("process").ValueKind);
        Assert.Equal(JsonValueKind.Null, listener.GetProperty("pid").ValueKind);
        Assert.Equal(8, listener.GetProperty("backlog").GetInt32());
        Assert.Equal(0, listener.GetProperty("acceptQueue").GetInt32());

        JsonElement[] owners = root.GetProperty("sources").EnumerateArray()
            .Where(s => s.GetProperty("name").GetString() == "owners").ToArray();
        Assert.True(owners.Length == 1, $"{owners.Length} 'owners' sources:\n{r.Stdout}");
        Assert.Equal("degraded", owners[0].GetProperty("status").GetString());
        string detail = owners[0].GetProperty("detail").GetString() ?? "";
        string fix = owners[0].TryGetProperty("fix", out JsonElement f) ? f.GetString() ?? "" : "";
        Assert.True((detail + " " + fix).Contains("CAP_SYS_PTRACE", StringComparison.Ordinal),
            $"owners status should name CAP_SYS_PTRACE: detail '{detail}', fix '{fix}'");

        // sock_diag works unprivileged, so the listener's backlog is known.
        JsonElement sockets = root.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "sockets");
        Assert.Equal("ok", sockets.GetProperty("status").GetString());
    }

    [NettopFact]
    public void Unknown_netns_exits_2_and_names_it()
    {
        const string missing = "nettop-t-does-not-exist";
        CommandResult r = Command.Run([Requirements.Nettop!, "snapshot", "--json", "--netns", missing], AppTimeout, workingDirectory: "/tmp");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(missing, r.Stderr, StringComparison.Ordinal);
        Assert.True(string.IsNullOrWhiteSpace(r.Stdout), $"nothing on stdout when the namespace is unknown: {r.Stdout}");
    }

    private static JsonDocument ParseJson(CommandResult r)
    {
        try
        {
            return JsonDocument.Parse(r.Stdout);
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not JSON ({e.Message}): {r}");
        }
    }
}
