using System.Diagnostics;
using System.Text.Json;

namespace NetTop.Tests;

/// <summary>`nettop batch`: one JSON snapshot (or text frame) per tick, a whole last line on SIGTERM.</summary>
public sealed class BatchModeTests
{
    private static Process Start(params string[] args)
    {
        string apphost = Path.Combine(AppContext.BaseDirectory, "nettop");
        ProcessStartInfo psi = new(apphost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("NETTOP_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }
        return Process.Start(psi)!;
    }

    private static void WaitOrKill(Process p)
    {
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("nettop batch did not exit");
        }
    }

    [Fact]
    public void Count_ticks_of_json_lines_each_a_whole_snapshot()
    {
        using Process p = Start("batch", "-n", "3", "-d", "0.1", "--json");
        string stdout = p.StandardOutput.ReadToEnd();
        WaitOrKill(p);
        Assert.Equal(0, p.ExitCode);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        long previous = 0;
        foreach (string line in lines)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            Assert.Equal("nettop.snapshot/1", doc.RootElement.GetProperty("schema").GetString());
            Assert.True(doc.RootElement.TryGetProperty("listeners", out _));
            long taken = DateTimeOffset.Parse(doc.RootElement.GetProperty("takenAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            Assert.True(taken >= previous);
            previous = taken;
        }
    }

    [Fact]
    public void Text_frames_carry_both_panels()
    {
        using Process p = Start("batch", "-n", "2", "-d", "0.1");
        string stdout = p.StandardOutput.ReadToEnd();
        WaitOrKill(p);
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(2, stdout.Split("== Listen queues").Length - 1);
        Assert.Equal(2, stdout.Split("== Half-open").Length - 1);
    }

    [Fact]
    public void Sigterm_ends_with_a_complete_last_line_and_exit_0()
    {
        using Process p = Start("batch", "-d", "0.1", "--json");
        List<string> lines = [];
        for (int i = 0; i < 3; i++)
        {
            lines.Add(p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("batch ended early"));
        }
        using (Process kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        string rest = p.StandardOutput.ReadToEnd();
        WaitOrKill(p);
        Assert.Equal(0, p.ExitCode);
        Assert.True(rest.Length == 0 || rest.EndsWith('\n'), "the last line is whole");
        foreach (string line in lines.Concat(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries)))
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            Assert.Equal("nettop.snapshot/1", doc.RootElement.GetProperty("schema").GetString());
        }
    }

    [Theory]
    [InlineData("-n", "0")]
    [InlineData("-n", "x")]
    [InlineData("-d", "0")]
    public void Bad_batch_arguments_exit_2(string option, string value)
    {
        using Process p = Start("batch", option, value);
        string stderr = p.StandardError.ReadToEnd();
        WaitOrKill(p);
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith("nettop: ", stderr);
    }
}
