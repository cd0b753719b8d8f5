namespace NetTop.Cli;

/// <summary>The mode and options on the command line, before configuration is merged in.</summary>
public sealed record CommandLine(string Mode, IReadOnlyDictionary<string, string> Options, IReadOnlySet<string> Flags)
{
    /// <summary>The directory of `record DIR` / `replay DIR`.</summary>
    public string? Argument { get; init; }

    public const string Usage = """
        usage: nettop [OPTIONS]                      live TUI (listen queues, half-open connections)
               nettop snapshot (--json|--text) [--duration SECONDS] [-o FILE] [OPTIONS]
               nettop batch [-n COUNT] [-d SECONDS] [--json] [OPTIONS]   a frame (or JSON line) per tick, like top -b
               nettop serve --metrics HOST:PORT [OPTIONS]               Prometheus metrics at /metrics
               nettop record DIR [--duration SECONDS] [OPTIONS]         write every source's raw input into DIR
               nettop replay DIR [--speed X]                            the TUI, driven by a recording
               nettop replay DIR --batch [-n COUNT] [--json]            a frame (or JSON line) per recorded tick
               nettop replay DIR --snapshot (--json|--text) [-n TICK] [-o FILE]   the snapshot at TICK (default: the last)
               nettop --help | --version

        options:
          --netns NAME|PID|PATH   watch another network namespace (ip netns name, a process's, or an nsfs path)
          --refresh SECONDS       refresh interval (default from config.json: 1)
          --theme NAME            theme from themes/NAME.json
          --config FILE           configuration file (default: config.json beside the binary)
          --sockets auto|netlink|proc   how to read sockets (proc = /proc/net/tcp, no max backlog)
          --snapshot-dir DIR      where the TUI's snapshot key writes
          --cleanup               remove firewall trace rules a crashed NetTop left behind, then exit
          --demo                  (root) watch a private namespace with live scenarios, removed on exit
                                  (also for snapshot and batch; not with --netns)
        snapshot:
          --json | --text         output format (JSON contract nettop.snapshot/1, or the panels as text)
          --duration SECONDS      sample for this long so rates exist (default 1)
          -o, --output FILE       write atomically to FILE (mode 0600) instead of stdout
        batch:
          -n, --count COUNT       stop after COUNT ticks (default: until SIGINT/SIGTERM)
          -d, --delay SECONDS     seconds between ticks (default: the refresh interval)
          --json                  one snapshot per line (JSON lines) instead of text frames
        record:
          --duration SECONDS      stop after this long (default: until SIGINT/SIGTERM); DIR must be new or empty
        replay (keys: p/space pause, n next tick while paused, + / - speed):
          --speed X               playback speed, 0.1 to 100 (default 1: as recorded)
          --batch, --snapshot     headless: every tick to stdout, or one snapshot
        environment: NETTOP_REFRESH, NETTOP_THEME, NETTOP_CAPTURE__SOCKETS, ... override config.json
        """;

    private static readonly HashSet<string> s_modes = ["tui", "snapshot", "batch", "serve", "record", "replay", "bench-sockets", "bench-firewall", "record-sockets"];

    // option → config key it binds to (null: mode option, not configuration)
    private static readonly Dictionary<string, string?> s_valued = new()
    {
        ["--netns"] = null,
        ["--refresh"] = "Refresh",
        ["--theme"] = "Theme",
        ["--config"] = null,
        ["--sockets"] = "Capture:Sockets",
        ["--snapshot-dir"] = "SnapshotDirectory",
        ["--duration"] = null,
        ["--output"] = null,
        ["--iterations"] = null,
        ["--count"] = null,
        ["--delay"] = "Refresh",
        ["--metrics"] = null,
        ["--speed"] = null,
    };

    private static readonly HashSet<string> s_flags = ["--json", "--text", "--help", "--version", "--no-info", "--cleanup", "--demo", "--batch", "--snapshot"];

    /// <summary>Config keys set by options, for the configuration's command-line layer.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigOverrides =>
        Options.Where(o => s_valued[o.Key] is not null).Select(o => new KeyValuePair<string, string?>(s_valued[o.Key]!, o.Value));

    public string? Get(string option) => Options.TryGetValue(option, out string? v) ? v : null;

    public bool Has(string flag) => Flags.Contains(flag);

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        string mode = "tui";
        Dictionary<string, string> options = [];
        HashSet<string> flags = [];
        string? argument = null;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (i == 0 && !a.StartsWith('-'))
            {
                if (!s_modes.Contains(a))
                {
                    throw new UsageException($"unknown command '{a}'; commands: snapshot, batch, serve, record, replay");
                }
                mode = a;
                continue;
            }
            if (mode is "record" or "replay" && (!a.StartsWith('-') || a == "-") && a.Length > 0)
            {
                argument = argument is null ? a : throw new UsageException($"{mode} takes one directory; '{a}' is a second one");
                continue;
            }
            string name = a, value = "";
            bool inline = false;
            int eq = a.IndexOf('=');
            if (a.StartsWith("--") && eq > 0)
            {
                name = a[..eq];
                value = a[(eq + 1)..];
                inline = true;
            }
            name = name switch
            {
                "-o" => "--output",
                "-n" => "--count",
                "-d" => "--delay",
                _ => name,
            };
            if (name is "-h")
            {
                name = "--help";
            }
            if (s_flags.Contains(name) && !inline)
            {
                flags.Add(name);
                continue;
            }
            if (!s_valued.ContainsKey(name))
            {
                throw new UsageException($"unknown option '{a}'");
            }
            if (!inline)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--") && args[i + 1].Length > 2))
                {
                    throw new UsageException($"option {name} needs a value");
                }
                value = args[++i];
            }
            if (!options.TryAdd(name, value))
            {
                throw new UsageException($"option {name} given twice");
            }
        }
        // Options that belong to one mode are an error elsewhere, not silently ignored.
        string[] misplaced = mode switch
        {
            "tui" => [.. flags.Where(f => f is "--json" or "--text" or "--no-info"), .. options.Keys.Where(k => k is "--duration" or "--output" or "--count" or "--metrics" or "--iterations")],
            "snapshot" => [.. options.Keys.Where(k => k is "--count" or "--metrics")],
            "batch" => [.. options.Keys.Where(k => k is "--duration" or "--output" or "--metrics")],
            "serve" => [.. flags.Where(f => f is "--json" or "--text"), .. options.Keys.Where(k => k is "--duration" or "--output" or "--count")],
            "record" => [.. flags.Where(f => f is "--json" or "--text" or "--no-info"),
                .. options.Keys.Where(k => k is "--output" or "--count" or "--metrics" or "--iterations")],
            "replay" => [.. options.Keys.Where(k => k is "--duration" or "--metrics" or "--netns" or "--iterations" or "--sockets" or "--delay")],
            _ => [],
        };
        if (mode != "replay")
        {
            misplaced = [.. misplaced, .. flags.Where(f => f is "--batch" or "--snapshot"), .. options.Keys.Where(k => k is "--speed")];
        }
        if (misplaced.Length > 0)
        {
            string what = mode == "tui" ? "the live view" : $"'{mode}'";
            throw new UsageException($"{string.Join(", ", misplaced)} not allowed for {what} (see nettop --help)");
        }
        if (flags.Contains("--demo"))
        {
            // The demo makes and watches its own namespace, for the modes a newcomer (or a test) would use.
            string? clash = options.ContainsKey("--netns") ? "--netns" : flags.Contains("--cleanup") ? "--cleanup"
                : mode is "tui" or "batch" or "snapshot" ? null : $"'{mode}'";
            if (clash is not null)
            {
                throw new UsageException($"--demo watches its own namespace: not allowed with {clash} (see nettop --help)");
            }
        }
        if (mode is "record" or "replay" && argument is null)
        {
            throw new UsageException($"{mode} needs a directory: nettop {mode} DIR");
        }
        return new CommandLine(mode, options, flags) { Argument = argument };
    }
}
