using NetTop.Tui.Themes;
using Terminal.Gui.Configuration;
using Terminal.Gui.Drawing;
using Xunit;
using Attribute = Terminal.Gui.Drawing.Attribute;
using Color = Terminal.Gui.Drawing.Color;

namespace NetTop.Tui.Tests;

public sealed class ThemeLoaderTests
{
    private const string Valid = """
        {
          "name": "t",
          "schemes": { "Base": { "Normal": ["White", "Black"], "Focus": ["Black", "#00AAFF"] } },
          "severity": {
            "critical": ["BrightRed", "Black", "Bold"], "warning": ["Yellow", "Black"],
            "dim": ["DarkGray", "None", "Faint"], "ok": ["green", "black"]
          }
        }
        """;

    [Fact]
    public void The_shipped_default_theme_loads()
    {
        Theme t = ThemeLoader.Load(Headless.ThemePath("default"));
        Assert.Equal("default", t.Name);
        Assert.Equal(new Attribute(Color.BrightRed, Color.Black, TextStyle.Bold), t.Critical);
        Assert.Equal(new Attribute(Color.DarkGray, Color.Black), t.Dim);
        Assert.Equal(new Attribute(Color.Black, Color.Cyan), t.Table.Focus);
        Assert.Equal(new Attribute(Color.Black, Color.Cyan), t.Header.Normal);
    }

    [Fact]
    public void The_shipped_mono_theme_loads_and_uses_no_color()
    {
        Theme t = ThemeLoader.Load(Headless.ThemePath("mono"));
        Assert.Equal("mono", t.Name);
        foreach (Attribute a in new[] { t.Critical, t.Warning, t.Dim, t.Ok, t.Base.Normal, t.Table.Focus, t.Header.Normal })
        {
            Assert.Contains(a.Foreground, new Color[] { Color.White, Color.Black });
            Assert.Contains(a.Background, new Color[] { Color.White, Color.Black });
        }
        // Severities stay distinguishable without color.
        Assert.Equal(4, new[] { t.Critical, t.Warning, t.Dim, t.Ok }.Distinct().Count());
    }

    [Fact]
    public void Parses_names_hex_none_styles_and_defaults_missing_schemes_to_base()
    {
        Theme t = ThemeLoader.Parse(Valid, "t.json");
        Assert.Equal(new Attribute(Color.Black, new Color(0x00, 0xAA, 0xFF)), t.Base.Focus);
        Assert.Equal(new Attribute(Color.DarkGray, Color.None, TextStyle.Faint), t.Dim);
        Assert.Equal(new Attribute(Color.Green, Color.Black), t.Ok);
        Assert.Same(t.Base, t.Table);
        Assert.Same(t.Base, t.Status);
    }

    [Theory]
    [InlineData("\"Bleu\"", "schemes.Base.Normal[0]: unknown color \"Bleu\"")]
    [InlineData("\"5\"", "schemes.Base.Normal[0]: unknown color \"5\"")]
    [InlineData("\"#12345\"", "schemes.Base.Normal[0]: unknown color \"#12345\"")]
    [InlineData("7", "schemes.Base.Normal[0]: unknown color \"7\"")]
    public void A_bad_color_is_rejected_with_file_path_and_value(string color, string expected)
    {
        string json = Valid.Replace("\"Normal\": [\"White\"", $"\"Normal\": [{color}", StringComparison.Ordinal);
        Assert.NotEqual(Valid, json);
        ThemeException e = Assert.Throws<ThemeException>(() => ThemeLoader.Parse(json, "/etc/nettop/bad.json"));
        Assert.StartsWith("theme /etc/nettop/bad.json: " + expected, e.Message);
        Assert.Contains("BrightRed", e.Message); // the allowed values are listed
    }

    [Fact]
    public void A_bad_color_in_a_file_names_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nettop-theme-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Valid.Replace("\"Yellow\"", "\"Mauve\"", StringComparison.Ordinal));
        try
        {
            ThemeException e = Assert.Throws<ThemeException>(() => ThemeLoader.Load(path));
            Assert.StartsWith($"theme {path}: severity.warning[0]: unknown color \"Mauve\"", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("\"Focus\"", "\"Focsu\"", "schemes.Base.Focsu: unknown role \"Focsu\"")]
    [InlineData("\"Base\"", "\"Bsae\"", "schemes.Bsae: unknown scheme \"Bsae\"")]
    [InlineData("\"ok\"", "\"okay\"", "severity.okay: unknown severity \"okay\"")]
    [InlineData("\"name\"", "\"nmae\"", "nmae: unknown key \"nmae\"")]
    [InlineData("\"Bold\"", "\"Blod\"", "severity.critical[2]: unknown text style \"Blod\"")]
    [InlineData("[\"Yellow\", \"Black\"]", "[\"Yellow\"]", "severity.warning: expected [foreground, background]")]
    [InlineData("{", "[", "not valid JSON")]
    public void Other_mistakes_name_their_path(string from, string to, string expected)
    {
        string json = Valid.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Valid, json);
        ThemeException e = Assert.Throws<ThemeException>(() => ThemeLoader.Parse(json, "x.json"));
        Assert.StartsWith("theme x.json: " + expected, e.Message);
    }

    [Fact]
    public void Missing_severity_and_base_are_errors()
    {
        ThemeException e = Assert.Throws<ThemeException>(() =>
            ThemeLoader.Parse("""{ "schemes": { "Base": { "Normal": ["White", "Black"] } } }""", "x.json"));
        Assert.StartsWith("theme x.json: severity.critical: missing", e.Message);
        e = Assert.Throws<ThemeException>(() => ThemeLoader.Parse("""{ "schemes": {} }""", "x.json"));
        Assert.StartsWith("theme x.json: schemes.Base: missing", e.Message);
    }

    [Fact]
    public void A_missing_file_is_a_theme_error()
    {
        ThemeException e = Assert.Throws<ThemeException>(() => ThemeLoader.Load("/nonexistent/nettop.json"));
        Assert.StartsWith("theme /nonexistent/nettop.json: cannot read", e.Message);
    }

    [Fact]
    public void Register_adds_prefixed_schemes_and_leaves_the_built_in_base_alone()
    {
        Scheme builtInBase = SchemeManager.GetScheme("Base");
        Theme t = ThemeLoader.Parse(Valid, "t.json");
        try
        {
            ThemeLoader.Register(t);
            Assert.Equal(t.Base, SchemeManager.GetScheme("NetTop.Base"));
            Assert.Equal(t.Table, SchemeManager.GetScheme("NetTop.Table"));
            Assert.Equal(builtInBase, SchemeManager.GetScheme("Base"));
        }
        finally
        {
            foreach (string n in ThemeLoader.SchemeNames)
            {
                SchemeManager.RemoveScheme(ThemeLoader.SchemePrefix + n);
            }
        }
    }

    public static TheoryData<string> ShippedThemes() =>
        [.. Directory.GetFiles(Path.GetDirectoryName(Headless.ThemePath("default"))!, "*.json").Select(f => Path.GetFileNameWithoutExtension(f))];

    [Theory]
    [MemberData(nameof(ShippedThemes))]
    public void Every_shipped_theme_loads_and_keeps_the_severities_apart(string name)
    {
        Theme t = ThemeLoader.Load(Headless.ThemePath(name));
        Assert.Equal(name, t.Name);
        // The same meaning in every theme: critical, warning and dim rows look different from each other and from
        // normal rows; "ok" (source health) differs from the three marks (it may look like plain text, as in mono).
        Terminal.Gui.Drawing.Attribute[] marks = [t.Critical, t.Warning, t.Dim, t.Table.Normal];
        Assert.Equal(marks.Length, marks.Distinct().Count());
        Assert.DoesNotContain(t.Ok, marks[..3]);
    }

    [Fact]
    public void The_required_themes_ship()
    {
        foreach (string name in new[] { "default", "dark", "light", "high-contrast", "mono" })
        {
            Assert.True(File.Exists(Headless.ThemePath(name)), name);
        }
    }
}
