using System.Globalization;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Recording;
using NetTop.Model;
using NetTop.Model.Counters;

namespace NetTop.Capture.Counters;

/// <summary>
/// The namespace's TCP counters from /proc/thread-self/net/netstat and snmp (per netns; /proc/net would show the
/// thread-group leader's namespace after setns). Runs on the namespace's thread.
/// </summary>
public sealed class CountersSource : ISource
{
    public const string SourceName = "counters";
    private const string Netstat = "/proc/thread-self/net/netstat";
    private const string Snmp = "/proc/thread-self/net/snmp";
    private const string LinearTimeouts = "/proc/sys/net/ipv4/tcp_syn_linear_timeouts";

    private readonly NetnsThread _thread;
    private readonly Func<TimeSpan> _clock;
    private volatile SourceStatus _status = new(SourceName, SourceHealth.Ok, "starting");

    private readonly CaptureIo _io;

    public CountersSource(NetnsThread thread, Func<TimeSpan> clock)
        : this(thread, clock, CaptureIo.Kernel)
    {
    }

    /// <summary>With <paramref name="io"/> the files come from a recording tee or a replay instead of the kernel.</summary>
    internal CountersSource(NetnsThread thread, Func<TimeSpan> clock, CaptureIo io)
    {
        _io = io;
        _thread = thread;
        _clock = clock;
    }

    public string Name => SourceName;

    public SourceStatus Status => _status;

    /// <summary>Set to receive each file's raw text (recording). Called on the netns thread.</summary>
    public Action<string, string>? Tap { get; set; }

    public Task<CountersSample> PollAsync(CancellationToken ct = default) => _thread.InvokeAsync(Poll, ct);

    internal CountersSample Poll()
    {
        Dictionary<string, ulong> values = new(256);
        int malformed = 0;
        List<string> errors = [];
        foreach (string path in (ReadOnlySpan<string>)[Netstat, Snmp])
        {
            try
            {
                string text = _io.ReadText(path);
                Tap?.Invoke(path, text);
                malformed += ProcNetstatParser.Parse(text, values);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{path}: {e.Message}");
            }
        }
        int? linear = null;
        try
        {
            // sysctls under /proc/sys/net answer for the reading thread's namespace.
            if (int.TryParse(_io.ReadText(LinearTimeouts).AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int l))
            {
                linear = l;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Before 6.5 there is no such sysctl: every SYN timeout doubles.
            linear = 0;
        }
        _status = errors.Count switch
        {
            0 when malformed == 0 => SourceStatus.Ok(SourceName, $"{values.Count} counters"),
            0 => new(SourceName, SourceHealth.Degraded, $"{values.Count} counters, {malformed} malformed lines skipped"),
            1 => new(SourceName, SourceHealth.Degraded, string.Join("; ", errors), "mount procfs at /proc"),
            _ => new(SourceName, SourceHealth.Unavailable, string.Join("; ", errors), "mount procfs at /proc"),
        };
        return new CountersSample(_clock(), values, malformed) { SynLinearTimeouts = linear };
    }
}
