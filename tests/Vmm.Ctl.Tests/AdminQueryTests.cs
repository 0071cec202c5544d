using System.Text.Json;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Tests;

/// <summary>host list, vm list and vm show against a fake controller: the QUERY sent, the table, the JSON.</summary>
public sealed class AdminQueryTests : IDisposable
{
    internal const string Hv01 = "host name=hv-01 boot=0x8c1f2e3d4c5b6a79 seq=43 state=up cpus=16 memory-total=67108864 memory-free=33554432 port=7401 " +
        "migration-uri=qemu+tcp://10.0.0.1/system vm-count=3 age-ms=212 address=10.0.0.1 accepted=43 dropped=2";
    internal const string Hv02 = "host name=hv-02 state=down cpus=8 memory-total=16777216 memory-free=1572864 age-ms=95000 address=10.0.0.2";
    internal const string Web01Uuid = "0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20";
    internal const string Web01 = $"vm host=hv-01 vm={{uuid={Web01Uuid} name=web-01 power=running reason=booted flags=persistent,autostart " +
        "vcpus=2 memory=2097152 disk={target=vda bus=virtio flags=owned size=21474836480} disk={target=vdb bus=sata size=1073741824} " +
        "nic={mac=52:54:00:12:34:56 model=virtio kind=network source=default} max-vcpus=4 max-memory=4194304 snapshots=2 " +
        "last-request=6491869447593132033} age-ms=212 last-ack=success last-code=start";
    internal const string Db01 = "vm host=hv-02 vm={uuid=5c3e9f1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b name=db-01 power=unknown flags=persistent,truncated " +
        "vcpus=4 memory=8388608 disk={target=vda bus=virtio size=107374182400}} age-ms=95000 last-power=running";

    private readonly FakeController _controller = new();

    public void Dispose() => _controller.Dispose();

    private Vmmctl.Result Run(params string[] args) => Vmmctl.Run([.. args, "--socket", _controller.SocketPath]);

    internal static string[] Lines(Vmmctl.Result r) => r.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Asserts that every cell of <paramref name="line"/> starts where its column's header does.</summary>
    internal static void AssertAligned(string header, string line, params string[] cells)
    {
        var columns = header.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(columns.Length, cells.Length);
        int at = 0;
        for (int i = 0; i < columns.Length; i++)
        {
            int column = header.IndexOf(columns[i], at, StringComparison.Ordinal);
            Assert.True(string.CompareOrdinal(line, column, cells[i], 0, cells[i].Length) == 0,
                $"column {columns[i]} at {column}: expected '{cells[i]}' in '{line}'");
            at = column + columns[i].Length;
        }
    }

    [Fact]
    public void Host_list_sends_a_hosts_query_and_prints_an_aligned_table()
    {
        _controller.Answer = _ => [Hv02, Hv01, "result code=success"];
        var r = Run("host", "list");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=hosts"], _controller.ReceivedText);
        var lines = Lines(r);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^NAME +STATE +DRAINING +ADDRESS +VMS +CPUS +CPU% +MEM-FREE/TOTAL +MEM-USED +AGE +BOOT$", lines[0]);
        AssertAligned(lines[0], lines[1], "hv-01", "up", "-", "10.0.0.1", "3", "16", "-", "32GiB/64GiB", "-", "0.2s", "8c1f2e3d4c5b6a79");
        AssertAligned(lines[0], lines[2], "hv-02", "down", "-", "10.0.0.2", "-", "8", "-", "1.5GiB/16GiB", "-", "1m", "-");
        Assert.All(lines, l => Assert.False(l.EndsWith(' '), $"trailing blank in '{l}'"));
    }

    [Fact]
    public void Host_list_json_is_one_document_with_every_field()
    {
        _controller.Answer = _ => [Hv01, Hv02, "result code=success"];
        var r = Run("host", "list", "--json");
        Assert.True(r.Exit == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Text);
        var hosts = doc.RootElement.GetProperty("hosts");
        Assert.Equal(2, hosts.GetArrayLength());
        var h = hosts[0];
        Assert.Equal("hv-01", h.GetProperty("name").GetString());
        Assert.Equal("up", h.GetProperty("state").GetString());
        Assert.Equal("8c1f2e3d4c5b6a79", h.GetProperty("boot").GetString());
        Assert.Equal(43UL, h.GetProperty("sequence").GetUInt64());
        // Bytes, though the wire says KiB.
        Assert.Equal(67108864UL * 1024, h.GetProperty("memory-total").GetUInt64());
        Assert.Equal(33554432UL * 1024, h.GetProperty("memory-free").GetUInt64());
        Assert.Equal(16, h.GetProperty("cpus").GetInt32());
        Assert.Equal(3, h.GetProperty("vm-count").GetInt32());
        Assert.Equal(7401, h.GetProperty("port").GetInt32());
        Assert.Equal("qemu+tcp://10.0.0.1/system", h.GetProperty("migration-uri").GetString());
        Assert.Equal("10.0.0.1", h.GetProperty("address").GetString());
        Assert.Equal(212, h.GetProperty("age-ms").GetInt32());
        Assert.Equal(2, h.GetProperty("dropped").GetInt32());
        // Stable: every key is present, null when the controller did not say.
        Assert.Equal(JsonValueKind.Null, hosts[1].GetProperty("boot").ValueKind);
        Assert.Equal(JsonValueKind.Null, hosts[1].GetProperty("hypervisor").ValueKind);
        Assert.Equal(h.EnumerateObject().Select(p => p.Name), hosts[1].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Host_forget_sends_a_forget_host_query_and_says_so()
    {
        var r = Run("host", "forget", "hv-01");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=forget-host host=hv-01"], _controller.ReceivedText);
        Assert.Equal("host hv-01 forgotten", r.Text.Trim());
    }

    [Fact]
    public void Host_forget_of_an_unknown_host_exits_7_in_one_line()
    {
        _controller.Answer = _ => ["result code=not-found message=\"no host named hv-09\""];
        var r = Run("host", "forget", "hv-09");
        Assert.Equal(7, r.Exit);
        Assert.Equal("vmmctl: host forget hv-09: not-found: no host named hv-09\n", r.Stderr);
    }

    [Fact]
    public void Host_list_of_no_hosts_prints_the_header_only()
    {
        var r = Run("host", "list");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Single(Lines(r));
    }

    [Fact]
    public void Vm_list_filters_by_host_and_prints_an_aligned_table()
    {
        _controller.Answer = _ => [Web01, Db01, "result code=success"];
        var r = Run("vm", "list", "--host", "hv-01");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=vms host=hv-01"], _controller.ReceivedText);
        var lines = Lines(r);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^NAME +UUID +HOST +POWER +VCPUS +MEMORY +DISKS +NICS +AGE$", lines[0]);
        // Sorted by name; a silent host's VM shows what it last reported; a truncated record's counts are lower bounds.
        AssertAligned(lines[0], lines[1], "db-01", "5c3e9f1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b", "hv-02", "unknown(running)", "4", "8GiB", "1+", "0+", "1m");
        AssertAligned(lines[0], lines[2], "web-01", Web01Uuid, "hv-01", "running", "2/4", "2GiB/4GiB", "2", "1", "0.2s");
    }

    [Fact]
    public void Vm_list_without_host_sends_no_filter()
    {
        var r = Run("vm", "list");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=vms"], _controller.ReceivedText);
    }

    [Fact]
    public void Vm_list_json_carries_devices_and_defaults()
    {
        _controller.Answer = _ => [Web01, Db01, "result code=success"];
        var r = Run("vm", "list", "--json");
        Assert.True(r.Exit == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Text);
        var vms = doc.RootElement.GetProperty("vms");
        Assert.Equal(2, vms.GetArrayLength());
        var web = vms[1];
        Assert.Equal("web-01", web.GetProperty("name").GetString());
        Assert.Equal(Web01Uuid, web.GetProperty("uuid").GetString());
        Assert.Equal("running", web.GetProperty("power").GetString());
        Assert.Equal("booted", web.GetProperty("reason").GetString());
        Assert.Equal(["persistent", "autostart"], web.GetProperty("flags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(4, web.GetProperty("max-vcpus").GetInt32());
        Assert.Equal(2097152UL * 1024, web.GetProperty("memory").GetUInt64());
        Assert.Equal(4194304UL * 1024, web.GetProperty("max-memory").GetUInt64());
        var vda = web.GetProperty("disks")[0];
        Assert.Equal("vda", vda.GetProperty("target").GetString());
        Assert.Equal(21474836480UL, vda.GetProperty("size").GetUInt64());
        Assert.Equal(["owned"], vda.GetProperty("flags").EnumerateArray().Select(e => e.GetString()));
        var nic = web.GetProperty("nics")[0];
        Assert.Equal("52:54:00:12:34:56", nic.GetProperty("mac").GetString());
        Assert.Equal("network", nic.GetProperty("kind").GetString());
        Assert.Equal("default", nic.GetProperty("source").GetString());
        Assert.Equal(2, web.GetProperty("snapshots").GetInt32());
        Assert.Equal("6491869447593132033", web.GetProperty("last-request").GetString());
        Assert.Equal("start", web.GetProperty("last-code").GetString());
        Assert.Equal("success", web.GetProperty("last-ack").GetString());

        var db = vms[0];
        Assert.Equal("unknown", db.GetProperty("power").GetString());
        Assert.Equal("running", db.GetProperty("last-power").GetString());
        // Absent maxima equal the current values (spec §6.2).
        Assert.Equal(4, db.GetProperty("max-vcpus").GetInt32());
        Assert.Equal(8388608UL * 1024, db.GetProperty("max-memory").GetUInt64());
        Assert.Equal(JsonValueKind.Null, db.GetProperty("last-request").ValueKind);
        Assert.Equal(web.EnumerateObject().Select(p => p.Name), db.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Vm_show_sends_the_ref_and_prints_every_detail()
    {
        _controller.Answer = _ => [Web01, "result code=success"];
        var r = Run("vm", "show", "web-01");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=vms ref=web-01"], _controller.ReceivedText);
        var lines = Lines(r);
        Assert.Equal("name:          web-01", lines[0]);
        Assert.Contains($"uuid:          {Web01Uuid}", lines);
        Assert.Contains("host:          hv-01", lines);
        Assert.Contains("power:         running (booted)", lines);
        Assert.Contains("flags:         persistent,autostart", lines);
        Assert.Contains("vcpus:         2 max 4", lines);
        Assert.Contains("memory:        2GiB max 4GiB", lines);
        int disks = Array.FindIndex(lines, l => l.StartsWith("disks:", StringComparison.Ordinal));
        Assert.Matches(@"^disks: +vda +virtio +20GiB +owned$", lines[disks]);
        Assert.Matches(@"^ {15}vdb +sata +1GiB$", lines[disks + 1]);
        Assert.Contains("nics:          52:54:00:12:34:56  virtio  network  default", lines);
        Assert.Contains("snapshots:     2", lines);
        Assert.Contains("last request:  5a17c0de:1", lines);
        Assert.Contains("last ack:      success (start)", lines);
        Assert.Contains("age:           0.2s", lines);
    }

    [Fact]
    public void Vm_show_of_a_silent_hosts_vm_says_what_was_last_reported()
    {
        _controller.Answer = _ => [Db01, "result code=success"];
        var r = Run("vm", "show", "5c3e9f1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=vms ref=5c3e9f1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b"], _controller.ReceivedText);
        Assert.Contains("power:         unknown (host silent; last reported running)", Lines(r));
        Assert.Contains("nics:          -", Lines(r));
        Assert.Contains(Lines(r), l => l.Contains("left out devices", StringComparison.Ordinal));
    }

    [Fact]
    public void Vm_show_json_is_the_vm_list_document()
    {
        _controller.Answer = _ => [Web01, "result code=success"];
        var r = Run("vm", "show", "web-01", "--json");
        Assert.True(r.Exit == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Text);
        Assert.Equal("web-01", doc.RootElement.GetProperty("vms")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void Vm_show_not_found_exits_7_with_the_controllers_message()
    {
        _controller.Answer = _ => ["result code=not-found message=\"no VM named web-99\""];
        var r = Run("vm", "show", "web-99");
        Assert.Equal(7, r.Exit);
        Assert.Equal("", r.Text);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("not-found: no VM named web-99", r.Stderr);
    }

    [Fact]
    public void Vm_show_of_an_empty_success_is_not_found_too()
    {
        var r = Run("vm", "show", "ghost");
        Assert.Equal(7, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("ghost", r.Stderr);
    }

    [Fact]
    public void Global_options_may_come_before_the_command()
    {
        _controller.Answer = _ => [Hv01, "result code=success"];
        var r = Vmmctl.Run("--socket", _controller.SocketPath, "--json", "host", "list");
        Assert.True(r.Exit == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Text);
        Assert.Equal("hv-01", doc.RootElement.GetProperty("hosts")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void VMM_SOCKET_names_the_socket_when_there_is_no_option()
    {
        _controller.Answer = _ => [Hv01, "result code=success"];
        var r = Vmmctl.Run(null, new Dictionary<string, string?> { ["VMM_SOCKET"] = _controller.SocketPath }, "host", "list");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Contains("hv-01", r.Text);
        Assert.Equal(["query what=hosts"], _controller.ReceivedText);
    }
}
