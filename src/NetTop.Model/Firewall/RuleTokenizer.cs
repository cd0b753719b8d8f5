namespace NetTop.Model.Firewall;

/// <summary>
/// Splits a rule as iptables-save prints it into argv tokens. iptables-save quotes an argument that holds spaces
/// or quotes with double quotes and escapes <c>"</c> and <c>'</c> inside it with a backslash
/// (<c>--comment "it\'s \"quoted\""</c>); the tokens come back unquoted and unescaped, ready to pass to
/// <c>iptables -D</c> as an argument list. Never throws: an unterminated quote ends at the end of the line.
/// </summary>
public static class RuleTokenizer
{
    public static List<string> Split(ReadOnlySpan<char> text)
    {
        List<string> tokens = new(16);
        Split(text, tokens);
        return tokens;
    }

    /// <summary>Appends the tokens of <paramref name="text"/> to <paramref name="tokens"/>.</summary>
    public static void Split(ReadOnlySpan<char> text, List<string> tokens)
    {
        int i = 0;
        System.Text.StringBuilder? sb = null;
        while (i < text.Length)
        {
            while (i < text.Length && text[i] is ' ' or '\t')
            {
                i++;
            }
            if (i >= text.Length)
            {
                break;
            }
            int start = i;
            bool plain = true;
            while (i < text.Length && text[i] is not (' ' or '\t'))
            {
                if (text[i] is '"' or '\\')
                {
                    plain = false;
                    break;
                }
                i++;
            }
            if (plain)
            {
                tokens.Add(new string(text[start..i]));
                continue;
            }
            // Slow path: quotes or escapes somewhere in this token.
            sb ??= new System.Text.StringBuilder(64);
            sb.Clear();
            sb.Append(text[start..i]);
            bool quoted = false;
            while (i < text.Length)
            {
                char c = text[i];
                if (c == '\\' && i + 1 < text.Length)
                {
                    sb.Append(text[i + 1]);
                    i += 2;
                    continue;
                }
                if (c == '"')
                {
                    quoted = !quoted;
                    i++;
                    continue;
                }
                if (!quoted && c is ' ' or '\t')
                {
                    break;
                }
                sb.Append(c);
                i++;
            }
            tokens.Add(sb.ToString());
        }
    }

    /// <summary>Quotes a token the way iptables-save does, for display (never for a shell).</summary>
    public static string Quote(string token)
    {
        if (token.Length > 0 && token.AsSpan().IndexOfAny(" \t\"'\\") < 0)
        {
            return token;
        }
        System.Text.StringBuilder sb = new(token.Length + 4);
        sb.Append('"');
        foreach (char c in token)
        {
            if (c is '"' or '\'' or '\\')
            {
                sb.Append('\\');
            }
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
