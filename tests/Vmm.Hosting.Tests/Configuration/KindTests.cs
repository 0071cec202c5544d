using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Tests.Configuration;

public sealed class DurationTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("1s", 1_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    [InlineData("0s", 0)]
    public void Parses_units_and_sequences(string text, long ms)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]        // no unit: seconds or milliseconds?
    [InlineData("fast")]
    [InlineData("1.5s")]
    [InlineData("-1s")]
    [InlineData("1 s")]
    [InlineData("1S")]
    [InlineData("1d")]
    [InlineData("1s1m")]     // units out of order
    [InlineData("1s1s")]
    [InlineData("s")]
    [InlineData("9999999999999h")]
    public void Refuses_what_is_not_a_duration(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData(120_000, "2m")]
    [InlineData(90_000, "1m30s")]
    [InlineData(1_500, "1s500ms")]
    [InlineData(0, "0s")]
    [InlineData(7_200_000, "2h")]
    public void Formats_in_the_shortest_form(long ms, string text) => Assert.Equal(text, Durations.Format(TimeSpan.FromMilliseconds(ms)));

    [Property]
    public Property Parse_of_Format_is_identity() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).Select(n => TimeSpan.FromMilliseconds(n)).ToArbitrary(), d =>
            Durations.TryParse(Durations.Format(d), out var back) && back == d);
}

public sealed class HostPortTests
{
    [Theory]
    [InlineData("10.0.0.1:7401", "10.0.0.1", 7401)]
    [InlineData("10.0.0.1", "10.0.0.1", 7400)]
    [InlineData("host.example", "host.example", 7400)]
    [InlineData("host-1.example:1", "host-1.example", 1)]
    [InlineData("[2001:db8::1]:7401", "2001:db8::1", 7401)]
    [InlineData("[::]", "::", 7400)]
    [InlineData("[fe80::1%2]:9", "fe80::1%2", 9)]
    [InlineData("localhost:65535", "localhost", 65535)]
    public void Parses_hosts_addresses_and_ports(string text, string host, int port)
    {
        Assert.True(HostPort.TryParse(text, 7400, out var value, out var problem), problem);
        Assert.Equal(new HostPort(host, port), value);
    }

    [Theory]
    [InlineData("2001:db8::1", "write an IPv6 address in brackets, e.g. [2001:db8::1]:7400")]
    [InlineData("fe80::1:7401", "write an IPv6 address in brackets")]
    [InlineData("[2001:db8::1", "has no closing ']'")]
    [InlineData("[10.0.0.1]:1", "only an IPv6 address goes in brackets")]
    [InlineData("[::1]7401", "expected ':' after ']'")]
    [InlineData("h:0", "the port must be a number from 1 to 65535")]
    [InlineData("h:65536", "the port must be a number from 1 to 65535")]
    [InlineData("h:", "the port must be a number from 1 to 65535")]
    [InlineData("h:+1", "the port must be a number from 1 to 65535")]
    [InlineData(":7401", "has no host")]
    [InlineData("10.0.0.256", "is neither an IP address nor a host name")]
    [InlineData("under_score", "is neither an IP address nor a host name")]
    [InlineData("-lead.example", "is neither an IP address nor a host name")]
    [InlineData("a:b:c", "is not host:port")]
    public void Refuses_bad_endpoints_with_the_reason(string text, string reason)
    {
        Assert.False(HostPort.TryParse(text, 7400, out _, out var problem));
        Assert.Contains(reason, problem);
    }

    [Fact]
    public void Port_zero_only_where_allowed()
    {
        Assert.True(HostPort.TryParse("0.0.0.0:0", 1, out var any, out _, allowPortZero: true));
        Assert.Equal(0, any.Port);
        Assert.False(HostPort.TryParse("0.0.0.0:0", 1, out _, out _));
    }

    [Theory]
    [InlineData("10.0.0.1:7401")]
    [InlineData("[2001:db8::1]:7401")]
    [InlineData("h.example:1")]
    public void ToString_reads_back(string text)
    {
        Assert.True(HostPort.TryParse(text, 1, out var value, out _));
        Assert.Equal(text, value.ToString());
        Assert.True(HostPort.TryParse(value.ToString(), 1, out var again, out _));
        Assert.Equal(value, again);
    }

    [Fact]
    public void Address_or_name_endpoint()
    {
        Assert.IsType<System.Net.IPEndPoint>(new HostPort("::1", 1).ToEndPoint());
        Assert.IsType<System.Net.DnsEndPoint>(new HostPort("h.example", 1).ToEndPoint());
    }
}

public sealed class KindTests
{
    [Fact]
    public void Listen_endpoint_needs_an_address_and_may_use_port_zero()
    {
        var kind = ConfigKinds.ListenEndpoint(7401);
        Assert.Equal(new HostPort("0.0.0.0", 0), kind.Parse("0.0.0.0:0"));
        Assert.Equal(new HostPort("::", 7401), kind.Parse("[::]"));
        Assert.Contains("not a host name", Assert.Throws<FormatException>(() => kind.Parse("myhost:1")).Message);
    }

    [Fact]
    public void Endpoint_list_splits_on_commas_trims_and_refuses_repeats()
    {
        var kind = ConfigKinds.EndpointList(7400);
        Assert.Equal([new HostPort("a", 7400), new HostPort("::1", 1)], kind.Parse(" a , [::1]:1 "));
        Assert.Empty(kind.Parse(""));
        Assert.Equal("\"a:7400\" is listed twice", Assert.Throws<FormatException>(() => kind.Parse("a,a:7400")).Message);
        Assert.Equal("a:7400,[::1]:1", kind.Format(kind.Parse("a,[::1]:1")));
    }

    [Fact]
    public void Named_endpoints_check_names_and_refuse_a_name_twice()
    {
        var kind = ConfigKinds.NamedEndpointList(7401);
        Assert.Equal([new NamedEndpoint("h1", new HostPort("10.0.0.1", 7401)), new NamedEndpoint("h2", new HostPort("::1", 9))],
            kind.Parse("h1=10.0.0.1, h2=[::1]:9"));
        Assert.Equal("\"h1\" is listed twice", Assert.Throws<FormatException>(() => kind.Parse("h1=a,h1=b")).Message);
        Assert.Contains("is not name=host[:port]", Assert.Throws<FormatException>(() => kind.Parse("10.0.0.1")).Message);
        Assert.StartsWith("host name 'bad name'", Assert.Throws<FormatException>(() => kind.Parse("bad name=a")).Message);
    }

    [Theory]
    [InlineData("qemu:///system")]
    [InlineData("qemu+ssh://root@h.example/system")]
    [InlineData("test:///default")]
    public void Uri_takes_libvirt_uris(string text) => Assert.Equal(text, ConfigKinds.Uri().Parse(text));

    [Theory]
    [InlineData("/var/run/libvirt")]
    [InlineData("h.example")]
    [InlineData("qemu:// system")]
    public void Uri_refuses_paths_and_names(string text) =>
        Assert.Contains("is not a URI", Assert.Throws<FormatException>(() => ConfigKinds.Uri().Parse(text)).Message);

    [Fact]
    public void Empty_means_unset_only_where_allowed()
    {
        Assert.Equal("", ConfigKinds.Uri(allowEmpty: true).Parse(""));
        Assert.Equal("", ConfigKinds.Name(allowEmpty: true).Parse(""));
        Assert.Throws<FormatException>(() => ConfigKinds.Uri().Parse(""));
        Assert.Throws<FormatException>(() => ConfigKinds.Name().Parse(""));
        Assert.Throws<FormatException>(() => ConfigKinds.Path().Parse(""));
        Assert.Throws<FormatException>(() => ConfigKinds.Text().Parse(""));
    }

    [Fact]
    public void Path_is_made_absolute()
    {
        Assert.Equal("/etc/vmm/cluster.key", ConfigKinds.Path().Parse("/etc/vmm/../vmm/cluster.key"));
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "k.key"), ConfigKinds.Path().Parse("k.key"));
    }

    [Theory]
    [InlineData("error", "Error")]
    [InlineData("warn", "Warn")]
    [InlineData("WARNING", "Warn")]
    [InlineData("info", "Info")]
    [InlineData("debug", "Debug")]
    [InlineData("trace", "Trace")]
    public void Log_levels(string text, string level) => Assert.Equal(level, ConfigKinds.LogLevel().Parse(text).Name);

    [Theory]
    [InlineData("yes", true)]
    [InlineData("On", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("off", false)]
    public void Booleans_in_text(string text, bool value) => Assert.Equal(value, ConfigKinds.Bool().Parse(text));

    [Fact]
    public void Text_refuses_control_characters() =>
        Assert.Contains("control characters", Assert.Throws<FormatException>(() => ConfigKinds.Text().Parse("a\u0007b")).Message);
}

public sealed class SchemaTests
{
    private static ConfigKey<int> Key(string name) => new(name, ConfigKinds.Int(0, 1), "0", "d");

    [Theory]
    [InlineData("Listen")]
    [InlineData("max_connections")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a--b")]
    [InlineData("a..b")]
    [InlineData("1a")]
    [InlineData("")]
    public void Names_must_be_kebab_case(string name) => Assert.Throws<ArgumentException>(() => Key(name));

    [Fact]
    public void Names_map_to_variables_and_flags()
    {
        var key = Key("tcp.max-connections");
        Assert.Equal("VMM_TCP_MAX_CONNECTIONS", key.EnvironmentName);
        Assert.Equal("--tcp.max-connections", key.Flag);
    }

    [Fact]
    public void Schema_refuses_duplicates_collisions_and_reserved_names()
    {
        Assert.Throws<ArgumentException>(() => new ConfigSchema([Key("a"), Key("a")]));
        Assert.Throws<ArgumentException>(() => new ConfigSchema([Key("a-b"), Key("a.b")]));
        Assert.Throws<ArgumentException>(() => new ConfigSchema([Key("config")]));
        Assert.Throws<ArgumentException>(() => new ConfigSchema([Key("help")]));
    }

    [Theory]
    [InlineData("libvirt-url", "libvirt-uri")]
    [InlineData("lisen", "listen")]
    [InlineData("heartbeat", "heartbeat-interval")]
    [InlineData("hearbeat-interval", "heartbeat-interval")]
    [InlineData("tcp.max-conections", "tcp.max-connections")]
    [InlineData("verobse", "verbose")]
    public void Suggests_the_intended_setting(string typo, string intended) =>
        Assert.Equal(intended, Support.TestSchema.Schema.Suggest(typo)?.Name);

    [Theory]
    [InlineData("colour")]
    [InlineData("port")]
    [InlineData("x")]
    public void Suggests_nothing_when_nothing_is_close(string word) => Assert.Null(Support.TestSchema.Schema.Suggest(word));
}
