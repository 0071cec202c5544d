// Usage (spec §16) in vmmctl against a fake controller: vm show, host list and vm top (in a pipe, --once, --json).
// The terminal side of vm top is tested in a real terminal, under tmux (Vmm.System.Tests, VmTopTests).
using System.Text.Json;

namespace Vmm.Ctl.Tests;

public sealed class UsageCommandTests : IDisposable
{
    // web-01: 2 vCPUs, 5 s of CPU time over 10 s (25%), 1.5 GiB in use, 1 MiB written and 2 kB received over 10 s.
    private const string Web01 = "vm host=hv-01 vm={uuid=0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20 name=web-01 power=running reason=booted vcpus=2 memory=2097152} " +
        "age-ms=120 cpu-time-ns=123456789000 mem-used=1572864 mem-balloon=2097152 disk-read-bytes=524288000 disk-write-bytes=104857600 " +
        "net-rx-bytes=987654 net-tx-bytes=123456 usage-delta={duration-us=10000000 cpu-time-ns=5000000000 disk-read-bytes=0 " +
        "disk-write-bytes=10485760 net-rx-bytes=20480 net-tx-bytes=10240}";
    // db-01: 4 vCPUs, 36 s of CPU over 10 s (90%), 6 GiB in use.
    private const string Db01 = "vm host=hv-02 vm={uuid=5c3e9f1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b name=db-01 power=running vcpus=4 memory=8388608} " +
        "age-ms=80 cpu-time-ns=900000000000 mem-used=6291456 usage-delta={duration-us=10000000 cpu-time-ns=36000000000}";
    // idle-01: running, no usage yet.
    private const string Idle = "vm host=hv-02 vm={uuid=11111111-2222-4333-8444-555555555555 name=idle-01 power=running vcpus=1 memory=524288} age-ms=10";
    private const string Off = "vm host=hv-02 vm={uuid=11111111-2222-4333-8444-666666666666 name=off-01 power=off vcpus=1 memory=524288} age-ms=10";
    private const string Hv01 = "host name=hv-01 boot=0x8c1f2e3d4c5b6a79 seq=60 state=up cpus=16 memory-total=67108864 memory-free=33554432 " +
        "vm-count=2 age-ms=80 address=10.0.0.1 mem-used=3145728 usage-delta={duration-us=10000000 cpu-time-ns=40000000000}";

    private readonly FakeController _controller = new();

    public void Dispose() => _controller.Dispose();

    private Vmmctl.Result Run(params string[] args) => Vmmctl.Run([.. args, "--socket", _controller.SocketPath]);

    [Fact]
    public void Vm_show_gives_cpu_of_the_vcpus_memory_in_use_and_rates()
    {
        _controller.Answer = _ => [Web01, "result code=success"];
        var r = Run("vm", "show", "web-01");
        Assert.True(r.Exit == 0, r.Stderr);
        var lines = AdminQueryTests.Lines(r);
        Assert.Contains("cpu:           25.0% of 2 vCPUs", lines);
        Assert.Contains("memory used:   1.5GiB (balloon 2GiB)", lines);
        Assert.Contains("disk:          read 0B/s, write 1MiB/s", lines);
        Assert.Contains("network:       rx 2KiB/s, tx 1KiB/s", lines);
    }

    [Fact]
    public void Vm_show_json_has_a_usage_object_with_rates_and_the_counters()
    {
        _controller.Answer = _ => [Web01, "result code=success"];
        var r = Run("vm", "show", "web-01", "--json");
        Assert.True(r.Exit == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Text);
        var usage = doc.RootElement.GetProperty("vms")[0].GetProperty("usage");
        Assert.Equal(25.0, usage.GetProperty("cpu-percent").GetDouble());
        Assert.Equal(1572864L * 1024, usage.GetProperty("mem-used").GetInt64());
        Assert.Equal(1048576.0, usage.GetProperty("disk-write-bytes-per-s").GetDouble());
        Assert.Equal(123456789000UL, usage.GetProperty("cpu-time-ns").GetUInt64());
        Assert.Equal(JsonValueKind.Null, usage.GetProperty("net-rx-packets").ValueKind);
    }

    [Fact]
    public void Host_list_shows_the_cpu_share_of_the_host_and_the_memory_its_vms_use()
    {
        _controller.Answer = _ => [Hv01, "result code=success"];
        var r = Run("host", "list");
        Assert.True(r.Exit == 0, r.Stderr);
        var lines = AdminQueryTests.Lines(r);
        AdminQueryTests.AssertAligned(lines[0], lines[1], "hv-01", "up", "-", "10.0.0.1", "2", "16", "25.0%", "32GiB/64GiB", "3GiB", "0.1s", "8c1f2e3d4c5b6a79");
        var json = Run("host", "list", "--json");
        using var doc = JsonDocument.Parse(json.Text);
        var h = doc.RootElement.GetProperty("hosts")[0];
        Assert.Equal(25.0, h.GetProperty("cpu-percent").GetDouble());
        Assert.Equal(3145728L * 1024, h.GetProperty("mem-used").GetInt64());
    }

    [Fact]
    public void Vm_top_once_prints_the_running_vms_busiest_first_and_no_escape_sequences()
    {
        _controller.Answer = _ => [Idle, Web01, Off, Db01, "result code=success"];
        var r = Run("vm", "top", "--once");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=vms"], _controller.ReceivedText);
        var lines = AdminQueryTests.Lines(r);
        Assert.Matches(@"^NAME +HOST +POWER +VCPUS +CPU% +MEM-USED +MEMORY +DISK-R/S +DISK-W/S +NET-RX/S +NET-TX/S$", lines[0]);
        Assert.Equal(["db-01", "web-01", "idle-01"], lines.Skip(1).Select(l => l.Split(' ')[0]));   // off-01 is not running
        AdminQueryTests.AssertAligned(lines[0], lines[1], "db-01", "hv-02", "running", "4", "90.0%", "6GiB", "8GiB", "-", "-", "-", "-");
        Assert.DoesNotContain('\x1b', r.Text);

        var mem = Run("vm", "top", "--once", "--sort", "mem", "--host", "hv-02");
        Assert.Equal("query what=vms host=hv-02", _controller.ReceivedText[^1]);
        Assert.Equal("db-01", AdminQueryTests.Lines(mem)[1].Split(' ')[0]);
    }

    [Fact]
    public void Vm_top_count_prints_that_many_tables_and_json_one_document()
    {
        _controller.Answer = _ => [Web01, Db01, "result code=success"];
        var r = Run("vm", "top", "--count", "2", "--interval", "100ms");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(2, r.Text.Split('\n').Count(l => l.StartsWith("NAME", StringComparison.Ordinal)));

        var json = Run("vm", "top", "--json", "--sort", "mem");
        Assert.True(json.Exit == 0, json.Stderr);
        using var doc = JsonDocument.Parse(json.Text);
        var vms = doc.RootElement.GetProperty("vms");
        Assert.Equal("db-01", vms[0].GetProperty("name").GetString());
        Assert.Equal(90.0, vms[0].GetProperty("usage").GetProperty("cpu-percent").GetDouble());
    }

    [Theory]
    [InlineData("--sort", "fast")]
    [InlineData("--interval", "10ms")]
    [InlineData("--count", "0")]
    public void Vm_top_refuses_bad_options_in_one_line_with_exit_2(string option, string value)
    {
        var r = Run("vm", "top", option, value);
        Assert.Equal(2, r.Exit);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains(option, r.Stderr);
    }
}
