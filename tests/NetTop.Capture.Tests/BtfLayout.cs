using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace NetTop.Capture.Tests;

/// <summary>
/// Proves hand-written kernel struct layouts against the running kernel: its BTF is dumped as C
/// (`bpftool btf dump file /sys/kernel/btf/vmlinux format c`), a generated C probe prints offsetof/sizeof for each
/// field NetTop declares, and <see cref="Mismatches"/> lists every difference. Used by every interop layout test.
/// </summary>
internal sealed class BtfLayout
{
    public const string Btf = "/sys/kernel/btf/vmlinux";

    private readonly List<string> _probe = [];
    private readonly List<(string Key, long Ours)> _expected = [];

    /// <summary>sizeof and every public instance field's offset (Marshal) of an interop struct, except <paramref name="skip"/>.</summary>
    public BtfLayout Struct(Type t, string cName, params string[] skip)
    {
        Size(cName, Marshal.SizeOf(t));
        foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public).Where(f => !skip.Contains(f.Name)))
        {
            Offset(cName, f.Name, Marshal.OffsetOf(t, f.Name).ToInt64());
        }
        return this;
    }

    /// <summary>Offsets declared as integer constants named after the C fields (for structs read by offset).</summary>
    public BtfLayout OffsetConstants(Type holder, string cName, params string[] skip)
    {
        foreach (FieldInfo f in holder.GetFields(BindingFlags.Static | BindingFlags.Public).Where(f => f.IsLiteral && !skip.Contains(f.Name)))
        {
            Offset(cName, f.Name, Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture));
        }
        return this;
    }

    public BtfLayout Size(string cName, long ours)
    {
        _probe.Add($"S({cName})");
        _expected.Add(($"sizeof {cName}", ours));
        return this;
    }

    public BtfLayout Offset(string cName, string field, long ours)
    {
        _probe.Add($"O({cName}, {field})");
        _expected.Add(($"{cName}.{field}", ours));
        return this;
    }

    /// <summary>Compiles and runs the probe; returns "key: NetTop x, kernel y" for each difference.</summary>
    public IReadOnlyList<string> Mismatches()
    {
        Dictionary<string, long> kernel = Probe();
        List<string> mismatches = [];
        foreach ((string key, long ours) in _expected)
        {
            if (!kernel.TryGetValue(key, out long theirs))
            {
                mismatches.Add($"{key}: not printed by the C probe");
            }
            else if (theirs != ours)
            {
                mismatches.Add($"{key}: NetTop {ours}, kernel {theirs}");
            }
        }
        Assert.True(kernel.Count >= _expected.Count, "the probe printed fewer lines than it was asked for");
        return mismatches;
    }

    private Dictionary<string, long> Probe()
    {
        string dir = Directory.CreateTempSubdirectory("nettop-layout-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "vmlinux.h"), Run("bpftool", ["btf", "dump", "file", Btf, "format", "c"]));
            StringBuilder c = new();
            c.AppendLine("#include \"vmlinux.h\"\nint printf(const char*, ...);\n#define O(s,f) printf(#s \".\" #f \" %lu\\n\", (unsigned long)__builtin_offsetof(struct s, f));\n#define S(s) printf(\"sizeof \" #s \" %lu\\n\", (unsigned long)sizeof(struct s));\nint main(void) {");
            foreach (string line in _probe)
            {
                c.AppendLine(line);
            }
            c.AppendLine("return 0; }");
            File.WriteAllText(Path.Combine(dir, "probe.c"), c.ToString());
            Run("cc", ["-o", Path.Combine(dir, "probe"), Path.Combine(dir, "probe.c"), "-I", dir], dir);
            Dictionary<string, long> result = [];
            foreach (string line in Run(Path.Combine(dir, "probe"), []).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int sp = line.LastIndexOf(' ');
                result[line[..sp]] = long.Parse(line[(sp + 1)..], CultureInfo.InvariantCulture);
            }
            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string[] args, string? cwd = null)
    {
        ProcessStartInfo psi = new(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd ?? "" };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish");
        }
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {stderr.Result}");
        return stdout.Result;
    }
}

/// <summary>Runs where the kernel's BTF, bpftool and a C compiler exist; otherwise skips naming what is missing.</summary>
internal sealed class LayoutFactAttribute : FactAttribute
{
    public LayoutFactAttribute()
    {
        List<string> missing = [];
        if (!File.Exists(BtfLayout.Btf))
        {
            missing.Add($"{BtfLayout.Btf} (a kernel built with CONFIG_DEBUG_INFO_BTF)");
        }
        foreach (string tool in new[] { "bpftool", "cc" })
        {
            bool found = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
                .Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, tool)));
            if (!found)
            {
                missing.Add(tool == "cc" ? "a C compiler (apt-get install gcc)" : "bpftool (apt-get install bpftool)");
            }
        }
        if (missing.Count > 0)
        {
            Skip = "needs " + string.Join(", ", missing);
        }
    }
}
