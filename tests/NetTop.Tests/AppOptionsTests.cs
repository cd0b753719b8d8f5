using NetTop.Capture.Sockets;
using NetTop.Cli;

namespace NetTop.Tests;

public sealed class AppOptionsTests
{
    private static readonly Dictionary<string, string?> s_noEnv = [];

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "config", name);

    private static AppOptions Load(string[] args, Dictionary<string, string?>? env = null) =>
        AppOptions.Load(CommandLine.Parse(args), env ?? s_noEnv);

    private static UsageException Fails(string fixture, Dictionary<string, string?>? env = null) =>
        Assert.Throws<UsageException>(() => Load(["--config", Fixture(fixture)], env));

    [Fact]
    public void Shipped_config_and_themes_are_beside_the_tests()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "config.json")));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "themes", "default.json")));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "themes", "mono.json")));
        Assert.Equal(["dark", "default", "high-contrast", "light", "mono"], AppOptions.ThemeNames());
    }

    [Fact]
    public void Defaults_come_from_the_shipped_config()
    {
        AppOptions o = Load([]);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "config.json"), o.ConfigFile);
        Assert.Equal(TimeSpan.FromSeconds(1), o.RefreshInterval);
        Assert.Equal("default", o.Theme);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "themes", "default.json"), o.ThemePath);
        Assert.Equal("/var/tmp/nettop", o.SnapshotDirectory);
        Assert.Equal(SocketsMode.Auto, o.Capture.Sockets);
        Assert.True(o.Capture.TcpInfo);
        Assert.True(o.Capture.ProcessOwners);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Capture.Tombstone);
        Assert.Equal(TimeSpan.FromSeconds(1), o.Capture.RefreshInterval);
        Assert.Null(o.Capture.Netns);
        Assert.Equal(1, o.IdleRate);
    }

    [Fact]
    public void A_valid_config_file_sets_every_value()
    {
        AppOptions o = Load(["--config", Fixture("valid.json"), "--netns", "blue"]);
        Assert.Equal(Fixture("valid.json"), o.ConfigFile);
        Assert.Equal(TimeSpan.FromSeconds(2.5), o.RefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(2.5), o.Capture.RefreshInterval);
        Assert.Equal("/tmp/nettop-test-snapshots", o.SnapshotDirectory);
        Assert.Equal("mono", o.Theme);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "themes", "mono.json"), o.ThemePath);
        Assert.Equal(SocketsMode.Proc, o.Capture.Sockets);
        Assert.False(o.Capture.TcpInfo);
        Assert.False(o.Capture.ProcessOwners);
        Assert.Equal(TimeSpan.FromSeconds(9), o.Capture.Tombstone);
        Assert.Equal("blue", o.Capture.Netns);
        Assert.Equal(10, o.IdleRate);
    }

    [Theory]
    [InlineData("idlerate-zero.json", "'0'")]
    [InlineData("idlerate-fraction.json", "'2.5'")]
    public void IdleRate_must_be_whole_iterations_from_1_to_25(string fixture, string value)
    {
        UsageException e = Fails(fixture);
        Assert.Contains("IdleRate", e.Message);
        Assert.Contains("1 to 25", e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void IdleRate_comes_from_the_environment_too() =>
        Assert.Equal(25, Load([], new Dictionary<string, string?> { ["NETTOP_IDLERATE"] = "25" }).IdleRate);

    [Theory]
    [InlineData("refresh-zero.json", "'0'")]
    [InlineData("refresh-abc.json", "'abc'")]
    [InlineData("refresh-too-big.json", "'5000'")]
    public void Refresh_out_of_range_names_the_key_and_the_range(string fixture, string value)
    {
        UsageException e = Fails(fixture);
        Assert.Contains("Refresh", e.Message);
        Assert.Contains("0.1 to 3600", e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void Unknown_sockets_mode_lists_the_allowed_values()
    {
        UsageException e = Fails("sockets-tcpdiag.json");
        Assert.Contains("Capture:Sockets", e.Message);
        Assert.Contains("tcpdiag", e.Message);
        Assert.Contains("auto, netlink, proc", e.Message);
    }

    [Fact]
    public void Non_boolean_tcp_info_lists_true_false()
    {
        UsageException e = Fails("tcpinfo-yes.json");
        Assert.Contains("Capture:TcpInfo", e.Message);
        Assert.Contains("'yes'", e.Message);
        Assert.Contains("true, false", e.Message);
    }

    [Fact]
    public void Unknown_top_level_key_is_named()
    {
        UsageException e = Fails("unknown-key.json");
        Assert.Contains("unknown key", e.Message);
        Assert.Contains("Colour", e.Message);
    }

    [Fact]
    public void Unknown_capture_key_is_named_with_its_path()
    {
        UsageException e = Fails("unknown-capture-key.json");
        Assert.Contains("unknown key", e.Message);
        Assert.Contains("Capture:Pcap", e.Message);
    }

    [Fact]
    public void Unknown_theme_lists_the_allowed_themes()
    {
        UsageException e = Fails("theme-unknown.json");
        Assert.Contains("Theme", e.Message);
        Assert.Contains("solarized", e.Message);
        Assert.Contains("dark, default, high-contrast, light, mono", e.Message);
    }

    [Theory]
    [InlineData("theme-traversal.json", "../etc/passwd")]
    [InlineData("theme-dotfile.json", ".hidden")]
    public void Theme_names_that_are_paths_are_rejected(string fixture, string name)
    {
        UsageException e = Fails(fixture);
        Assert.Contains("Theme", e.Message);
        Assert.Contains(name, e.Message);
        Assert.Contains("dark, default, high-contrast, light, mono", e.Message);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData("default/../mono")]
    [InlineData("")]
    public void ResolveTheme_rejects_paths(string name)
    {
        Assert.Throws<UsageException>(() => AppOptions.ResolveTheme(name));
    }

    [Fact]
    public void Empty_snapshot_directory_is_rejected()
    {
        UsageException e = Fails("snapshot-dir-empty.json");
        Assert.Contains("SnapshotDirectory", e.Message);
    }

    [Fact]
    public void Negative_tombstone_is_rejected()
    {
        UsageException e = Fails("tombstone-negative.json");
        Assert.Contains("Capture:TombstoneSeconds", e.Message);
        Assert.Contains("0 to 3600", e.Message);
    }

    [Fact]
    public void Malformed_json_is_a_usage_error_naming_the_file()
    {
        UsageException e = Fails("malformed.json");
        Assert.Contains("malformed.json", e.Message);
    }

    [Fact]
    public void Missing_config_file_is_named()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "config", "does-not-exist.json");
        UsageException e = Assert.Throws<UsageException>(() => Load(["--config", path]));
        Assert.Contains("--config", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Environment_overrides_the_config_file()
    {
        AppOptions o = Load(["--config", Fixture("valid.json")], new()
        {
            ["NETTOP_REFRESH"] = "4",
            ["NETTOP_CAPTURE__SOCKETS"] = "netlink",
            ["NETTOP_THEME"] = "default",
        });
        Assert.Equal(TimeSpan.FromSeconds(4), o.RefreshInterval);
        Assert.Equal(SocketsMode.Netlink, o.Capture.Sockets);
        Assert.Equal("default", o.Theme);
        Assert.False(o.Capture.TcpInfo); // untouched keys stay from the file
    }

    [Fact]
    public void Command_line_overrides_environment_and_config_file()
    {
        Dictionary<string, string?> env = new() { ["NETTOP_REFRESH"] = "4", ["NETTOP_CAPTURE__SOCKETS"] = "netlink" };
        AppOptions o = Load(["--config", Fixture("valid.json"), "--refresh", "7", "--sockets", "auto"], env);
        Assert.Equal(TimeSpan.FromSeconds(7), o.RefreshInterval);
        Assert.Equal(SocketsMode.Auto, o.Capture.Sockets);

        // Each layer alone: file 2.5, env 4.
        Assert.Equal(TimeSpan.FromSeconds(2.5), Load(["--config", Fixture("valid.json")]).RefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(4), Load(["--config", Fixture("valid.json")], env).RefreshInterval);
    }

    [Fact]
    public void Variables_without_the_prefix_are_ignored()
    {
        AppOptions o = Load([], new() { ["REFRESH"] = "abc", ["nettop_refresh"] = "abc", ["HOME"] = "/root" });
        Assert.Equal(TimeSpan.FromSeconds(1), o.RefreshInterval);
    }

    [Fact]
    public void Invalid_values_from_the_environment_are_reported_too()
    {
        UsageException e = Assert.Throws<UsageException>(() => Load([], new() { ["NETTOP_REFRESH"] = "0" }));
        Assert.Contains("Refresh", e.Message);
        Assert.Contains("0.1 to 3600", e.Message);
    }

    [Fact]
    public void Environment_variables_that_name_no_setting_are_ignored()
    {
        // The environment is shared with other tools (NETTOP_HOME, ...): only config files are strict.
        AppOptions o = Load([], new() { ["NETTOP_BOGUS"] = "1", ["NETTOP_REFRESH"] = "2" });
        Assert.Equal(TimeSpan.FromSeconds(2), o.RefreshInterval);
    }

    [Fact]
    public void Invalid_values_from_the_command_line_are_reported_with_the_key()
    {
        UsageException e = Assert.Throws<UsageException>(() => Load(["--refresh", "0"]));
        Assert.Contains("Refresh", e.Message);
        e = Assert.Throws<UsageException>(() => Load(["--sockets", "raw"]));
        Assert.Contains("auto, netlink, proc", e.Message);
        e = Assert.Throws<UsageException>(() => Load(["--theme", "../../etc/passwd"]));
        Assert.Contains("Theme", e.Message);
    }

    [Theory]
    [InlineData("0.1")]
    [InlineData("3600")]
    [InlineData("1e1")]
    public void Refresh_bounds_are_inclusive(string value)
    {
        Assert.Equal(TimeSpan.FromSeconds(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)),
            Load(["--refresh", value]).RefreshInterval);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-1")]
    [InlineData("3600.5")]
    [InlineData("1,5")]
    public void Refresh_rejects_non_finite_and_out_of_range(string value)
    {
        Assert.Throws<UsageException>(() => Load(["--refresh", value]));
    }

    // A key given an object or array instead of a scalar (or a section given a scalar) is an error, not a default.
    [Theory]
    [InlineData("refresh-object.json", "Refresh")]
    [InlineData("theme-array.json", "Theme")]
    [InlineData("capture-scalar.json", "Capture")]
    public void Wrongly_shaped_values_are_rejected(string fixture, string key)
    {
        UsageException e = Fails(fixture);
        Assert.Contains(key, e.Message);
    }
}
