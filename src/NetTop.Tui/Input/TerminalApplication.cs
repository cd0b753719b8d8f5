using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;

namespace NetTop.Tui.Input;

/// <summary>
/// Creates and initializes NetTop's Terminal.Gui application, with <see cref="PollingInput"/> reading the terminal
/// when stdin is one. The only class in NetTop that reaches into Terminal.Gui's internals.
/// <para>
/// <b>Why reflection.</b> Terminal.Gui 2.5.0 (pinned in Directory.Packages.props) has no public way to give the
/// application a component factory: <c>Application.Create</c> always builds <c>ApplicationImpl</c> without one, and
/// <c>ApplicationImpl.CreateDriver</c> then picks the stock factory by the literal driver name ("ansi" →
/// <c>new AnsiComponentFactory()</c>); <c>DriverRegistry.Register</c>'s <c>CreateFactory</c> is never called. The
/// factory can only be passed to the internal constructor <c>ApplicationImpl(IComponentFactory)</c>. So this class
/// does what <c>Application.Create()</c> does, by reflection on three non-public members:
/// <c>ApplicationImpl.MarkInstanceBasedModelUsed()</c>, the constructor <c>ApplicationImpl(IComponentFactory)</c> (which
/// uses the same <c>SystemTimeProvider</c> as <c>Create()</c>), and <c>Application.RaiseInstanceCreated(IApplication)</c>.
/// Checked against the decompiled 2.5.0 assembly; tests/NetTop.Tui.Tests/TerminalApplicationTests.cs fails when a
/// package update removes or changes any of them, so a bump cannot quietly lose the input.
/// </para>
/// <para>
/// <b>When it fails</b> (a member missing, any exception while creating or initializing), NetTop takes the stock
/// path exactly as before, <c>Application.Create()</c> then <c>Init()</c>, and <paramref name="note"/> of
/// <see cref="CreateAndInit"/> says so; <see cref="TuiApp"/> shows it once in the status line. The stock path is also
/// used, without a note, when stdin is not a terminal (the stock driver then reads /dev/tty), under
/// <c>DisableRealDriverIO=1</c> (headless tests) and when another driver is forced.
/// </para>
/// </summary>
internal static class TerminalApplication
{
    private const BindingFlags Internal = BindingFlags.NonPublic | BindingFlags.Static;
    private const string ApplicationImplName = "Terminal.Gui.App.ApplicationImpl";

    private static readonly Lazy<Members> s_members = new(Resolve);

    /// <summary>
    /// Creates and initializes the application. <paramref name="note"/> is null when the polling input is in use
    /// or was not wanted, else one line saying the stock 20 ms input poll is in use and why. <paramref name="wake"/>
    /// is the signal the polling input sets when a key arrives (the caller owns it and gives it to
    /// <see cref="IdlePacer"/>); null on the stock path, where nothing would set it.
    /// </summary>
    public static IApplication CreateAndInit(out string? note, out LoopWake? wake)
    {
        note = null;
        wake = null;
        if (!Wanted())
        {
            return Stock();
        }
        LoopWake loop = new();
        PollingAnsiFactory factory = new(0, loop);
        IApplication? app = null;
        try
        {
            app = Create(factory);
            app.Init();
        }
        catch (Exception e)
        {
            note = $"input: Terminal.Gui's 20 ms poll ({Describe(e)})";
            try
            {
                app?.Dispose();
            }
            catch (Exception)
            {
                // the stock application below sets the terminal up again
            }
            loop.Dispose();
            return Stock();
        }
        if (factory.Created is not PollingInput)
        {
            note = "input: Terminal.Gui's 20 ms poll (no eventfd)";
            loop.Dispose();
            return app;
        }
        wake = loop;
        return app;
    }

    /// <summary>
    /// An uninitialized application whose driver takes its components from <paramref name="factory"/>: what
    /// <c>Application.Create()</c> returns, with a factory. Throws <see cref="MissingMemberException"/> when the
    /// installed Terminal.Gui lacks one of the members.
    /// </summary>
    internal static IApplication Create(IComponentFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Members m = s_members.Value;
        if (m.Missing is { } missing)
        {
            throw new MissingMemberException($"Terminal.Gui {TerminalGuiVersion} has no {missing}");
        }
        m.MarkInstanceBasedModelUsed!.Invoke(null, null);
        IApplication app = (IApplication)m.Constructor!.Invoke([factory]);
        m.RaiseInstanceCreated!.Invoke(null, [app]);
        return app;
    }

    /// <summary>The first member not found in the installed Terminal.Gui, or null when all three are there.</summary>
    internal static string? MissingMember => s_members.Value.Missing;

    internal static string TerminalGuiVersion =>
        typeof(Application).Assembly.GetName().Version?.ToString(3) ?? "?";

    private static bool Wanted()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("DisableRealDriverIO"), "1", StringComparison.Ordinal))
        {
            return false;
        }
        if (Application.ForceDriver is { Length: > 0 } forced && forced != DriverRegistry.Names.ANSI)
        {
            return false;
        }
        return Libc.isatty(0) == 1;
    }

    private static IApplication Stock()
    {
        IApplication app = Application.Create();
        app.Init();
        return app;
    }

    private static string Describe(Exception e) =>
        (e is TargetInvocationException { InnerException: { } inner } ? inner : e).Message;

    // The native build (NativeAOT, scripts/nettop) trims what nothing references statically: these keep the three
    // members and their metadata, so the lookups below find them there as in the JIT build.
    [DynamicDependency(DynamicallyAccessedMemberTypes.NonPublicMethods | DynamicallyAccessedMemberTypes.NonPublicConstructors,
        ApplicationImplName, "Terminal.Gui")]
    [DynamicDependency("RaiseInstanceCreated", typeof(Application))]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "ApplicationImpl is kept by the DynamicDependency above.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Its non-public methods and constructors are kept by the DynamicDependency above.")]
    private static Members Resolve()
    {
        Type? impl = typeof(Application).Assembly.GetType(ApplicationImplName, throwOnError: false);
        if (impl is null || !typeof(IApplication).IsAssignableFrom(impl))
        {
            return new Members("Terminal.Gui.App.ApplicationImpl : IApplication", null, null, null);
        }
        MethodInfo? mark = impl.GetMethod("MarkInstanceBasedModelUsed", Internal, Type.EmptyTypes);
        if (mark is null)
        {
            return new Members("ApplicationImpl.MarkInstanceBasedModelUsed()", null, null, null);
        }
        ConstructorInfo? ctor = impl.GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, [typeof(IComponentFactory)]);
        if (ctor is null)
        {
            return new Members("ApplicationImpl(IComponentFactory)", null, null, null);
        }
        MethodInfo? raise = typeof(Application).GetMethod("RaiseInstanceCreated", Internal, [typeof(IApplication)]);
        if (raise is null)
        {
            return new Members("Application.RaiseInstanceCreated(IApplication)", null, null, null);
        }
        return new Members(null, mark, ctor, raise);
    }

    private sealed record Members(
        string? Missing,
        MethodInfo? MarkInstanceBasedModelUsed,
        ConstructorInfo? Constructor,
        MethodInfo? RaiseInstanceCreated);
}
