using System.Globalization;
using System.Text.Json;
using Terminal.Gui.Configuration;
using Terminal.Gui.Drawing;
using Attribute = Terminal.Gui.Drawing.Attribute;
using Color = Terminal.Gui.Drawing.Color;

namespace NetTop.Tui.Themes;

/// <summary>
/// Reads NetTop's own theme files:
/// <code>
/// { "name": "default",
///   "schemes": { "Base": { "Normal": ["White", "Black"], "Focus": ["Black", "Cyan"] }, "Header": {…}, … },
///   "severity": { "critical": ["BrightRed", "Black", "Bold"], "warning": […], "dim": […], "ok": […] } }
/// </code>
/// A color is one of the 16 ANSI names, <c>#RRGGBB</c>, or <c>None</c> (the terminal's default); an optional
/// third element is a text style (<c>Bold</c>, <c>Faint</c>, <c>Bold+Reverse</c>, …). Schemes other than Base are
/// optional and default to Base; roles other than Normal are optional and derived from Normal by Terminal.Gui.
/// Anything unknown is an error naming the file, the JSON path and the allowed values.
/// </summary>
public static class ThemeLoader
{
    public static readonly IReadOnlyList<string> SchemeNames = ["Base", "Header", "Panel", "Table", "Status"];
    public static readonly IReadOnlyList<string> SeverityNames = ["critical", "warning", "dim", "ok"];
    public static readonly IReadOnlyList<string> RoleNames =
        ["Normal", "Focus", "HotNormal", "HotFocus", "Active", "HotActive", "Highlight", "Disabled", "Editable", "ReadOnly"];

    /// <summary>Registered scheme names are prefixed so the built-in Base/Dialog/Menu schemes stay untouched.</summary>
    public const string SchemePrefix = "NetTop.";

    private static readonly string s_colorHelp =
        string.Join(", ", Enum.GetNames<ColorName16>()) + ", #RRGGBB, None";

    private static readonly string s_styleHelp =
        string.Join(", ", Enum.GetNames<TextStyle>()) + " (join with +)";

    public static Theme Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ThemeException($"theme {path}: cannot read: {e.Message}", e);
        }
        return Parse(json, path);
    }

    /// <summary>Parses theme JSON; <paramref name="source"/> names it in error messages.</summary>
    public static Theme Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
        }
        catch (JsonException e)
        {
            throw new ThemeException($"theme {source}: not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            return new Reader(source).Read(doc.RootElement);
        }
    }

    /// <summary>
    /// Registers the theme's schemes process-wide as "NetTop.Base", "NetTop.Header", … so screens added later
    /// can say <c>SchemeName = "NetTop.Panel"</c>. <see cref="MainView"/> takes the <see cref="Theme"/> itself.
    /// </summary>
    public static void Register(Theme theme)
    {
        SchemeManager.AddScheme(SchemePrefix + "Base", theme.Base);
        SchemeManager.AddScheme(SchemePrefix + "Header", theme.Header);
        SchemeManager.AddScheme(SchemePrefix + "Panel", theme.Panel);
        SchemeManager.AddScheme(SchemePrefix + "Table", theme.Table);
        SchemeManager.AddScheme(SchemePrefix + "Status", theme.Status);
    }

    private sealed class Reader(string source)
    {
        public Theme Read(JsonElement root)
        {
            Expect(root, JsonValueKind.Object, "$");
            string? name = null;
            Dictionary<string, Scheme> schemes = [];
            Dictionary<string, Attribute> severity = [];
            foreach (JsonProperty p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "name":
                        Expect(p.Value, JsonValueKind.String, "name");
                        name = p.Value.GetString();
                        break;
                    case "schemes":
                        Expect(p.Value, JsonValueKind.Object, "schemes");
                        foreach (JsonProperty s in p.Value.EnumerateObject())
                        {
                            if (!SchemeNames.Contains(s.Name))
                            {
                                throw Fail($"schemes.{s.Name}", $"unknown scheme \"{s.Name}\"", string.Join(", ", SchemeNames));
                            }
                            schemes[s.Name] = ReadScheme(s.Value, $"schemes.{s.Name}");
                        }
                        break;
                    case "severity":
                        Expect(p.Value, JsonValueKind.Object, "severity");
                        foreach (JsonProperty s in p.Value.EnumerateObject())
                        {
                            if (!SeverityNames.Contains(s.Name))
                            {
                                throw Fail($"severity.{s.Name}", $"unknown severity \"{s.Name}\"", string.Join(", ", SeverityNames));
                            }
                            severity[s.Name] = ReadAttribute(s.Value, $"severity.{s.Name}");
                        }
                        break;
                    default:
                        throw Fail(p.Name, $"unknown key \"{p.Name}\"", "name, schemes, severity");
                }
            }
            if (!schemes.TryGetValue("Base", out Scheme? baseScheme))
            {
                throw Fail("schemes.Base", "missing", "a scheme with at least \"Normal\"");
            }
            foreach (string s in SeverityNames)
            {
                if (!severity.ContainsKey(s))
                {
                    throw Fail($"severity.{s}", "missing", "[foreground, background] or [foreground, background, style]");
                }
            }
            return new Theme
            {
                Name = name ?? Path.GetFileNameWithoutExtension(source),
                Base = baseScheme,
                Header = schemes.GetValueOrDefault("Header", baseScheme),
                Panel = schemes.GetValueOrDefault("Panel", baseScheme),
                Table = schemes.GetValueOrDefault("Table", baseScheme),
                Status = schemes.GetValueOrDefault("Status", baseScheme),
                Critical = severity["critical"],
                Warning = severity["warning"],
                Dim = severity["dim"],
                Ok = severity["ok"],
            };
        }

        private Scheme ReadScheme(JsonElement e, string path)
        {
            Expect(e, JsonValueKind.Object, path);
            Dictionary<string, Attribute> roles = [];
            foreach (JsonProperty r in e.EnumerateObject())
            {
                if (!RoleNames.Contains(r.Name))
                {
                    throw Fail($"{path}.{r.Name}", $"unknown role \"{r.Name}\"", string.Join(", ", RoleNames));
                }
                roles[r.Name] = ReadAttribute(r.Value, $"{path}.{r.Name}");
            }
            if (!roles.TryGetValue("Normal", out Attribute normal))
            {
                throw Fail($"{path}.Normal", "missing", "[foreground, background]");
            }
            Scheme s = new(normal);
            foreach ((string role, Attribute a) in roles)
            {
                s = role switch
                {
                    "Focus" => s with { Focus = a },
                    "HotNormal" => s with { HotNormal = a },
                    "HotFocus" => s with { HotFocus = a },
                    "Active" => s with { Active = a },
                    "HotActive" => s with { HotActive = a },
                    "Highlight" => s with { Highlight = a },
                    "Disabled" => s with { Disabled = a },
                    "Editable" => s with { Editable = a },
                    "ReadOnly" => s with { ReadOnly = a },
                    _ => s,
                };
            }
            return s;
        }

        private Attribute ReadAttribute(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() is < 2 or > 3)
            {
                throw Fail(path, $"expected [foreground, background] or [foreground, background, style], got {e.GetRawText()}", null);
            }
            Color fg = ReadColor(e[0], $"{path}[0]");
            Color bg = ReadColor(e[1], $"{path}[1]");
            TextStyle style = e.GetArrayLength() == 3 ? ReadStyle(e[2], $"{path}[2]") : TextStyle.None;
            return new Attribute(fg, bg, style);
        }

        private Color ReadColor(JsonElement e, string path)
        {
            string text = e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
            if (e.ValueKind == JsonValueKind.String && TryColor(text, out Color c))
            {
                return c;
            }
            throw Fail(path, $"unknown color \"{text}\"", s_colorHelp);
        }

        private TextStyle ReadStyle(JsonElement e, string path)
        {
            string text = e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
            TextStyle style = TextStyle.None;
            bool ok = e.ValueKind == JsonValueKind.String && text.Length > 0;
            if (ok)
            {
                foreach (string part in text.Split('+', StringSplitOptions.TrimEntries))
                {
                    if (!IsName(part) || !Enum.TryParse(part, ignoreCase: true, out TextStyle one))
                    {
                        ok = false;
                        break;
                    }
                    style |= one;
                }
            }
            return ok ? style : throw Fail(path, $"unknown text style \"{text}\"", s_styleHelp);
        }

        private void Expect(JsonElement e, JsonValueKind kind, string path)
        {
            if (e.ValueKind != kind)
            {
                throw Fail(path, $"expected {kind.ToString().ToLowerInvariant()}, got {e.ValueKind.ToString().ToLowerInvariant()}", null);
            }
        }

        private ThemeException Fail(string path, string problem, string? allowed) =>
            new($"theme {source}: {path}: {problem}" + (allowed is null ? "" : $" (allowed: {allowed})"));
    }

    /// <summary>Only the names we document: Terminal.Gui's own parser also takes W3C names and numbers, which
    /// would make a theme depend on that parser's version.</summary>
    internal static bool TryColor(string text, out Color color)
    {
        color = default;
        if (text.Equals("None", StringComparison.OrdinalIgnoreCase))
        {
            color = Color.None;
            return true;
        }
        if (IsName(text) && Enum.TryParse(text, ignoreCase: true, out ColorName16 name))
        {
            color = new Color(name);
            return true;
        }
        if (text.Length == 7 && text[0] == '#' &&
            int.TryParse(text.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int rgb))
        {
            color = new Color((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
            return true;
        }
        return false;
    }

    /// <summary>Enum.TryParse also accepts numbers ("5"); a theme must name the value.</summary>
    private static bool IsName(string s) => s.Length > 0 && s.All(char.IsAsciiLetter);
}
