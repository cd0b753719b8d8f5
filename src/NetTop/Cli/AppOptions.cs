using System.Globalization;
using Microsoft.Extensions.Configuration;
using NetTop.Capture;
using NetTop.Capture.Sockets;

namespace NetTop.Cli;

/// <summary>Validated, immutable settings: config.json ← NETTOP_* environment ← command line.</summary>
public sealed record AppOptions
{
    public required TimeSpan RefreshInterval { get; init; }
    public required string SnapshotDirectory { get; init; }
    public required string Theme { get; init; }
    public required string ThemePath { get; init; }
    public required CaptureOptions Capture { get; init; }
    /// <summary>
    /// The most TUI main-loop iterations per second after 2 s without a key (Terminal.Gui runs 25 while keys come
    /// in). Keys, timers and resizes wake the loop at once; only with Terminal.Gui's stock input (when NetTop's cannot
    /// be set up, the status line says so) does the first key after a quiet spell wait up to one idle period.
    /// </summary>
    public ushort IdleRate { get; init; } = 1;
    /// <summary>The file the defaults came from (or null when none was found).</summary>
    public string? ConfigFile { get; init; }

    public static string BaseDirectory => AppContext.BaseDirectory;

    /// <summary>Builds the configuration and validates every value; throws <see cref="UsageException"/> naming
    /// the key path and the allowed values.</summary>
    public static AppOptions Load(CommandLine cli, IDictionary<string, string?>? environment = null)
    {
        string? explicitConfig = cli.Get("--config");
        string configFile = explicitConfig ?? Path.Combine(BaseDirectory, "config.json");
        if (explicitConfig is not null && !File.Exists(explicitConfig))
        {
            throw new UsageException(Directory.Exists(explicitConfig)
                ? $"--config: {explicitConfig}: is a directory; name a JSON file"
                : $"--config: {explicitConfig}: no such file");
        }
        ConfigurationBuilder builder = new();
        if (File.Exists(configFile))
        {
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }
        environment ??= Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        // NETTOP_REFRESH, NETTOP_CAPTURE__SOCKETS, ... (the EnvironmentVariables provider's naming). Variables that
        // name no setting are ignored: the environment is shared with other tools; only config files are strict.
        builder.AddInMemoryCollection(environment
            .Where(e => e.Key.StartsWith("NETTOP_", StringComparison.Ordinal))
            .Select(e => new KeyValuePair<string, string?>(e.Key["NETTOP_".Length..].Replace("__", ":", StringComparison.Ordinal), e.Value))
            .Where(e => s_topKeys.Contains(e.Key.Split(':')[0])));
        builder.AddInMemoryCollection(cli.ConfigOverrides);
        IConfigurationRoot config;
        try
        {
            config = builder.Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new UsageException($"config: {configFile}: {e.InnerException?.Message ?? e.Message}");
        }
        return Bind(config, cli, File.Exists(configFile) ? configFile : null);
    }

    private static readonly HashSet<string> s_topKeys = new(StringComparer.OrdinalIgnoreCase)
        { "Refresh", "SnapshotDirectory", "Theme", "IdleRate", "Capture" };

    private static readonly HashSet<string> s_captureKeys = new(StringComparer.OrdinalIgnoreCase)
        { "Sockets", "TcpInfo", "ProcessOwners", "TombstoneSeconds", "Firewall", "Resets", "Packets" };

    private static AppOptions Bind(IConfiguration c, CommandLine cli, string? configFile)
    {
        foreach (IConfigurationSection s in c.GetChildren())
        {
            if (!s_topKeys.Contains(s.Key))
            {
                throw new UsageException($"config: unknown key '{s.Key}'; known keys: {string.Join(", ", s_topKeys.Order())}");
            }
        }
        foreach (IConfigurationSection s in c.GetSection("Capture").GetChildren())
        {
            if (!s_captureKeys.Contains(s.Key))
            {
                throw new UsageException($"config: unknown key 'Capture:{s.Key}'; known keys: {string.Join(", ", s_captureKeys.Order().Select(k => "Capture:" + k))}");
            }
            RequireScalar(s, "Capture:" + s.Key);
        }
        foreach (IConfigurationSection s in c.GetChildren())
        {
            if (s.Key.Equals("Capture", StringComparison.OrdinalIgnoreCase))
            {
                if (s.Value is not null)
                {
                    throw new UsageException($"config: Capture: '{s.Value}' is not allowed; expected an object with keys {string.Join(", ", s_captureKeys.Order())}");
                }
            }
            else
            {
                RequireScalar(s, s.Key);
            }
        }
        double refresh = Number(c, "Refresh", 1.0, 0.1, 3600, "seconds");
        string theme = c["Theme"] ?? "default";
        // https://no-color.org: NO_COLOR set and non-empty means no colors, unless a theme was asked for explicitly.
        if (cli.Get("--theme") is null && Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 })
        {
            theme = "mono";
        }
        string themePath = ResolveTheme(theme);
        string snapshotDir = c["SnapshotDirectory"] ?? "/var/tmp/nettop";
        if (string.IsNullOrWhiteSpace(snapshotDir))
        {
            throw new UsageException("config: SnapshotDirectory: must not be empty; expected a directory path");
        }
        string sockets = (c["Capture:Sockets"] ?? "auto").ToLowerInvariant();
        SocketsMode mode = sockets switch
        {
            "auto" => SocketsMode.Auto,
            "netlink" => SocketsMode.Netlink,
            "proc" => SocketsMode.Proc,
            _ => throw new UsageException($"config: Capture:Sockets: '{c["Capture:Sockets"]}' is not allowed; allowed values: auto, netlink, proc"),
        };
        double idleRate = Number(c, "IdleRate", 1, 1, 25, "whole iterations per second");
        if (idleRate != Math.Floor(idleRate))
        {
            throw new UsageException($"config: IdleRate: '{c["IdleRate"]}' is not allowed; expected whole iterations per second from 1 to 25");
        }
        return new AppOptions
        {
            RefreshInterval = TimeSpan.FromSeconds(refresh),
            IdleRate = (ushort)idleRate,
            SnapshotDirectory = snapshotDir,
            Theme = theme,
            ThemePath = themePath,
            ConfigFile = configFile,
            Capture = new CaptureOptions
            {
                Netns = cli.Get("--netns"),
                RefreshInterval = TimeSpan.FromSeconds(refresh),
                Sockets = mode,
                TcpInfo = Bool(c, "Capture:TcpInfo", true),
                ProcessOwners = Bool(c, "Capture:ProcessOwners", true),
                Firewall = Bool(c, "Capture:Firewall", true),
                Resets = Bool(c, "Capture:Resets", true),
                Packets = Bool(c, "Capture:Packets", true),
                Tombstone = TimeSpan.FromSeconds(Number(c, "Capture:TombstoneSeconds", 5, 0, 3600, "seconds")),
            },
        };
    }

    /// <summary>themes/NAME.json beside the binary, or the repository's themes/ when run from a checkout.</summary>
    public static string ResolveTheme(string name)
    {
        if (name.Length == 0 || name.AsSpan().IndexOfAny(['/', '\\', '\0']) >= 0 || name.StartsWith('.'))
        {
            throw new UsageException($"config: Theme: '{name}' is not allowed; expected a theme name ({string.Join(", ", ThemeNames())})");
        }
        string path = Path.Combine(BaseDirectory, "themes", name + ".json");
        if (!File.Exists(path) && !ThemeNames().Any())
        {
            throw new UsageException($"config: Theme: no themes in {Path.Combine(BaseDirectory, "themes")}: NetTop's themes/ directory " +
                "belongs beside its binary (install the whole build directory, e.g. artifacts/linux-x64/)");
        }
        if (!File.Exists(path))
        {
            throw new UsageException($"config: Theme: '{name}' is not allowed; allowed values: {string.Join(", ", ThemeNames())}");
        }
        return path;
    }

    public static IEnumerable<string> ThemeNames()
    {
        string dir = Path.Combine(BaseDirectory, "themes");
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order()
            : [];
    }

    /// <summary>A value given as an object or array reads as absent in IConfiguration: reject it instead of
    /// silently using the default.</summary>
    private static void RequireScalar(IConfigurationSection s, string path)
    {
        if (s.Value is null && s.GetChildren().Any())
        {
            throw new UsageException($"config: {path}: expected a single value, not an object or array");
        }
    }

    private static double Number(IConfiguration c, string key, double dflt, double min, double max, string unit)
    {
        string? raw = c[key];
        if (raw is null)
        {
            return dflt;
        }
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < min || v > max || double.IsNaN(v))
        {
            throw new UsageException($"config: {key}: '{raw}' is not allowed; expected {unit} from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        }
        return v;
    }

    private static bool Bool(IConfiguration c, string key, bool dflt)
    {
        string? raw = c[key];
        if (raw is null)
        {
            return dflt;
        }
        return bool.TryParse(raw, out bool b)
            ? b
            : throw new UsageException($"config: {key}: '{raw}' is not allowed; allowed values: true, false");
    }
}
