using System.Collections.Immutable;
using System.Globalization;
using NetTop.Capture.Interop;

namespace NetTop.Capture.Perf;

/// <summary>
/// Kernel text symbols from /proc/kallsyms (types t/T), sorted once; an address resolves to the greatest symbol
/// at or below it, as "name+0xoff" (what perf script prints). Addresses are zero when kptr_restrict hides
/// them (then <see cref="AddressesHidden"/> and frames print as hex). Immutable after load: thread-safe.
/// </summary>
public sealed class KallsymsSymbolizer
{
    public const string ProcKallsyms = "/proc/kallsyms";

    /// <summary>A frame further than this past its symbol is not inside it (the gap before the next text).</summary>
    private const ulong MaxOffset = 1UL << 24;

    private readonly ulong[] _addresses;
    private readonly string[] _names;

    private KallsymsSymbolizer(ulong[] addresses, string[] names, bool hidden)
    {
        _addresses = addresses;
        _names = names;
        AddressesHidden = hidden;
    }

    public static readonly KallsymsSymbolizer Empty = new([], [], false);

    public int Count => _addresses.Length;

    /// <summary>True when kallsyms listed text symbols but every address was 0 (kptr_restrict, no CAP_SYSLOG).</summary>
    public bool AddressesHidden { get; }

    /// <summary>Reads /proc/kallsyms; <see cref="Empty"/> (and the reason) when it cannot.</summary>
    public static KallsymsSymbolizer Load(out string? problem, string path = ProcKallsyms)
    {
        try
        {
            using StreamReader r = new(path);
            KallsymsSymbolizer s = Parse(r);
            problem = s.AddressesHidden
                ? "kallsyms addresses are hidden (kernel.kptr_restrict): stacks show raw addresses; run as root or with CAP_SYSLOG"
                : s.Count == 0 ? $"{path} lists no text symbols: stacks show raw addresses" : null;
            return s;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read {path} ({e.Message}): stacks show raw addresses";
            return Empty;
        }
    }

    /// <summary>Parses kallsyms text: "ffffffff81000000 T _stext" with an optional "[module]" column.</summary>
    public static KallsymsSymbolizer Parse(TextReader text)
    {
        List<(ulong, string)> syms = new(capacity: 1 << 17);
        int textSymbols = 0;
        string? line;
        while ((line = text.ReadLine()) is not null)
        {
            ReadOnlySpan<char> l = line;
            int s1 = l.IndexOf(' ');
            if (s1 <= 0 || s1 + 3 >= l.Length || l[s1 + 2] != ' ') continue;
            char type = l[s1 + 1];
            if (type is not ('t' or 'T')) continue;
            if (!ulong.TryParse(l[..s1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong addr)) continue;
            ReadOnlySpan<char> rest = l[(s1 + 3)..];
            int tab = rest.IndexOfAny(' ', '\t');
            string name = (tab >= 0 ? rest[..tab] : rest).ToString();
            if (name.Length == 0) continue;
            textSymbols++;
            if (addr != 0) syms.Add((addr, name));
        }
        syms.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        ulong[] addrs = new ulong[syms.Count];
        string[] names = new string[syms.Count];
        for (int i = 0; i < syms.Count; i++)
        {
            (addrs[i], names[i]) = syms[i];
        }
        return new KallsymsSymbolizer(addrs, names, hidden: textSymbols > 0 && syms.Count == 0);
    }

    /// <summary>"tcp_v4_send_reset+0x733", or "0xffffffff8123abcd" when no symbol covers it.</summary>
    public string Symbolize(ulong ip)
    {
        int i = Array.BinarySearch(_addresses, ip);
        if (i < 0) i = ~i - 1;
        if (i < 0 || ip - _addresses[i] > MaxOffset) return "0x" + ip.ToString("x", CultureInfo.InvariantCulture);
        ulong off = ip - _addresses[i];
        return off == 0 ? _names[i] : $"{_names[i]}+0x{off.ToString("x", CultureInfo.InvariantCulture)}";
    }
}

/// <summary>
/// Turns perf callchains into symbolized kernel frames, caching frames by address and whole stacks by their
/// addresses (resets come from a handful of stacks, so events share one array). Kernel frames only: markers
/// (PERF_CONTEXT_*) are skipped and user frames dropped (in softirq they belong to whichever task was interrupted).
/// Bounded caches; one thread only (the reader).
/// </summary>
public sealed class StackSymbolizer(KallsymsSymbolizer kallsyms, int frameCacheCapacity = 65_536, int stackCacheCapacity = 4096)
{
    private readonly Dictionary<ulong, string> _frames = [];
    private readonly Dictionary<ulong, (ulong[] Ips, ImmutableArray<string> Frames)> _stacks = [];

    public KallsymsSymbolizer Kallsyms => kallsyms;

    public ImmutableArray<string> Symbolize(ref PerfSample sample)
    {
        int n = sample.CallchainCount;
        if (n == 0) return [];
        // Hash the kernel part of the chain to find a cached stack without allocating.
        ulong hash = 14695981039346656037UL;
        int kernelFrames = 0;
        bool user = false;
        for (int i = 0; i < n && !user; i++)
        {
            ulong ip = sample.CallchainAt(i);
            if (ip >= PerfEvents.PERF_CONTEXT_MAX)
            {
                user = ip == PerfEvents.PERF_CONTEXT_USER;
                continue;
            }
            hash = (hash ^ ip) * 1099511628211UL;
            kernelFrames++;
        }
        if (_stacks.TryGetValue(hash, out var cached) && Same(cached.Ips, ref sample))
        {
            return cached.Frames;
        }
        ulong[] ips = new ulong[kernelFrames];
        string[] frames = new string[kernelFrames];
        int k = 0;
        for (int i = 0; i < n && k < kernelFrames; i++)
        {
            ulong ip = sample.CallchainAt(i);
            if (ip >= PerfEvents.PERF_CONTEXT_MAX)
            {
                if (ip == PerfEvents.PERF_CONTEXT_USER) break;
                continue;
            }
            ips[k] = ip;
            frames[k++] = Frame(ip);
        }
        ImmutableArray<string> result = ImmutableArray.Create(frames);
        if (_stacks.Count >= stackCacheCapacity) _stacks.Clear();
        _stacks[hash] = (ips, result);
        return result;
    }

    private string Frame(ulong ip)
    {
        if (_frames.TryGetValue(ip, out string? f)) return f;
        if (_frames.Count >= frameCacheCapacity) _frames.Clear();
        f = kallsyms.Symbolize(ip);
        _frames[ip] = f;
        return f;
    }

    private static bool Same(ulong[] ips, ref PerfSample s)
    {
        int k = 0;
        for (int i = 0; i < s.CallchainCount; i++)
        {
            ulong ip = s.CallchainAt(i);
            if (ip >= PerfEvents.PERF_CONTEXT_MAX)
            {
                if (ip == PerfEvents.PERF_CONTEXT_USER) break;
                continue;
            }
            if (k >= ips.Length || ips[k++] != ip) return false;
        }
        return k == ips.Length;
    }
}
