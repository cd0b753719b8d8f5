using System.Runtime.CompilerServices;
using NetTop.Tui.Themes;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;

namespace NetTop.Tui.Tests;

internal static class Headless
{
    // Before any Init: without it the ANSI driver takes over the test runner's terminal when there is one.
    [ModuleInitializer]
    internal static void Init() => Environment.SetEnvironmentVariable("DisableRealDriverIO", "1");

    public static IApplication Create(int cols, int rows)
    {
        IApplication app = Application.Create();
        app.Init(DriverRegistry.Names.ANSI);
        app.Driver!.SetScreenSize(cols, rows);
        return app;
    }

    /// <summary>The screen as text. Through IDriver: DriverImpl.ToString is declared with `new`.</summary>
    public static string Screen(IApplication app)
    {
        IDriver driver = app.Driver!;
        return driver.ToString()!;
    }

    public static string[] Lines(IApplication app) =>
        Screen(app).Split(Environment.NewLine);

    public static string ThemePath(string name) => Path.Combine(AppContext.BaseDirectory, "themes", name + ".json");

    public static Theme DefaultTheme => ThemeLoader.Load(ThemePath("default"));

    public static TuiOptions Options(string theme = "default") => new()
    {
        RefreshInterval = TimeSpan.FromSeconds(1),
        ThemePath = ThemePath(theme),
    };
}
