using Vmm.Hosting.Tests.Support;
using static Vmm.Hosting.Tests.Support.TestSchema;

namespace Vmm.Hosting.Tests.Configuration;

/// <summary>Every error is one line that names the file and line (or variable, or flag), the setting, and the problem.</summary>
public sealed class ErrorMessageTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string FileError(string name, string text) => Error(_dir.Write(name, text));

    [Fact]
    public void Bad_duration_in_toml_names_file_line_and_key()
    {
        var message = FileError("hostd.toml", "\n\n\n\n\n\nheartbeat-interval = \"fast\"\n");
        Assert.Equal($"{_dir["hostd.toml"]}:7: heartbeat-interval: \"fast\" is not a duration (e.g. 1s, 500ms)", message);
    }

    [Fact]
    public void Bad_duration_in_ini_section_names_file_line_and_dotted_key()
    {
        var message = FileError("hostd.ini", "[tcp]\n\nmax-connections = lots\n");
        Assert.Equal($"{_dir["hostd.ini"]}:3: tcp.max-connections: \"lots\" is not a whole number", message);
    }

    [Fact]
    public void Out_of_range_values_say_the_range()
    {
        Assert.Equal($"{_dir["a.toml"]}:1: tcp.max-connections: 5000 is out of range 1..1000", FileError("a.toml", "tcp.max-connections = 5000\n"));
        Assert.Equal($"{_dir["b.toml"]}:1: heartbeat-interval: 2m is out of range 100ms..1m", FileError("b.toml", "heartbeat-interval = \"2m\"\n"));
    }

    [Fact]
    public void Toml_syntax_error_names_file_line_and_column()
    {
        var message = FileError("hostd.toml", "verbose = true\nlisten = \n");
        Assert.Equal($"{_dir["hostd.toml"]}:2:10: unexpected token end-of-line found while expecting a value", message);
    }

    [Fact]
    public void Toml_key_defined_twice_is_a_syntax_error_on_the_second_line()
    {
        Assert.StartsWith($"{_dir["a.toml"]}:2:1: the key `verbose` is already defined", FileError("a.toml", "verbose = true\nverbose = false\n"));
    }

    [Fact]
    public void Unknown_key_in_a_file_is_an_error_with_a_suggestion_when_close()
    {
        Assert.Equal($"{_dir["a.toml"]}:2: unknown setting \"libvirt-url\" (did you mean \"libvirt-uri\"?)",
            FileError("a.toml", "verbose = true\nlibvirt-url = \"test:///default\"\n"));
        Assert.Equal($"{_dir["b.ini"]}:2: unknown setting \"tcp.max-conections\" (did you mean \"tcp.max-connections\"?)",
            FileError("b.ini", "[tcp]\nmax-conections = 5\n"));
        Assert.Equal($"{_dir["c.toml"]}:1: unknown setting \"colour\"", FileError("c.toml", "colour = \"blue\"\n"));
    }

    [Fact]
    public void Wrong_toml_types_are_errors_not_conversions()
    {
        Assert.Equal($"{_dir["a.toml"]}:1: listen: expected a string (ADDRESS:PORT), not the integer 7401", FileError("a.toml", "listen = 7401\n"));
        Assert.Equal($"{_dir["b.toml"]}:1: tcp.max-connections: expected an integer, not the string \"5\"", FileError("b.toml", "tcp.max-connections = \"5\"\n"));
        Assert.Equal($"{_dir["c.toml"]}:1: verbose: expected true or false, not the string \"yes\"", FileError("c.toml", "verbose = \"yes\"\n"));
        Assert.Equal($"{_dir["d.toml"]}:1: heartbeat-interval: 5 is not a duration: write it as a string with a unit (e.g. \"1s\", \"500ms\")",
            FileError("d.toml", "heartbeat-interval = 5\n"));
        Assert.Equal($"{_dir["e.toml"]}:1: controllers: item 2: expected a string (HOST:PORT), not the integer 3", FileError("e.toml", "controllers = [\"a\", 3]\n"));
        Assert.Equal($"{_dir["f.toml"]}:1: listen: expected a string (ADDRESS:PORT), not a table", FileError("f.toml", "listen = { port = 1 }\n"));
    }

    [Fact]
    public void Toml_arrays_of_tables_are_refused()
    {
        Assert.Equal($"{_dir["a.toml"]}:1: [[tcp]]: arrays of tables are not used in this file", FileError("a.toml", "[[tcp]]\nmax-connections = 1\n"));
    }

    [Fact]
    public void Ini_line_without_equals_names_its_line()
    {
        Assert.Equal($"{_dir["a.ini"]}:2: expected \"name = value\" or \"[section]\", not \"listen 127.0.0.1\"", FileError("a.ini", "verbose = 1\nlisten 127.0.0.1\n"));
    }

    [Fact]
    public void Ini_key_set_twice_names_both_lines()
    {
        Assert.Equal($"{_dir["a.ini"]}:3: tcp.max-connections: set twice in this file (first on line 1)",
            FileError("a.ini", "tcp.max-connections = 1\n[tcp]\nmax-connections = 2\n"));
    }

    [Fact]
    public void Environment_error_names_the_variable()
    {
        Assert.Equal("VMM_LISTEN: \"localhost:7401\": listen on an IP address (0.0.0.0 or [::] for every address), not a host name",
            Error(_dir["x.toml"], Env(("VMM_LISTEN", "localhost:7401"))));
    }

    [Fact]
    public void Flag_error_names_the_flag()
    {
        Assert.Equal("--log-level: \"loud\" is not a log level (error, warn, info, debug, trace)", Error(_dir["x.toml"], null, "--log-level", "loud"));
    }

    [Fact]
    public void Messages_quote_user_input_escaped_so_they_stay_one_line()
    {
        var message = Error(_dir["x.toml"], Env(("VMM_HEARTBEAT_INTERVAL", "1\nrm -rf")));
        Assert.DoesNotContain('\n', message);
        Assert.Contains("\\u000a", message);
    }

    [Fact]
    public void Main_file_that_is_a_directory_is_an_error()
    {
        Directory.CreateDirectory(_dir["d.toml"]);
        Assert.Equal($"{_dir["d.toml"]}: is a directory, not a configuration file", Error(_dir["d.toml"]));
    }
}
