using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using NetTop.Capture.Interop;

namespace NetTop.Capture.Tests.Resets;

/// <summary>
/// Proves the perf and AF_PACKET interop offsets against the running kernel's BTF, the same way
/// InteropLayoutTests does for sock_diag: bpftool dumps vmlinux.h, a C probe prints offsetof/sizeof.
/// </summary>
public sealed class PerfPacketLayoutTests
{
    private const string Btf = "/sys/kernel/btf/vmlinux";

    private static readonly (Type Type, string CName, string[] Skip)[] s_structs =
    [
        (typeof(perf_event_attr), "perf_event_attr", ["flags"]), // flags stands for the bitfield word at 40
        (typeof(perf_event_header), "perf_event_header", []),
        (typeof(tpacket_req3), "tpacket_req3", []),
        (typeof(tpacket_bd_ts), "tpacket_bd_ts", []),
        (typeof(tpacket_hdr_v1), "tpacket_hdr_v1", []),
        (typeof(tpacket_block_desc), "tpacket_block_desc", []),
        (typeof(tpacket3_hdr), "tpacket3_hdr", []),
        (typeof(tpacket_hdr_variant1), "tpacket_hdr_variant1", []),
        (typeof(sockaddr_ll), "sockaddr_ll", []),
        (typeof(tpacket_stats_v3), "tpacket_stats_v3", []),
        (typeof(sock_filter), "sock_filter", []),
        (typeof(sock_fprog), "sock_fprog", []),
    ];

    [LayoutFact]
    public void Perf_and_packet_struct_offsets_match_the_running_kernel()
    {
        Dictionary<string, long> kernel = KernelLayout();
        List<string> mismatches = [];
        void Check(string key, long ours)
        {
            if (!kernel.TryGetValue(key, out long theirs)) mismatches.Add($"{key}: not printed by the C probe");
            else if (theirs != ours) mismatches.Add($"{key}: NetTop {ours}, kernel {theirs}");
        }
        foreach ((Type t, string c, string[] skip) in s_structs)
        {
            Check($"sizeof {c}", Marshal.SizeOf(t));
            foreach (FieldInfo f in Fields(t, skip)) Check($"{c}.{f.Name}", Marshal.OffsetOf(t, f.Name).ToInt64());
        }
        foreach (FieldInfo f in typeof(perf_event_mmap_page).GetFields(BindingFlags.Static | BindingFlags.Public))
        {
            Check($"perf_event_mmap_page.{f.Name}", Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private static IEnumerable<FieldInfo> Fields(Type t, string[] skip) =>
        t.GetFields(BindingFlags.Instance | BindingFlags.Public).Where(f => !skip.Contains(f.Name));

    private static Dictionary<string, long> KernelLayout()
    {
        string dir = Directory.CreateTempSubdirectory("nettop-layout-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "vmlinux.h"), Run("bpftool", ["btf", "dump", "file", Btf, "format", "c"]));
            StringBuilder c = new();
            c.AppendLine("#include \"vmlinux.h\"\nint printf(const char*, ...);\n#define O(s,f) printf(#s \".\" #f \" %lu\\n\", (unsigned long)__builtin_offsetof(struct s, f));\n#define S(s) printf(\"sizeof \" #s \" %lu\\n\", (unsigned long)sizeof(struct s));\nint main(void) {");
            foreach ((Type t, string cName, string[] skip) in s_structs)
            {
                c.AppendLine($"S({cName})");
                foreach (FieldInfo f in Fields(t, skip)) c.AppendLine($"O({cName}, {f.Name})");
            }
            foreach (FieldInfo f in typeof(perf_event_mmap_page).GetFields(BindingFlags.Static | BindingFlags.Public))
            {
                c.AppendLine($"O(perf_event_mmap_page, {f.Name})");
            }
            c.AppendLine("return 0; }");
            File.WriteAllText(Path.Combine(dir, "probe.c"), c.ToString());
            Run("cc", ["-o", Path.Combine(dir, "probe"), Path.Combine(dir, "probe.c"), "-I", dir], dir);
            Dictionary<string, long> result = [];
            foreach (string line in Run(Path.Combine(dir, "probe"), []).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int sp = line.LastIndexOf(' ');
                result[line[..sp]] = long.Parse(line[(sp + 1)..], System.Globalization.CultureInfo.InvariantCulture);
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
        foreach (string a in args) psi.ArgumentList.Add(a);
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

    private sealed class LayoutFactAttribute : FactAttribute
    {
        public LayoutFactAttribute()
        {
            List<string> missing = [];
            if (!File.Exists(Btf)) missing.Add($"{Btf} (a kernel built with CONFIG_DEBUG_INFO_BTF)");
            foreach (string tool in new[] { "bpftool", "cc" })
            {
                bool found = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
                    .Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, tool)));
                if (!found) missing.Add(tool == "cc" ? "a C compiler (apt-get install gcc)" : "bpftool (apt-get install bpftool)");
            }
            if (missing.Count > 0) Skip = "needs " + string.Join(", ", missing);
        }
    }
}
