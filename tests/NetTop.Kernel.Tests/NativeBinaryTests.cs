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
