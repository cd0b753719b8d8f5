using NetTop.Cli;

namespace NetTop.Tests;

public sealed class CommandLineTests
{
    private static UsageException Fails(params string[] args) =>
        Assert.Throws<UsageException>(() => CommandLine.Parse(args));

    [Fact]
    public void No_arguments_is_the_tui()
    {
        CommandLine c = CommandLine.Parse([]);
        Assert.Equal("tui", c.Mode);
        Assert.Empty(c.Options);
        Assert.Empty(c.Flags);
        Assert.Empty(c.ConfigOverrides);
    }

    [Theory]
    [InlineData("tui")]
    [InlineData("snapshot")]
    [InlineData("bench-sockets")]
    [InlineData("record-sockets")]
    public void Known_commands_set_the_mode(string mode)
    {
        Assert.Equal(mode, CommandLine.Parse([mode]).Mode);
    }

    [Fact]
    public void Options_before_a_command_word_keep_the_tui_mode_and_reject_the_word()
    {
        UsageException e = Fails("--json", "snapshot");
        Assert.Contains("'snapshot'", e.Message);
    }

    [Fact]
    public void Separate_and_inline_values_are_the_same()
    {
        CommandLine a = CommandLine.Parse(["snapshot", "--json", "--duration", "2.5", "--refresh", "0.5"]);
        CommandLine b = CommandLine.Parse(["snapshot", "--json", "--duration=2.5", "--refresh=0.5"]);
        foreach (CommandLine c in new[] { a, b })
        {
            Assert.Equal("snapshot", c.Mode);
            Assert.True(c.Has("--json"));
            Assert.False(c.Has("--text"));
            Assert.Equal("2.5", c.Get("--duration"));
            Assert.Equal("0.5", c.Get("--refresh"));
            Assert.Null(c.Get("--output"));
        }
    }

    [Fact]
    public void Inline_value_may_contain_equals_signs_and_be_empty()
    {
        CommandLine c = CommandLine.Parse(["snapshot", "--output=/tmp/a=b.json", "--theme="]);
        Assert.Equal("/tmp/a=b.json", c.Get("--output"));
        Assert.Equal("", c.Get("--theme"));
    }

    [Theory]
    [InlineData("--json")]
    [InlineData("-o", "x.json")]
    [InlineData("--duration", "1")]
    public void Mode_options_are_rejected_for_the_live_view(params string[] args)
    {
        UsageException e = Assert.Throws<UsageException>(() => CommandLine.Parse(args));
        Assert.Contains("not allowed for the live view", e.Message);
    }

    [Fact]
    public void Dash_o_is_output()
    {
        CommandLine c = CommandLine.Parse(["snapshot", "--text", "-o", "/tmp/x.txt"]);
        Assert.Equal("/tmp/x.txt", c.Get("--output"));
        Assert.Equal("/tmp/x.txt", CommandLine.Parse(["snapshot", "--output", "/tmp/x.txt"]).Get("--output"));
    }

    [Fact]
    public void Dash_h_is_help()
    {
        Assert.True(CommandLine.Parse(["-h"]).Has("--help"));
        Assert.True(CommandLine.Parse(["--help"]).Has("--help"));
        Assert.True(CommandLine.Parse(["--version"]).Has("--version"));
    }

    [Fact]
    public void A_value_may_start_with_a_single_dash()
    {
        Assert.Equal("-1", CommandLine.Parse(["snapshot", "--duration", "-1"]).Get("--duration"));
    }

    [Fact]
    public void Config_options_become_configuration_overrides()
    {
        CommandLine c = CommandLine.Parse(["--refresh", "2", "--theme", "mono", "--sockets", "proc", "--snapshot-dir", "/d",
            "--config", "/c.json", "--netns", "blue"]);
        Dictionary<string, string?> o = c.ConfigOverrides.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(new Dictionary<string, string?>
        {
            ["Refresh"] = "2",
            ["Theme"] = "mono",
            ["Capture:Sockets"] = "proc",
            ["SnapshotDirectory"] = "/d",
        }, o);
        Assert.Equal("/c.json", c.Get("--config"));
        Assert.Equal("blue", c.Get("--netns"));
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--bogus=1")]
    [InlineData("-x")]
    [InlineData("--json=1")]
    public void Unknown_option_is_named(string option)
    {
        UsageException e = Fails("snapshot", option);
        Assert.Contains("unknown option", e.Message);
        Assert.Contains(option, e.Message);
    }

    [Fact]
    public void Unknown_command_is_named()
    {
        UsageException e = Fails("snapshots", "--json");
        Assert.Contains("unknown command", e.Message);
        Assert.Contains("'snapshots'", e.Message);
    }

    [Fact]
    public void A_bare_word_after_the_command_is_rejected()
    {
        UsageException e = Fails("snapshot", "extra");
        Assert.Contains("extra", e.Message);
    }

    [Theory]
    [InlineData("--refresh")]
    [InlineData("--duration")]
    [InlineData("-o")]
    [InlineData("--config")]
    public void Missing_value_at_the_end_is_named(string option)
    {
        UsageException e = Fails("snapshot", "--json", option);
        Assert.Contains("needs a value", e.Message);
        Assert.Contains(option == "-o" ? "--output" : option, e.Message);
    }

    [Fact]
    public void Missing_value_before_another_option_is_named()
    {
        UsageException e = Fails("snapshot", "--duration", "--json");
        Assert.Contains("--duration", e.Message);
        Assert.Contains("needs a value", e.Message);
    }

    [Theory]
    [InlineData("--refresh", "1", "--refresh", "2")]
    [InlineData("--refresh=1", "--refresh", "2")]
    [InlineData("-o", "a", "--output", "b")]
    public void Duplicated_option_is_named(params string[] args)
    {
        UsageException e = Fails(["snapshot", .. args]);
        Assert.Contains("given twice", e.Message);
        Assert.Contains(args[0].StartsWith("--refresh", StringComparison.Ordinal) ? "--refresh" : "--output", e.Message);
    }

    [Fact]
    public void Usage_mentions_every_documented_option()
    {
        foreach (string o in new[] { "--netns", "--refresh", "--theme", "--config", "--sockets", "--snapshot-dir", "--json", "--text", "--duration", "-o, --output", "--help", "--version" })
        {
            Assert.Contains(o, CommandLine.Usage);
        }
    }
}
