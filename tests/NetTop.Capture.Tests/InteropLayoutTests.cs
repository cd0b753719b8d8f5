using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using NetTop.Capture.Interop;

namespace NetTop.Capture.Tests;

/// <summary>
/// Proves every hand-written kernel offset against the running kernel: the struct definitions come from its BTF
/// (`bpftool btf dump file /sys/kernel/btf/vmlinux format c`), a C file prints offsetof/sizeof for each field
/// NetTop reads, and the test compares them with Interop/ (Marshal.OffsetOf and the tcp_info constants).
/// </summary>
public sealed class InteropLayoutTests
{
    private const string Btf = "/sys/kernel/btf/vmlinux";

    [LayoutFact]
    public void Struct_offsets_match_the_running_kernel()
    {
        Dictionary<string, long> kernel = KernelLayout();
        List<string> mismatches = [];
        void Check(string key, long ours)
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
        foreach ((Type t, string cName) in Structs)
        {
            Check($"sizeof {cName}", Marshal.SizeOf(t));
            foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public))
            {
                Check($"{cName}.{CField(f)}", Marshal.OffsetOf(t, f.Name).ToInt64());
            }
        }
        foreach (FieldInfo f in TcpInfoFields)
        {
            Check($"tcp_info.{f.Name}", Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture));
        }
        Check("sizeof tcp_info", InetDiag.TCP_INFO_SIZE_6_18);
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.True(kernel.Count > 60);
    }

    private static readonly (Type, string)[] Structs =
    [
        (typeof(nlmsghdr), "nlmsghdr"), (typeof(inet_diag_sockid), "inet_diag_sockid"),
        (typeof(inet_diag_req_v2), "inet_diag_req_v2"), (typeof(inet_diag_msg), "inet_diag_msg"),
        (typeof(rtattr), "rtattr"), (typeof(sockaddr_nl), "sockaddr_nl"),
    ];

    // tcpi_wscale stands for the snd_wscale:4/rcv_wscale:4 bitfield byte, which offsetof cannot name.
    private static IEnumerable<FieldInfo> TcpInfoFields =>
        typeof(tcp_info).GetFields(BindingFlags.Static | BindingFlags.Public).Where(f => f.IsLiteral && f.Name != "tcpi_wscale");

    // C# fixed buffers compile to a nested struct field named like the C array.
    private static string CField(FieldInfo f) => f.Name;

    private static Dictionary<string, long> KernelLayout()
    {
        string dir = Directory.CreateTempSubdirectory("nettop-layout-").FullName;
        try
        {
            string header = Path.Combine(dir, "vmlinux.h");
            File.WriteAllText(header, Run("bpftool", ["btf", "dump", "file", Btf, "format", "c"]));
            StringBuilder c = new();
            c.AppendLine("#include \"vmlinux.h\"\nint printf(const char*, ...);\n#define O(s,f) printf(#s \".\" #f \" %lu\\n\", (unsigned long)__builtin_offsetof(struct s, f));\n#define S(s) printf(\"sizeof \" #s \" %lu\\n\", (unsigned long)sizeof(struct s));\nint main(void) {");
            foreach ((Type t, string cName) in Structs)
            {
                c.AppendLine($"S({cName})");
                foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public))
                {
                    c.AppendLine($"O({cName}, {CField(f)})");
                }
            }
            c.AppendLine("S(tcp_info)");
            foreach (FieldInfo f in TcpInfoFields)
            {
                c.AppendLine($"O(tcp_info, {f.Name})");
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

    /// <summary>Runs where the kernel's BTF, bpftool and a C compiler exist; otherwise skips naming what is missing.</summary>
    private sealed class LayoutFactAttribute : FactAttribute
    {
        public LayoutFactAttribute()
        {
            List<string> missing = [];
            if (!File.Exists(Btf))
            {
                missing.Add($"{Btf} (a kernel built with CONFIG_DEBUG_INFO_BTF)");
            }
            foreach (string tool in new[] { "bpftool", "cc" })
            {
                if (!OnPath(tool))
                {
                    missing.Add(tool == "cc" ? "a C compiler (apt-get install gcc)" : "bpftool (apt-get install bpftool)");
                }
            }
            if (missing.Count > 0)
            {
                Skip = "needs " + string.Join(", ", missing);
            }
        }

        private static bool OnPath(string tool) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
                .Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, tool)));
    }
}
