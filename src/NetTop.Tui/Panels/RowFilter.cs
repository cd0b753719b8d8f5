using System.Collections.Immutable;
using System.Globalization;
using NetTop.Model.Net;
using NetTop.Model.Tables;

namespace NetTop.Tui.Panels;

/// <summary>
/// A field term of the `/` filter: a name the user types before the colon and a test of one row against the
/// value after it (already lower-cased and trimmed).
/// </summary>
internal sealed record FilterField<T>(string Name, Func<T, string, bool> Matches);

/// <summary>
/// The `/` filter of one panel: whitespace-separated terms, all of which must match (AND). A term
/// <c>field:value</c> tests one field (<c>port:8080</c>, <c>state:syn-sent</c>, <c>proc:nginx</c>); any other term
/// is plain text that must occur in one of the row's cells (case-insensitive), so what is filtered is what is
/// shown. Parsing is separate from matching so a typo is reported while the previous filter stays in force.
/// </summary>
internal sealed class RowFilter<T>
{
    private readonly (FilterField<T>? Field, string Value)[] _terms;
    private readonly ImmutableArray<Column<T>> _columns;

    private RowFilter(string text, (FilterField<T>?, string)[] terms, ImmutableArray<Column<T>> columns)
    {
        Text = text;
        _terms = terms;
        _columns = columns;
    }

    /// <summary>The filter as typed (normalized spacing).</summary>
    public string Text { get; }

    /// <summary>
    /// Parses <paramref name="text"/>; null with <paramref name="error"/> set when a term names a field this panel
    /// does not have (the message lists the ones it has), or when the text is blank (no filter, no error).
    /// </summary>
    public static RowFilter<T>? Parse(string text, ImmutableArray<Column<T>> columns,
        IReadOnlyList<FilterField<T>> fields, out string? error)
    {
        error = null;
        string[] parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return null;
        }
        List<(FilterField<T>?, string)> terms = new(parts.Length);
        foreach (string part in parts)
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            // "10.0.0.1:80" is plain text: a field name is letters only.
            if (colon > 0 && part[..colon].All(char.IsAsciiLetter))
            {
                string name = part[..colon].ToLowerInvariant();
                FilterField<T>? field = fields.FirstOrDefault(f => f.Name == name);
                if (field is null)
                {
                    error = $"unknown field \"{name}\" (fields here: {string.Join(", ", fields.Select(f => f.Name))}; plain text matches any column)";
                    return null;
                }
                string value = part[(colon + 1)..].ToLowerInvariant();
                if (value.Length == 0)
                {
                    error = $"\"{name}:\" needs a value, e.g. {Example(name)}";
                    return null;
                }
                if (name == "port" && !ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    error = $"port:{value}: expected a port number 0-65535";
                    return null;
                }
                terms.Add((field, value));
            }
            else
            {
                terms.Add((null, part));
            }
        }
        return new RowFilter<T>(string.Join(' ', parts), [.. terms], columns);
    }

    public bool Matches(T row)
    {
        foreach ((FilterField<T>? field, string value) in _terms)
        {
            if (field is not null ? !field.Matches(row, value) : !AnyCell(row, value))
            {
                return false;
            }
        }
        return true;
    }

    private bool AnyCell(T row, string text)
    {
        foreach (Column<T> c in _columns)
        {
            if (c.Cell(row).Contains(text, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static string Example(string name) => name switch
    {
        "port" => "port:8080",
        "state" => "state:syn-sent",
        "proc" => "proc:nginx",
        _ => name + ":text",
    };
}

/// <summary>The field terms the panels share.</summary>
internal static class FilterFields
{
    /// <summary>"syn-sent", "SYN_SENT" and "syn_sent" are the same state; a prefix is enough ("estab").</summary>
    public static bool State(string state, string value) =>
        state.Replace('-', '_').StartsWith(value.Replace('-', '_'), StringComparison.OrdinalIgnoreCase);

    public static bool Contains(string? text, string value) =>
        text is not null && text.Contains(value, StringComparison.OrdinalIgnoreCase);

    public static bool Port(NetEndpoint e, string value) =>
        ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p) && e.Port == p;

    public static bool Address(NetEndpoint e, string value) => Contains(e.ToString(), value);

    /// <summary>A port in a rule's text: a whole number token ("--dport 8080", "dport 8080", "8080,8443").</summary>
    public static bool PortInText(string text, string value)
    {
        int at = 0;
        while ((at = text.IndexOf(value, at, StringComparison.Ordinal)) >= 0)
        {
            int end = at + value.Length;
            bool startOk = at == 0 || !char.IsAsciiDigit(text[at - 1]) && text[at - 1] != '.';
            bool endOk = end == text.Length || !char.IsAsciiDigit(text[end]) && text[end] != '.';
            if (startOk && endOk)
            {
                return true;
            }
            at = end;
        }
        return false;
    }
}
