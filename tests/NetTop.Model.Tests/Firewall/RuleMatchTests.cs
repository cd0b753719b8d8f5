using CsCheck;
using NetTop.Model.Firewall;
using NetTop.Model.Net;

namespace NetTop.Model.Tests.Firewall;

public sealed class RuleMatchTests
{
    [Fact]
    public void Tokenizer_unquotes_and_unescapes_like_iptables_save_prints()
    {
        Assert.Equal(["-m", "comment", "--comment", "it's \"quoted\" twice", "-j", "ACCEPT"],
            RuleTokenizer.Split("-m comment --comment \"it\\'s \\\"quoted\\\" twice\" -j ACCEPT"));
        Assert.Equal(["a", "b c", "d"], RuleTokenizer.Split("  a \"b c\"   d "));
        Assert.Equal(["x", "unterminated y"], RuleTokenizer.Split("x \"unterminated y"));
        Assert.Equal("\"it\\'s \\\"q\\\"\"", RuleTokenizer.Quote("it's \"q\""));
        Assert.Equal("plain", RuleTokenizer.Quote("plain"));
    }

    [Fact]
    public void Quote_and_split_round_trip()
    {
        Gen.String.Array[0, 6].Sample(tokens =>
        {
            string[] nonEmpty = tokens.Where(t => t.Length > 0).ToArray();
            string line = string.Join(' ', nonEmpty.Select(RuleTokenizer.Quote));
            Assert.Equal(nonEmpty, RuleTokenizer.Split(line));
        }, iter: 2000);
    }

    [Fact]
    public void Matches_evaluate_as_iptables_does()
    {
        RuleMatch m = RuleMatchParser.Parse("! -s 192.168.1.0/24 -d 10.0.0.1 -i eth+ ! -o lo -p tcp -m tcp --sport 1024: ! --dport 22 -m conntrack --ctstate NEW,RELATED -j X").Match;
        Assert.False(m.Source!.Contains(Ep("192.168.1.77:1")));
        Assert.True(m.Source.Contains(Ep("192.168.2.1:1")));
        Assert.True(m.Destination!.Contains(Ep("10.0.0.1:1")));
        Assert.False(m.Destination.Contains(Ep("10.0.0.2:1")));
        Assert.True(m.InInterface!.Matches("eth0"));
        Assert.False(m.InInterface.Matches("veth0"));
        Assert.False(m.OutInterface!.Matches("lo"));
        Assert.True(m.SourcePorts!.Contains(1024) && m.SourcePorts.Contains(65535) && !m.SourcePorts.Contains(1023));
        Assert.False(m.DestinationPorts!.Contains(22));
        Assert.True(m.States!.Matches(ConnStates.New));
        Assert.False(m.States.Matches(ConnStates.Established));
        Assert.False(m.Undecidable);
    }

    [Fact]
    public void Cidr_handles_prefixes_masks_and_ipv6()
    {
        Assert.Equal(0, CidrMatch.TryParse("0.0.0.0/0", false)!.PrefixLength);
        Assert.True(CidrMatch.TryParse("0.0.0.0/0", false)!.Contains(Ep("8.8.8.8:53")));
        Assert.Equal(24, CidrMatch.TryParse("10.1.2.0/255.255.255.0", false)!.PrefixLength);
        Assert.Null(CidrMatch.TryParse("10.1.2.0/255.0.255.0", false));
        Assert.True(CidrMatch.TryParse("2001:db8::/32", false)!.Contains(Ep("[2001:db8:1::5]:80")));
        Assert.False(CidrMatch.TryParse("2001:db8::/32", false)!.Contains(Ep("1.2.3.4:80")));
        Assert.Null(CidrMatch.TryParse("nonsense", false));
        Assert.Null(CidrMatch.TryParse("10.0.0.0/33", false));
    }

    [Fact]
    public void Unknown_options_and_modules_are_listed_with_their_values()
    {
        ParsedRule p = RuleMatchParser.Parse("-p tcp -m recent --name x --rcheck --seconds 60 -m tcp --dport 22 -m limit --limit 5/min -j LOG --log-prefix \"a b\"");
        Assert.Equal(["-m recent", "--name x", "--rcheck", "--seconds 60", "-m limit", "--limit 5/min"], p.Match.Unknown.ToArray());
        Assert.Equal("LOG", p.Target);
        Assert.Equal("--log-prefix \"a b\"", p.TargetArgs);
        Assert.True(p.Match.DestinationPorts!.Contains(22));
        Assert.True(RuleMatchParser.Parse("-f -j DROP").Match.Undecidable);
        Assert.True(RuleMatchParser.Parse("-m conntrack --ctstate NEW --ctorigdst 1.2.3.4 -j DROP").Match.Undecidable);
        Assert.Equal("CHAIN", RuleMatchParser.Parse("-g CHAIN").Target);
        Assert.True(RuleMatchParser.Parse("-g CHAIN").IsGoto);
    }

    [Theory]
    [InlineData("-p tcp -m comment --comment \"not -j ME\" -j DROP", "DROP", false, "")]
    [InlineData("-m comment --comment \"a \\\" -g X\" -g CHAIN", "CHAIN", true, "")]
    [InlineData("-j REJECT --reject-with tcp-reset", "REJECT", false, "--reject-with tcp-reset")]
    [InlineData("-p tcp --dport 5", "", false, "")]
    [InlineData("-j", "", false, "")]
    public void The_target_is_found_without_tokenizing_and_agrees_with_the_parser(string rule, string target, bool isGoto, string args)
    {
        bool found = RuleMatchParser.TryFindTarget(rule, out Range t, out bool g, out int argsStart);
        Assert.Equal(target.Length > 0, found);
        Assert.Equal(target, found ? rule[t] : "");
        Assert.Equal(isGoto, found && g);
        Assert.Equal(args, found ? rule[argsStart..].Trim() : "");
        Assert.Equal(target, RuleMatchParser.Parse(rule).Target);
    }

    [Fact]
    public void Garbage_never_throws()
    {
        Gen.String.Sample(s =>
        {
            ParsedRule p = RuleMatchParser.Parse(s);
            if (RuleMatchParser.TryFindTarget(s, out Range t, out _, out int a))
            {
                Assert.InRange(a, 0, s.Length);
                _ = s[t];
            }
            Assert.NotNull(p.Match);
        }, iter: 3000);
        Gen.Int[0, 12].Array[0, 12].Sample(idx =>
        {
            string[] words = ["!", "-p", "-s", "-d", "-m", "tcp", "--dport", "--tcp-flags", "-j", "x:y", "--ctstate", "conntrack", "-i"];
            RuleMatchParser.Parse(string.Join(' ', idx.Select(i => words[i])));
        }, iter: 3000);
    }

    private static NetEndpoint Ep(string text) => NetEndpoint.TryParse(text, out NetEndpoint e) ? e : throw new ArgumentException(text);
}
