using NetTop.Model.Net;
using System.Collections.Immutable;

namespace NetTop.Model.Firewall;

/// <summary>The parts of an iptables rule: what it matches and where it sends a packet.</summary>
public readonly record struct ParsedRule(RuleMatch Match, string Target, bool IsGoto, string TargetArgs);

/// <summary>
/// Reads the match of an iptables rule as iptables-save prints it after <c>-A CHAIN</c>
/// (<c>-s 10.0.0.0/8 ! -i veth+ -p tcp -m tcp --dport 22 -m comment --comment "x" -j ACCEPT</c>). Pure; never
/// throws: options it does not know are kept, in order, in <see cref="RuleMatch.Unknown"/>.
/// </summary>
public static class RuleMatchParser
{
    // Modules whose options NetTop evaluates. `tcp`/`udp`/`multiport` ports, `state`/`conntrack` states.
    private static readonly HashSet<string> s_knownModules = ["tcp", "udp", "multiport", "comment", "state", "conntrack"];

    public static ParsedRule Parse(string rule) => Parse(RuleTokenizer.Split(rule));

    public static ParsedRule Parse(List<string> t)
    {
        RuleMatch m = RuleMatch.Any;
        string target = "";
        bool isGoto = false;
        string targetArgs = "";
        string? module = null;
        ImmutableArray<string>.Builder? unknown = null;
        bool neg = false;
        int i = 0;

        // The value after the option at i, or null at the end of the rule (a truncated line).
        string? Value(int at) => at + 1 < t.Count ? t[at + 1] : null;

        void Unknown(string what)
        {
            unknown ??= ImmutableArray.CreateBuilder<string>(2);
            unknown.Add(what);
        }

        while (i < t.Count)
        {
            string tok = t[i];
            if (tok == "!")
            {
                neg = true;
                i++;
                continue;
            }
            string? v = Value(i);
            bool negated = neg;
            neg = false;
            switch (tok)
            {
                case "-p" or "--protocol" when v is not null:
                    m = m with { Protocol = v.ToLowerInvariant(), ProtocolNegated = negated };
                    i += 2;
                    continue;
                case "-s" or "--source" or "--src" when v is not null:
                    m = CidrMatch.TryParse(v, negated) is { } s ? m with { Source = s } : Add(m, ref unknown, $"{Neg(negated)}-s {v}");
                    i += 2;
                    continue;
                case "-d" or "--destination" or "--dst" when v is not null:
                    m = CidrMatch.TryParse(v, negated) is { } d ? m with { Destination = d } : Add(m, ref unknown, $"{Neg(negated)}-d {v}");
                    i += 2;
                    continue;
                case "-i" or "--in-interface" when v is not null:
                    m = m with { InInterface = new InterfaceMatch(v, negated) };
                    i += 2;
                    continue;
                case "-o" or "--out-interface" when v is not null:
                    m = m with { OutInterface = new InterfaceMatch(v, negated) };
                    i += 2;
                    continue;
                case "-m" or "--match" when v is not null:
                    module = v;
                    if (!s_knownModules.Contains(v))
                    {
                        Unknown($"-m {v}");
                    }
                    i += 2;
                    continue;
                case "-j" or "--jump" or "-g" or "--goto" when v is not null:
                    target = v;
                    isGoto = tok is "-g" or "--goto";
                    // What follows belongs to the target (--reject-with tcp-reset, --log-prefix "x").
                    targetArgs = i + 2 < t.Count ? string.Join(' ', t.Skip(i + 2).Select(RuleTokenizer.Quote)) : "";
                    i = t.Count;
                    continue;
                case "-c" or "--set-counters":
                    i += 3; // `iptables -S -v` prints counters inline
                    continue;
            }
            if (module is not null && s_knownModules.Contains(module) && v is not null)
            {
                bool handled = true;
                switch (tok)
                {
                    case "--sport" or "--source-port" when module is "tcp" or "udp":
                    case "--sports" or "--source-ports" when module is "multiport":
                        m = PortMatch.TryParse(v, negated) is { } sp ? m with { SourcePorts = sp } : Add(m, ref unknown, $"{tok} {v}");
                        break;
                    case "--dport" or "--destination-port" when module is "tcp" or "udp":
                    case "--dports" or "--destination-ports" when module is "multiport":
                        m = PortMatch.TryParse(v, negated) is { } dp ? m with { DestinationPorts = dp } : Add(m, ref unknown, $"{tok} {v}");
                        break;
                    case "--state" when module is "state":
                    case "--ctstate" when module is "conntrack":
                        m = StateMatch.TryParse(v, negated) is { } st ? m with { States = st } : Add(m, ref unknown, $"{tok} {v}");
                        break;
                    case "--comment" when module is "comment":
                        m = m with { Comment = v };
                        break;
                    case "--tcp-flags" when module is "tcp" && i + 2 < t.Count:
                        TcpFlags? mask = TcpFlagsMatch.ParseList(v), comp = TcpFlagsMatch.ParseList(t[i + 2]);
                        m = mask is { } mk && comp is { } cp
                            ? m with { TcpFlags = new TcpFlagsMatch(mk, cp, negated) }
                            : Add(m, ref unknown, $"--tcp-flags {v} {t[i + 2]}");
                        i += 3;
                        continue;
                    default:
                        handled = false;
                        break;
                }
                if (handled)
                {
                    i += 2;
                    continue;
                }
            }
            if (tok == "--syn" && module == "tcp")
            {
                m = m with { TcpFlags = TcpFlagsMatch.Syn with { Negated = negated } };
                i++;
                continue;
            }
            // An option NetTop does not evaluate: keep it and its values (up to the next option) as unknown.
            int end = i + 1;
            while (end < t.Count && !(t[end].StartsWith('-') && t[end].Length > 1 && !char.IsAsciiDigit(t[end][1])) && t[end] != "!")
            {
                end++;
            }
            string text = string.Join(' ', t.Skip(i).Take(end - i));
            Unknown(Neg(negated) + text);
            i = end;
        }
        if (unknown is not null)
        {
            m = m with { Unknown = unknown.DrainToImmutable() };
        }
        return new ParsedRule(m, target, isGoto, targetArgs);
    }

    /// <summary>
    /// Finds the target of a rule without tokenizing it into strings: the token after the first unquoted
    /// <c>-j</c>/<c>-g</c> (what a poll of 10,000 rules needs; the match is parsed later, on demand).
    /// </summary>
    public static bool TryFindTarget(ReadOnlySpan<char> rule, out Range target, out bool isGoto, out int argsStart)
    {
        target = default;
        isGoto = false;
        argsStart = rule.Length;
        int i = 0;
        bool wantTarget = false;
        while (i < rule.Length)
        {
            while (i < rule.Length && rule[i] is ' ' or '\t')
            {
                i++;
            }
            if (i >= rule.Length)
            {
                break;
            }
            int start = i;
            bool quoted = false;
            while (i < rule.Length && (quoted || rule[i] is not (' ' or '\t')))
            {
                if (rule[i] == '\\')
                {
                    i += 2;
                    continue;
                }
                if (rule[i] == '"')
                {
                    quoted = !quoted;
                }
                i++;
            }
            i = Math.Min(i, rule.Length);
            ReadOnlySpan<char> tok = rule[start..i];
            if (wantTarget)
            {
                target = start..i;
                argsStart = i;
                return true;
            }
            if (tok is "-j" or "--jump" or "-g" or "--goto")
            {
                isGoto = tok is "-g" or "--goto";
                wantTarget = true;
            }
        }
        return false;
    }

    private static RuleMatch Add(RuleMatch m, ref ImmutableArray<string>.Builder? unknown, string what)
    {
        unknown ??= ImmutableArray.CreateBuilder<string>(2);
        unknown.Add(what);
        return m;
    }

    private static string Neg(bool negated) => negated ? "! " : "";
}
