using NetTop.Kernel.Tests.Infrastructure;

namespace NetTop.Kernel.Tests;

/// <summary>
/// The native build (NativeAOT, artifacts/&lt;rid&gt;/nettop: what scripts/nettop runs) as a program: its command line and
/// what it says when it is installed without the files that belong beside it. Its panels are covered by the
/// end-to-end and capability tests, which run it as well as the JIT build.
/// </summary>
public sealed class NativeBinaryTests
{
    private static readonly TimeSpan AppTimeout = TimeSpan.FromSeconds(30);

    [NativeFact]
    public void Version_and_a_bad_argument_behave_as_in_the_jit_build()
    {
        CommandResult version = Command.Run([Requirements.NativeNettop!, "--version"], AppTimeout);
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.StartsWith("nettop ", version.Stdout, StringComparison.Ordinal);

        CommandResult bad = Command.Run([Requirements.NativeNettop!, "--no-such-option"], AppTimeout);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("unknown option '--no-such-option'", bad.Stderr, StringComparison.Ordinal);
    }

    [NativeFact]
    public void The_binary_copied_alone_names_the_missing_themes_directory_and_exits_2()
    {
        string dir = Directory.CreateTempSubdirectory("nettop-native-alone-").FullName;
        try
        {
            string exe = Path.Combine(dir, "nettop");
            File.Copy(Requirements.NativeNettop!, exe);
            File.SetUnixFileMode(exe, (UnixFileMode)0b111_101_101);
            CommandResult r = Command.Run([exe, "snapshot", "--text", "--duration", "0.1"], AppTimeout, workingDirectory: dir);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Contains($"no themes in {Path.Combine(dir, "themes")}", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("belongs beside its binary", r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The order file (src/NetTop.Capture/capture-hot-path.order, IlcOrderFile in Directory.Build.props) reached the
    /// compiler: the capture's per-wake-up methods open the managed code section, together. Read from the build's
    /// symbols (nettop.dbg) with nm.
    /// </summary>
    [NativeFact]
    public void The_capture_hot_path_opens_the_managed_code_together()
    {
        string dbg = Requirements.NativeNettop! + ".dbg";
        Assert.True(File.Exists(dbg), $"no symbols beside the native build: {dbg}");
        HashSet<string> hot = [.. File.ReadAllLines(Path.Combine(Requirements.RepoRoot!, "src", "NetTop.Capture", "capture-hot-path.order"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
        CommandResult nm = Command.Run(["nm", "-n", "--defined-only", dbg], AppTimeout);
        Assert.True(nm.ExitCode == 0, nm.ToString());
        ulong start = 0;
        Dictionary<string, ulong> found = [];
        foreach (string line in nm.Stdout.Split('\n'))
        {
            string[] f = line.Split(' ', 3);
            if (f.Length != 3 || !ulong.TryParse(f[0], System.Globalization.NumberStyles.HexNumber, null, out ulong at)) continue;
            if (f[2] == "__start___managedcode") start = at;
            else if (f[1] is "t" or "T" && hot.Contains(f[2])) found.TryAdd(f[2], at);
        }
        Assert.True(start != 0, "no __start___managedcode symbol in " + dbg);
        Assert.True(found.Count >= hot.Count - 8, $"only {found.Count} of the {hot.Count} hot-path methods are in the binary");
        Assert.Equal(start, found["NetTop_Capture_NetTop_Capture_Packets_PacketCaptureSource__ReadLoop"]);
        // ~12 KB of code in all: every one of them within the section's first 32 KiB.
        List<string> far = [.. found.Where(kv => kv.Value - start >= 32 * 1024).Select(kv => $"{kv.Key} at +{kv.Value - start:x}")];
        Assert.True(far.Count == 0, "hot-path methods laid out away from the others:\n" + string.Join('\n', far));
    }
}

/// <summary>Needs the native build (scripts/test makes it first); no root.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class NativeFactAttribute : FactAttribute
{
    public NativeFactAttribute()
    {
        Skip = Requirements.NativeNettopMissing;
    }
}
