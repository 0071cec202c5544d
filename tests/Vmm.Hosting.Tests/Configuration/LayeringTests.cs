using Vmm.Hosting.Configuration;
using Vmm.Hosting.Tests.Support;
using static Vmm.Hosting.Tests.Support.TestSchema;

namespace Vmm.Hosting.Tests.Configuration;

public sealed class LayeringTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Missing_default_file_gives_every_default_with_source_default()
    {
        var config = Load(_dir["hostd.toml"]);

        Assert.Equal("qemu:///system", config.Get(LibvirtUri));
        Assert.Equal(new HostPort("0.0.0.0", 7401), config.Get(Listen));
        Assert.Empty(config.Get(Controllers));
        Assert.Equal(TimeSpan.FromSeconds(1), config.Get(HeartbeatInterval));
        Assert.Equal(256, config.Get(MaxConnections));
        Assert.False(config.Get(Verbose));
        Assert.All(config.Entries, e => Assert.Equal("default", e.Source));
        Assert.Empty(config.Files);
    }

    [Fact]
    public void Each_layer_overrides_the_one_below_and_is_named_as_the_source()
    {
        var main = _dir.Write("hostd.toml", """
            # main file
            libvirt-uri = "test:///default"
            listen = "127.0.0.1:1"
            heartbeat-interval = "2s"
            tcp.max-connections = 10
            """);
        _dir.Write("hostd.toml.d/10-listen.toml", "listen = \"127.0.0.2:2\"\nheartbeat-interval = \"3s\"\n");
        var env = Env(("VMM_HEARTBEAT_INTERVAL", "4s"), ("VMM_TCP_MAX_CONNECTIONS", "20"));

        var config = Load(main, env, "--tcp.max-connections", "30");

        Assert.Equal("test:///default", config.Get(LibvirtUri));
        Assert.Equal($"{main}:2", config.SourceOf(LibvirtUri));
        Assert.Equal(new HostPort("127.0.0.2", 2), config.Get(Listen));
        Assert.Equal(_dir["hostd.toml.d/10-listen.toml"] + ":1", config.SourceOf(Listen));
        Assert.Equal(TimeSpan.FromSeconds(4), config.Get(HeartbeatInterval));
        Assert.Equal("VMM_HEARTBEAT_INTERVAL", config.SourceOf(HeartbeatInterval));
        Assert.Equal(30, config.Get(MaxConnections));
        Assert.Equal("--tcp.max-connections", config.SourceOf(MaxConnections));
        Assert.Equal("default", config.SourceOf(Verbose));
        Assert.Equal([main, _dir["hostd.toml.d/10-listen.toml"]], config.Files);
    }

    [Fact]
    public void Drop_ins_apply_in_ordinal_name_order_and_other_files_are_ignored()
    {
        var main = _dir["hostd.toml"];
        _dir.Write("hostd.toml.d/20-b.toml", "listen = \"127.0.0.20:1\"\n");
        _dir.Write("hostd.toml.d/10-a.ini", "listen = 127.0.0.10:1\nverbose = yes\n");
        _dir.Write("hostd.toml.d/9-c.toml", "listen = \"127.0.0.9:1\"\n"); // "9" sorts after "2"
        _dir.Write("hostd.toml.d/99-z.toml.dpkg-old", "this is not = valid toml [");
        _dir.Write("hostd.toml.d/README", "ignored");

        var config = Load(main);

        Assert.Equal(new HostPort("127.0.0.9", 1), config.Get(Listen));
        Assert.True(config.Get(Verbose));
        Assert.Equal([_dir["hostd.toml.d/10-a.ini"], _dir["hostd.toml.d/20-b.toml"], _dir["hostd.toml.d/9-c.toml"]], config.Files);
    }

    [Fact]
    public void Explicit_config_file_replaces_the_default_and_brings_its_own_drop_in_folder()
    {
        _dir.Write("default.toml", "listen = \"127.0.0.1:1\"\n");
        var other = _dir.Write("other.ini", "listen = 127.0.0.3:3\n");
        _dir.Write("other.ini.d/a.toml", "verbose = true\n");

        var config = Load(_dir["default.toml"], null, "--config", other);

        Assert.Equal(new HostPort("127.0.0.3", 3), config.Get(Listen));
        Assert.Equal($"{other}:1", config.SourceOf(Listen));
        Assert.True(config.Get(Verbose));
    }

    [Fact]
    public void Missing_explicit_config_file_is_an_error()
    {
        var missing = _dir["nope.toml"];
        Assert.Equal($"{missing}: no such file", Error(_dir["default.toml"], null, $"--config={missing}"));
    }

    [Fact]
    public void Later_flag_wins_over_an_earlier_one()
    {
        var config = Load(_dir["x.toml"], null, "--listen", "127.0.0.1:1", "--listen=127.0.0.1:2");
        Assert.Equal(2, config.Get(Listen).Port);
    }

    [Fact]
    public void Bad_value_is_reported_even_when_a_later_layer_overrides_it()
    {
        var main = _dir.Write("hostd.toml", "heartbeat-interval = \"fast\"\n");
        Assert.StartsWith($"{main}:1: heartbeat-interval:", Error(main, Env(("VMM_HEARTBEAT_INTERVAL", "1s"))));
    }

    [Fact]
    public void Environment_variables_outside_the_schema_are_ignored_and_near_misses_warned_about()
    {
        var env = Env(("PATH", "/bin"), ("VMM_SOMETHING_ELSE", "x"), ("VMM_LIBVIRT_URL", "test:///default"), ("VMM_LISTEN", "[::1]:9"));

        var config = Load(_dir["x.toml"], env);

        Assert.Equal(new HostPort("::1", 9), config.Get(Listen));
        Assert.Equal("qemu:///system", config.Get(LibvirtUri));
        var warning = Assert.Single(config.Warnings);
        Assert.Equal("VMM_LIBVIRT_URL is not a setting of this program (did you mean VMM_LIBVIRT_URI?); ignored", warning);
    }

    [Fact]
    public void Default_is_parsed_only_when_nothing_overrides_it()
    {
        var broken = new ConfigKey<string>("host-name", ConfigKinds.Name(), "not a name!", "host name", "this machine's host name");
        var schema = new ConfigSchema([broken]);

        var error = Assert.Throws<ConfigException>(() => Config.Load(schema, new ConfigSources { DefaultFile = _dir["x.toml"] }));
        Assert.StartsWith("host-name (default: this machine's host name): name 'not a name!' may hold only", error.Message);
        Assert.EndsWith("; set host-name explicitly", error.Message);

        var config = Config.Load(schema, new ConfigSources { DefaultFile = _dir["x.toml"], Environment = Env(("VMM_HOST_NAME", "node7")) });
        Assert.Equal("node7", config.Get(broken));
    }

    [Fact]
    public void Check_config_rendering_is_aligned_names_every_source_and_reads_back_as_the_same_values()
    {
        var main = _dir.Write("hostd.toml", "controllers = [\"10.0.0.1\", \"[2001:db8::1]:9\"]\n");
        var config = Load(main, Env(("VMM_HEARTBEAT_INTERVAL", "1s500ms")), "--verbose");

        var text = config.Render();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal($"# files read, in order: {main}", lines[0]);
        var settingLines = lines.Skip(1).ToArray();
        Assert.Equal(Schema.Keys.Count, settingLines.Length);
        Assert.Single(settingLines.Select(l => l.IndexOf(" = ", StringComparison.Ordinal)).Distinct());
        Assert.Single(settingLines.Select(l => l.IndexOf("  # ", StringComparison.Ordinal)).Distinct());
        Assert.Contains(settingLines, l => l.StartsWith("controllers ", StringComparison.Ordinal)
            && l.Contains("[\"10.0.0.1:7400\", \"[2001:db8::1]:9\"]", StringComparison.Ordinal) && l.EndsWith($"# {main}:1", StringComparison.Ordinal));
        Assert.Contains(settingLines, l => l.StartsWith("heartbeat-interval ", StringComparison.Ordinal) && l.Contains("\"1s500ms\"", StringComparison.Ordinal) && l.EndsWith("# VMM_HEARTBEAT_INTERVAL", StringComparison.Ordinal));
        Assert.Contains(settingLines, l => l.StartsWith("verbose ", StringComparison.Ordinal) && l.Contains("= true", StringComparison.Ordinal) && l.EndsWith("# --verbose", StringComparison.Ordinal));

        // The listing is itself a configuration file that yields the same values.
        var copy = _dir.Write("copy.toml", text);
        var reread = Load(_dir["none.toml"], null, "--config", copy);
        foreach (var entry in config.Entries)
            Assert.Equal(entry.Text, reread[entry.Key].Text);
    }

    [Fact]
    public void Render_says_when_no_file_was_read()
    {
        var text = Load(_dir["hostd.toml"]).Render();
        Assert.StartsWith($"# no configuration file read (looked for {_dir["hostd.toml"]} and {_dir["hostd.toml.d"]}/)\n", text);
    }
}
