using System.Reflection;
using System.Text.RegularExpressions;
using NetTop.Capture.Packets;
using NetTop.Model.Packets;

namespace NetTop.Capture.Tests.Packets;

/// <summary>
/// src/NetTop.Capture/capture-hot-path.order names the methods the native build lays out first (ILCompiler symbol
/// names). A renamed or removed method would leave its line naming nothing, and the compiler says nothing about
/// that: these tests resolve every line against the assemblies by the compiler's naming scheme
/// (<c>Assembly_Namespace_Type__Method</c>, '.' and '+' as '_', a generic type's arity as <c>_N</c> with its
/// arguments in &lt;&gt;, an overload's number as a trailing <c>_N</c>).
/// </summary>
public sealed class HotPathOrderTests
{
    private static readonly Assembly[] Assemblies =
        [typeof(PacketCaptureSource).Assembly, typeof(FlowPacketStore).Assembly, typeof(object).Assembly];

    private static string OrderFile()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "src", "NetTop.Capture", "capture-hot-path.order");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException("src/NetTop.Capture/capture-hot-path.order not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The symbol lines: no comments, no blank lines, and not the bench program's consumer (an assembly this
    /// project does not reference).</summary>
    private static List<string> Symbols() =>
        [.. File.ReadAllLines(OrderFile()).Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("NetTop_Bench_", StringComparison.Ordinal))];

    private static string AssemblyPrefix(Assembly a) =>
        a.GetName().Name == "System.Private.CoreLib" ? "S_P_CoreLib" : a.GetName().Name!.Replace('.', '_');

    private static string Mangle(Type t) =>
        AssemblyPrefix(t.Assembly) + "_" + t.FullName!.Replace('.', '_').Replace('+', '_').Replace('`', '_');

    private static readonly Lazy<Dictionary<string, Type>> Types = new(() =>
    {
        Dictionary<string, Type> all = new(StringComparer.Ordinal);
        foreach (Assembly a in Assemblies)
        {
            Type[] types;
            try
            {
                types = a.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                types = [.. e.Types.OfType<Type>()];
            }
            foreach (Type t in types)
            {
                if (t.FullName is not null) all.TryAdd(Mangle(t), t);
            }
        }
        return all;
    });

    /// <summary>The method names a type's methods go by in symbols: ".ctor" as "_ctor", a generic method with its arity.</summary>
    private static HashSet<string> MethodNames(Type t)
    {
        HashSet<string> names = new(StringComparer.Ordinal);
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (MethodBase m in t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)))
        {
            string name = m.Name.Replace('.', '_');
            names.Add(name);
            if (m.IsGenericMethodDefinition) names.Add($"{name}_{m.GetGenericArguments().Length}");
        }
        return names;
    }

    /// <summary>The type and method a symbol names, or why it names none.</summary>
    private static string? Unresolved(string symbol)
    {
        // Generic arguments: each of ours must be a type too; then they are dropped for the lookup.
        foreach (Match g in Regex.Matches(symbol, "<([^<>]*)>"))
        {
            foreach (string arg in g.Groups[1].Value.Split("__"))
            {
                if (arg.StartsWith("NetTop_", StringComparison.Ordinal) && !Types.Value.ContainsKey(arg))
                {
                    return $"generic argument {arg} is no type";
                }
            }
        }
        string bare = Regex.Replace(symbol, "<[^<>]*>", "");
        // The type is the longest known type name followed by "__".
        Type? type = null;
        string method = "";
        for (int at = bare.IndexOf("__", StringComparison.Ordinal); at > 0; at = bare.IndexOf("__", at + 1, StringComparison.Ordinal))
        {
            if (Types.Value.TryGetValue(bare[..at], out Type? t))
            {
                type = t;
                method = bare[(at + 2)..];
            }
        }
        if (type is null) return "no type";
        HashSet<string> names = MethodNames(type);
        if (names.Contains(method)) return null;
        Match overload = Regex.Match(method, "^(.+)_[0-9]+$");
        if (overload.Success && names.Contains(overload.Groups[1].Value)) return null;
        return $"{type.FullName} has no method {method}";
    }

    [Fact]
    public void Every_line_of_the_order_file_names_a_method_that_exists()
    {
        List<string> symbols = Symbols();
        Assert.True(symbols.Count >= 30, $"only {symbols.Count} symbols in {OrderFile()}");
        List<string> bad = [.. symbols.Select(s => Unresolved(s) is { } why ? $"{s}: {why}" : null).OfType<string>()];
        Assert.True(bad.Count == 0, "stale lines in capture-hot-path.order (rename them, or regenerate the list):\n" + string.Join('\n', bad));
    }

    [Fact]
    public void The_order_starts_with_the_reader_loop_and_names_each_method_once()
    {
        List<string> symbols = Symbols();
        Assert.Equal("NetTop_Capture_NetTop_Capture_Packets_PacketCaptureSource__ReadLoop", symbols[0]);
        Assert.Equal(symbols.Count, symbols.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("NetTop_Capture_NetTop_Capture_Packets_PacketCaptureSource__NoSuchMethod", "has no method")]
    [InlineData("NetTop_Capture_NetTop_Capture_Packets_NoSuchType__ReadLoop", "no type")]
    [InlineData("NetTop_Model_NetTop_Model_Packets_RecentFlowTable_1<NetTop_Model_NetTop_Model_Resets_NoSuchStruct>__Upsert", "no type")]
    public void A_stale_line_is_caught(string symbol, string why)
    {
        Assert.Contains(why, Unresolved(symbol) ?? "resolved");
    }
}
