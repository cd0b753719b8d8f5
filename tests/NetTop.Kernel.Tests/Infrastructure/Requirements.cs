using System.Reflection;

namespace NetTop.Kernel.Tests.Infrastructure;

/// <summary>
/// What a kernel test needs from the machine, checked once at discovery: a reason to skip, or null.
/// xunit 2 has no dynamic skip, so the fact attributes below ask these in their constructors.
/// </summary>
internal static class Requirements
{
    public const string RootReason = "needs root (CAP_SYS_ADMIN for network namespaces, CAP_NET_ADMIN for iptables)";

    private static readonly Lazy<string?> s_nettop = new(FindNettop);
    private static string? s_nettopMissing;
    private static string? s_nettopUnreadable;

    /// <summary>Null when running as root (euid 0) and every binary is on PATH; otherwise why not.</summary>
    public static string? Root(IEnumerable<string> binaries)
    {
        // Environment.IsPrivilegedProcess is geteuid() == 0 on Linux.
        if (!Environment.IsPrivilegedProcess)
        {
            return RootReason;
        }
        return Binaries(binaries);
    }

    public static string? Binaries(IEnumerable<string> binaries)
    {
        List<string> missing = binaries.Where(b => FindOnPath(b) is null).ToList();
        return missing.Count == 0
            ? null
            : $"needs {string.Join(", ", missing.Select(b => $"`{b}`"))} on PATH ({Hint(missing)})";
    }

    public static string? FindOnPath(string name)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        // Test hosts may run with a trimmed PATH; root's sbin directories are where ip and iptables live.
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static string Hint(List<string> missing) =>
        string.Join("; ", missing.Select(b => b switch
        {
            "ip" => "apt-get install -y iproute2",
            "iptables" => "apt-get install -y iptables",
            "nsenter" or "setpriv" => "apt-get install -y util-linux",
            _ => $"install {b}",
        }));

    /// <summary>The built app (src/NetTop/bin/CONFIG/net10.0/nettop), or null (see <see cref="NettopMissing"/>).</summary>
    public static string? Nettop => s_nettop.Value;

    /// <summary>Null when the app is built; otherwise why there is nothing to run.</summary>
    public static string? NettopMissing => s_nettop.Value is null ? s_nettopMissing : null;

    /// <summary>Null when the built app is readable by an unprivileged user (uid 65534); otherwise why not.</summary>
    public static string? NettopUnreadable => s_nettop.Value is null ? s_nettopMissing : s_nettopUnreadable;

    public static string? RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// The native build (NativeAOT: artifacts/&lt;rid&gt;/nettop, what scripts/nettop runs where a C toolchain can link it;
    /// scripts/test builds it before the tests), or null (see <see cref="NativeNettopMissing"/>).
    /// </summary>
    public static string? NativeNettop =>
        RepoRoot is { } root && Path.Combine(root, "artifacts", NativeRid, "nettop") is var p && File.Exists(p) ? p : null;

    /// <summary>Null when the native build is there; otherwise why not, with the command that makes it.</summary>
    public static string? NativeNettopMissing => NativeNettop is null
        ? $"no native build at {RepoRoot ?? "<repo>"}/artifacts/{NativeRid}/nettop: run scripts/nettop --version (or scripts/publish) with gcc installed"
        : null;

    private static string NativeRid =>
        System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64
            ? "linux-arm64"
            : "linux-x64";

    private static string? FindRepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "NetTop.sln")))
            {
                return d.FullName;
            }
        }
        return null;
    }

    private static string? FindNettop()
    {
        if (RepoRoot is null)
        {
            s_nettopMissing = $"cannot find the repository root (a directory with NetTop.sln) above {AppContext.BaseDirectory}";
            return null;
        }
        // Prefer the configuration this test assembly was built with, then any other.
        string own = typeof(Requirements).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string binRoot = Path.Combine(RepoRoot, "src", "NetTop", "bin");
        IEnumerable<string> configurations = Directory.Exists(binRoot)
            ? Directory.GetDirectories(binRoot).Select(Path.GetFileName).OfType<string>().Where(c => c != own).Order()
            : [];
        foreach (string configuration in configurations.Prepend(own))
        {
            string dir = Path.Combine(binRoot, configuration, "net10.0");
            string exe = Path.Combine(dir, "nettop");
            if (File.Exists(exe) && File.Exists(Path.Combine(dir, "nettop.dll")))
            {
                s_nettopUnreadable = WorldReadable(dir, exe);
                return exe;
            }
        }
        s_nettopMissing = $"the app is not built: no nettop under {binRoot}/<Configuration>/net10.0 (run `dotnet build src/NetTop -c {own}`)";
        return null;
    }

    /// <summary>The unprivileged run (uid 65534) must be able to traverse to the output and read it.</summary>
    private static string? WorldReadable(string dir, string exe)
    {
        for (DirectoryInfo? d = new(dir); d is not null; d = d.Parent)
        {
            if ((File.GetUnixFileMode(d.FullName) & UnixFileMode.OtherExecute) == 0)
            {
                return $"{d.FullName} is not searchable by others (o+x), so uid 65534 cannot run {exe}";
            }
        }
        foreach (string f in (ReadOnlySpan<string>)[exe, Path.Combine(dir, "nettop.dll"), Path.Combine(dir, "nettop.runtimeconfig.json")])
        {
            if (File.Exists(f) && (File.GetUnixFileMode(f) & UnixFileMode.OtherRead) == 0)
            {
                return $"{f} is not readable by others (o+r), so uid 65534 cannot run it";
            }
        }
        return null;
    }
}

/// <summary>
/// A fact that needs root and the named binaries (default: ip). Skipped, with the missing capability or
/// binary named, when they are absent. <see cref="NeedsNettop"/> also requires the built app.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute(params string[] binaries)
    {
        Skip = Requirements.Root(binaries.Length == 0 ? ["ip"] : ["ip", .. binaries]);
    }

    /// <summary>Also skip when src/NetTop is not built (or not readable by an unprivileged user).</summary>
    public bool NeedsNettop
    {
        get => false;
        set
        {
            if (value && Skip is null)
            {
                Skip = Requirements.NettopUnreadable;
            }
        }
    }
}

/// <summary>A fact that runs the built app without root: skipped when src/NetTop is not built.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class NettopFactAttribute : FactAttribute
{
    public NettopFactAttribute()
    {
        Skip = Requirements.NettopMissing;
    }
}
