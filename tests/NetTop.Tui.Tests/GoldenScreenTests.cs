using System.Runtime.CompilerServices;
using System.Text;
using NetTop.Model.Snapshot;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Xunit;

namespace NetTop.Tui.Tests;

/// <summary>
/// Every screen rendered headless from fixture snapshots at 80x24 and 160x50 and compared with
/// tests/NetTop.Tui.Tests/golden/&lt;screen&gt;-&lt;cols&gt;x&lt;rows&gt;.txt. A difference fails with a line diff.
/// After an intended change: <c>NETTOP_UPDATE_GOLDEN=1 dotnet test tests/NetTop.Tui.Tests --filter GoldenScreen</c>
/// rewrites the files; review them with git diff.
/// </summary>
public sealed class GoldenScreenTests
{
    static GoldenScreenTests()
    {
        // Times on screen are local: pin the zone so the files do not depend on the machine's.
        Environment.SetEnvironmentVariable("TZ", "UTC");
        TimeZoneInfo.ClearCachedData();
    }

    public static TheoryData<string, int, int> Screens()
    {
        TheoryData<string, int, int> data = [];
        foreach (string screen in new[]
        {
            "main", "main-empty", "zoom-1", "zoom-2", "zoom-3", "zoom-4", "detail-listener", "detail-halfopen",
            "detail-reset", "detail-firewall", "stacks", "stack", "stack-listener-connection", "help", "filter-prompt",
            "filtered-sorted",
        })
        {
            data.Add(screen, 80, 24);
            data.Add(screen, 160, 50);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Screens))]
    public void Screen_matches_its_golden_file(string screen, int cols, int rows)
    {
        string actual = Render(screen, cols, rows);
        Golden.Compare($"{screen}-{cols}x{rows}", actual);
    }

    [Fact]
    public void The_comparison_fails_on_a_difference_and_shows_it()
    {
        Exception e = Assert.ThrowsAny<Exception>(() => Golden.Check("a\nb\nc\n", "a\nB\nc\n", "sample"));
        Assert.Contains("line 2", e.Message);
        Assert.Contains("- b", e.Message);
        Assert.Contains("+ B", e.Message);
        Golden.Check("same\n", "same\n", "sample");
    }

    private static string Render(string screen, int cols, int rows)
    {
        HostSnapshot full = Fixtures.Full();
        HostSnapshot snapshot = screen == "main-empty" ? Fixtures.Empty() : full;
        IApplication app = Headless.Create(cols, rows);
        using MainView view = new(Headless.Options(), Headless.DefaultTheme, () => snapshot);
        string? text = null;
        List<Func<bool>> steps = [Script.Do(() => view.Pull())];
        void Key(Key k) => steps.Add(Script.Do(() => app.InjectKey(k)));
        void WaitModals(int n) => steps.Add(() => view.Modals.Count == n);
        switch (screen)
        {
            case "zoom-1" or "zoom-2" or "zoom-3" or "zoom-4":
                Key(new Key(screen[^1]));
                Key(Terminal.Gui.Input.Key.Z);
                break;
            case "detail-listener":
                Key(Terminal.Gui.Input.Key.D1);
                Key(Terminal.Gui.Input.Key.Enter);
                WaitModals(1);
                break;
            case "detail-halfopen":
                Key(Terminal.Gui.Input.Key.D2);
                Key(Terminal.Gui.Input.Key.Enter);
                WaitModals(1);
                break;
            case "detail-reset":
                Key(Terminal.Gui.Input.Key.D3);
                Key(Terminal.Gui.Input.Key.Enter);
                WaitModals(1);
                break;
            case "detail-firewall":
                Key(Terminal.Gui.Input.Key.D4);
                Key(Terminal.Gui.Input.Key.Enter);
                WaitModals(1);
                break;
            case "stacks":
                Key(Terminal.Gui.Input.Key.K);
                WaitModals(1);
                break;
            case "stack":
                Key(Terminal.Gui.Input.Key.K);
                WaitModals(1);
                Key(Terminal.Gui.Input.Key.Enter);
                WaitModals(2);
                break;
            case "stack-listener-connection":
                Key(Terminal.Gui.Input.Key.D1);
                Key(Terminal.Gui.Input.Key.Enter);
                WaitModals(1);
                Key(Terminal.Gui.Input.Key.Enter);
                WaitModals(2);
                break;
            case "help":
                Key(new Key('?'));
                WaitModals(1);
                break;
            case "filter-prompt":
                Key(Terminal.Gui.Input.Key.D2);
                Key(new Key('/'));
                foreach (char c in "state:syn-sent")
                {
                    Key(new Key(c));
                }
                break;
            case "filtered-sorted":
                Key(Terminal.Gui.Input.Key.D4);
                Key(new Key('/'));
                foreach (char c in "target:accept")
                {
                    Key(new Key(c));
                }
                Key(Terminal.Gui.Input.Key.Enter);
                Key(new Key('>'));
                Key(new Key('>'));
                Key(new Key('>'));
                Key(Terminal.Gui.Input.Key.R);
                break;
        }
        steps.Add(() =>
        {
            app.LayoutAndDraw(true);
            text = Headless.Screen(app);
            return true;
        });
        // Close whatever is open.
        for (int i = 0; i < 3; i++)
        {
            steps.Add(Script.Do(() =>
            {
                if (view.Modals.Count > 0)
                {
                    app.InjectKey(Terminal.Gui.Input.Key.Esc);
                }
            }));
        }
        using (app)
        {
            Script.Run(app, view, [.. steps]);
        }
        // Trailing blanks carry no information and make diffs noisy.
        return string.Join('\n', text!.Split(Environment.NewLine).Select(l => l.TrimEnd()));
    }
}

/// <summary>Golden-file comparison with a readable diff.</summary>
internal static class Golden
{
    public static string Directory([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "golden");

    public static void Compare(string name, string actual)
    {
        string path = Path.Combine(Directory(), name + ".txt");
        if (Environment.GetEnvironmentVariable("NETTOP_UPDATE_GOLDEN") == "1")
        {
            System.IO.Directory.CreateDirectory(Directory());
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"no golden file {path}; run with NETTOP_UPDATE_GOLDEN=1 to create it. Screen:\n{actual}");
        Check(File.ReadAllText(path), actual, path);
    }

    public static void Check(string expected, string actual, string name)
    {
        string[] e = expected.Replace("\r\n", "\n").Split('\n');
        string[] a = actual.Replace("\r\n", "\n").Split('\n');
        if (e.SequenceEqual(a))
        {
            return;
        }
        StringBuilder sb = new($"screen differs from {name} (NETTOP_UPDATE_GOLDEN=1 rewrites it):\n");
        int shown = 0;
        for (int i = 0; i < Math.Max(e.Length, a.Length) && shown < 20; i++)
        {
            string? el = i < e.Length ? e[i] : null;
            string? al = i < a.Length ? a[i] : null;
            if (el != al)
            {
                sb.Append("line ").Append(i + 1).Append(":\n");
                sb.Append("- ").Append(el ?? "(none)").Append('\n');
                sb.Append("+ ").Append(al ?? "(none)").Append('\n');
                shown++;
            }
        }
        Assert.Fail(sb.ToString());
    }
}
