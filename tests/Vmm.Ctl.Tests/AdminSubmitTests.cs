using System.Text.Json;

namespace Vmm.Ctl.Tests;

/// <summary>Every request command against a fake controller: the SUBMIT it sends, what it prints, how it exits.</summary>
public sealed class AdminSubmitTests : IDisposable
{
    private const string Success = $"result code=success id=6491869447593132033 uuid={AdminQueryTests.Web01Uuid} host=hv-01";

    private readonly FakeController _controller = new();

    public AdminSubmitTests() => _controller.Answer = _ => [Success];

    public void Dispose() => _controller.Dispose();

    private Vmmctl.Result Run(params string[] args) => Vmmctl.Run([.. args, "--socket", _controller.SocketPath]);

    public static TheoryData<string, string> Requests() => new()
    {
        { "vm start web-01", "submit code=start ref=web-01" },
        { $"vm start {AdminQueryTests.Web01Uuid}", $"submit code=start ref={AdminQueryTests.Web01Uuid}" },
        { "vm restart web-01", "submit code=restart ref=web-01" },
        { "vm pause web-01", "submit code=pause ref=web-01" },
        { "vm resume web-01", "submit code=resume ref=web-01" },
        { "vm remove web-01", "submit code=remove ref=web-01" },
        { "vm delete web-01", "submit code=delete ref=web-01" },
        // --force: a running or paused VM is powered off first, else hostd refuses it.
        { "vm remove web-01 --force", "submit code=remove flags=force ref=web-01" },
        { "vm delete web-01 --force", "submit code=delete flags=force ref=web-01" },
        // --request-id: that request again, not a new one; critical, so a controller without it refuses.
        { "vm cpu add web-01 2 --request-id 5a17c0de:22", "submit code=add-cpu count=2 ref=web-01 !request-id=6491869447593132054" },
        { "vm start web-01 --request-id 6491869447593132054", "submit code=start ref=web-01 !request-id=6491869447593132054" },
        { "vm stop web-01 --request-id 0x5a17c0de00000016", "submit code=stop ref=web-01 !request-id=6491869447593132054" },
        { "vm stop web-01", "submit code=stop ref=web-01" },
        { "vm stop web-01 --force --timeout 30s", "submit code=stop flags=force timeout-ms=30000 ref=web-01" },
        { "vm stop web-01 --timeout=2m", "submit code=stop timeout-ms=120000 ref=web-01" },
        { "vm stop web-01 --timeout 45", "submit code=stop timeout-ms=45000 ref=web-01" },
        { "vm stop web-01 --force --timeout 0", "submit code=stop flags=force timeout-ms=0 ref=web-01" },
        // --host names the VM's host: a name on two hosts is ambiguous without it.
        { "vm pause web-01 --host hv-02", "submit code=pause host=hv-02 ref=web-01" },
        { "vm disk resize web-01 vdb 2G --host hv-02", "submit code=update-disk disk-op=resize target=vdb size=2147483648 host=hv-02 ref=web-01" },
        // --force alone: an immediate power-off, not the host's default graceful wait first.
        { "vm stop web-01 --force", "submit code=stop flags=force timeout-ms=0 ref=web-01" },
        { "vm migrate web-01 --to hv-02", "submit code=migrate ref=web-01 dest-host=hv-02" },
        // HA (spec §15): the mark at create, and changed later.
        { "vm ha web-01 on", "submit code=set-ha ref=web-01 ha=1" },
        { "vm ha web-01 off --host hv-02", "submit code=set-ha host=hv-02 ref=web-01 ha=0" },
        { "vm create --name web-04 --ha", "submit code=add name=web-04 ha=1" },
        { "vm create --name web-02 --vcpus 2 --memory 2G --disk 20G --nic network=default",
            "submit code=add name=web-02 vcpus=2 memory=2097152 disk-spec={size=21474836480} nic-spec={network=default}" },
        { "vm create --name web-03 --vcpus 2 --max-vcpus 8 --memory 512M --max-memory 4G " +
            "--disk base=/var/lib/vmm/images/debian-12.qcow2,size=10G,bus=virtio,target=vda --disk 1.5G,bus=sata " +
            "--nic bridge=br0,model=e1000,mac=52:54:00:AB:cd:01 --nic default --host hv-02",
            "submit code=add max-vcpus=8 max-memory=4194304 name=web-03 vcpus=2 memory=524288 " +
            "disk-spec={target=vda size=10737418240 base-image=/var/lib/vmm/images/debian-12.qcow2 bus=virtio} " +
            "disk-spec={size=1610612736 bus=sata} nic-spec={mac=52:54:00:ab:cd:01 bridge=br0 model=e1000} nic-spec={network=default} host=hv-02" },
        { "vm create --name tiny", "submit code=add name=tiny" },
        { "vm nic add web-01 --network default", "submit code=add-nic nic-spec={network=default} ref=web-01" },
        { "vm nic add web-01 --bridge br0 --model virtio --mac 52:54:00:00:00:09",
            "submit code=add-nic nic-spec={mac=52:54:00:00:00:09 bridge=br0 model=virtio} ref=web-01" },
        { "vm nic remove web-01 --mac 52-54-00-12-34-56", "submit code=remove-nic mac=52:54:00:12:34:56 ref=web-01" },
        { "vm memory set web-01 4G", "submit code=update-memory memory=4194304 ref=web-01" },
        { "vm memory set web-01 1.5GiB", "submit code=update-memory memory=1572864 ref=web-01" },
        { "vm cpu add web-01", "submit code=add-cpu ref=web-01" },
        { "vm cpu add web-01 2", "submit code=add-cpu count=2 ref=web-01" },
        { "vm cpu remove web-01 3", "submit code=remove-cpu count=3 ref=web-01" },
        { "vm disk add web-01 10G", "submit code=update-disk disk-spec={size=10737418240} disk-op=attach ref=web-01" },
        { "vm disk add web-01 base=/img/base.qcow2 --bus scsi --target sdb",
            "submit code=update-disk disk-spec={target=sdb base-image=/img/base.qcow2 bus=scsi} disk-op=attach ref=web-01" },
        { "vm disk resize web-01 vda 40G", "submit code=update-disk disk-op=resize target=vda size=42949672960 ref=web-01" },
        { "vm disk remove web-01 vdb", "submit code=update-disk disk-op=detach target=vdb ref=web-01" },
        { "vm snapshot create web-01 before-upgrade", "submit code=snapshot snapshot-name=before-upgrade snapshot-op=create ref=web-01" },
        { "vm snapshot list web-01", "submit code=snapshot snapshot-op=list ref=web-01" },
        { "vm snapshot revert web-01 before-upgrade", "submit code=snapshot snapshot-name=before-upgrade snapshot-op=revert ref=web-01" },
        { "vm snapshot delete web-01 before-upgrade", "submit code=snapshot snapshot-name=before-upgrade snapshot-op=delete ref=web-01" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Each_command_sends_its_submit(string command, string submit)
    {
        var r = Run(command.Split(' '));
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal([submit], _controller.ReceivedText);
        Assert.Equal("", r.Stderr);
    }

    [Theory]
    [InlineData("vm start web-01", "started web-01 on hv-01 (request 5a17c0de:1)")]
    [InlineData("vm stop web-01", "stopped web-01 on hv-01 (request 5a17c0de:1)")]
    [InlineData("vm delete web-01", "deleted web-01 on hv-01 (request 5a17c0de:1)")]
    [InlineData("vm migrate web-01 --to hv-02", "migrated web-01 to hv-02 (request 5a17c0de:1)")]
    [InlineData("vm create --name web-01", $"created web-01 ({AdminQueryTests.Web01Uuid}) on hv-01 (request 5a17c0de:1)")]
    [InlineData("vm memory set web-01 3G", "set the memory of web-01 to 3 GiB on hv-01 (request 5a17c0de:1)")]
    [InlineData("vm memory set web-01 1.25G", "set the memory of web-01 to 1.25 GiB on hv-01 (request 5a17c0de:1)")]
    [InlineData("vm disk resize web-01 vda 40G", "resized vda of web-01 to 40 GiB on hv-01 (request 5a17c0de:1)")]
    public void Success_is_one_line_saying_what_was_done(string command, string line)
    {
        var r = Run(command.Split(' '));
        Assert.Equal(0, r.Exit);
        Assert.Equal(line + "\n", r.Text);
    }

    [Theory]
    [InlineData("failure", 1)]
    [InlineData("unsupported", 3)]
    [InlineData("unknown-request", 4)]
    [InlineData("busy", 5)]
    [InlineData("timeout", 6)]
    [InlineData("not-found", 7)]
    [InlineData("unavailable", 8)]
    [InlineData("200", 1)]
    public void Each_result_code_has_its_exit_code_and_one_line(string code, int exit)
    {
        _controller.Answer = _ => [$"result code={code} message=\"it did not work out\" error-code=55 host=hv-01"];
        var r = Run("vm", "start", "web-01");
        Assert.Equal(exit, r.Exit);
        Assert.Equal("", r.Text);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Equal($"vmmctl: start web-01: {code}: it did not work out (hypervisor error 55) [host hv-01]\n", r.Stderr);
    }

    [Theory]
    [InlineData("busy", 5, "another operation on this VM is in flight")]
    [InlineData("timeout", 6, "may still take effect")]
    [InlineData("unavailable", 8, "host is down")]
    public void A_result_without_a_message_says_what_its_code_means(string code, int exit, string meaning)
    {
        _controller.Answer = _ => [$"result code={code}"];
        var r = Run("vm", "pause", "web-01");
        Assert.Equal(exit, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains(meaning, r.Stderr);
    }

    [Fact]
    public void Json_prints_the_result_document_whatever_the_outcome()
    {
        var ok = Run("vm", "create", "--name", "web-01", "--json");
        Assert.Equal(0, ok.Exit);
        using (var doc = JsonDocument.Parse(ok.Text))
        {
            var root = doc.RootElement;
            Assert.Equal("success", root.GetProperty("code").GetString());
            Assert.Equal(0, root.GetProperty("exit").GetInt32());
            Assert.Equal("6491869447593132033", root.GetProperty("request-id").GetString());
            Assert.Equal(AdminQueryTests.Web01Uuid, root.GetProperty("uuid").GetString());
            Assert.Equal("hv-01", root.GetProperty("host").GetString());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("message").ValueKind);
            Assert.Equal(0, root.GetProperty("snapshots").GetArrayLength());
        }

        _controller.Answer = _ => ["result code=busy message=\"stop in flight\""];
        var busy = Run("vm", "start", "web-01", "--json");
        Assert.Equal(5, busy.Exit);
        PduCommandTests.AssertOneLine(busy.Stderr);
        using (var doc = JsonDocument.Parse(busy.Text))
        {
            Assert.Equal("busy", doc.RootElement.GetProperty("code").GetString());
            Assert.Equal(5, doc.RootElement.GetProperty("exit").GetInt32());
            Assert.Equal("stop in flight", doc.RootElement.GetProperty("message").GetString());
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("request-id").ValueKind);
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("uuid").ValueKind);
        }
    }

    [Fact]
    public void Snapshot_list_prints_one_name_a_line_and_json_lists_them()
    {
        _controller.Answer = _ => ["result code=success id=9 snapshot-name=base snapshot-name=before-upgrade snapshot-name=nightly.3"];
        var r = Run("vm", "snapshot", "list", "web-01");
        Assert.Equal(0, r.Exit);
        Assert.Equal("base\nbefore-upgrade\nnightly.3\n", r.Text);

        var json = Run("vm", "snapshot", "list", "web-01", "--json");
        using var doc = JsonDocument.Parse(json.Text);
        Assert.Equal(["base", "before-upgrade", "nightly.3"], doc.RootElement.GetProperty("snapshots").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Snapshot_list_of_none_prints_nothing()
    {
        _controller.Answer = _ => ["result code=success"];
        var r = Run("vm", "snapshot", "list", "web-01");
        Assert.Equal(0, r.Exit);
        Assert.Equal("", r.Text);
    }

    [Theory]
    [InlineData("4", "add-cpu count=2")]
    [InlineData("1", "remove-cpu count=1")]
    public void Cpu_set_adds_or_removes_the_difference_from_the_reported_vcpus(string target, string request)
    {
        _controller.Answer = pdu => pdu is Vmm.Protocol.Pdus.AdminQueryPdu ? [AdminQueryTests.Web01, "result code=success"] : [Success];
        var r = Run("vm", "cpu", "set", "web-01", target);
        Assert.True(r.Exit == 0, r.Stderr);
        // The request names the VM by the uuid that was counted, not by a name that may move.
        Assert.Equal(["query what=vms ref=web-01", $"submit code={request} ref={AdminQueryTests.Web01Uuid}"], _controller.ReceivedText);
        Assert.Equal($"web-01 has {target} vCPUs (was 2) on hv-01 (request 5a17c0de:1)\n", r.Text);
    }

    [Theory]
    [InlineData("9", true, "cannot set web-01 to 9 vCPUs: at most 4 (max-vcpus")]
    // A record without max-vcpus has as many as vcpus (spec §5.3): 2 here.
    [InlineData("3", false, "cannot set web-01 to 3 vCPUs: at most 2 (max-vcpus")]
    public void Cpu_set_beyond_the_vms_limits_names_the_total_asked_and_sends_no_request(string target, bool maxGiven, string message)
    {
        string record = maxGiven ? AdminQueryTests.Web01 : AdminQueryTests.Web01.Replace(" max-vcpus=4", "");
        _controller.Answer = _ => [record, "result code=success"];
        var r = Run("vm", "cpu", "set", "web-01", target);
        Assert.True(r.Exit == 1, r.Stderr);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.True(r.Stderr.Contains(message), r.Stderr);
        Assert.Equal(["query what=vms ref=web-01"], _controller.ReceivedText);
    }

    [Fact]
    public void Cpu_set_to_the_current_count_sends_no_request()
    {
        _controller.Answer = _ => [AdminQueryTests.Web01, "result code=success"];
        var r = Run("vm", "cpu", "set", "web-01", "2");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=vms ref=web-01"], _controller.ReceivedText);
        Assert.Equal("web-01 has 2 vCPUs already (nothing to do)\n", r.Text);
        // Scripts see that nothing changed.
        using var doc = JsonDocument.Parse(Run("vm", "cpu", "set", "web-01", "2", "--json").Text);
        Assert.False(doc.RootElement.GetProperty("changed").GetBoolean());
    }

    [Theory]
    [InlineData("result code=success id=6491869447593132033 message=\"web-01 is already running\" host=hv-01 ack-flags=unchanged",
        "web-01 is already running (nothing to do) (request 5a17c0de:1)\n", false, false)]
    [InlineData("result code=success id=6491869447593132033 host=hv-01 ack-flags=replayed",
        "started web-01 on hv-01 (request 5a17c0de:1, answered again: done once)\n", true, true)]
    [InlineData("result code=success id=6491869447593132033 host=hv-01", "started web-01 on hv-01 (request 5a17c0de:1)\n", true, false)]
    public void A_success_says_whether_it_changed_anything_and_whether_it_was_answered_again(string result, string line, bool changed, bool replayed)
    {
        _controller.Answer = _ => [result];
        var r = Run("vm", "start", "web-01");
        Assert.Equal((0, line), (r.Exit, r.Text));
        using var doc = JsonDocument.Parse(Run("vm", "start", "web-01", "--json").Text);
        Assert.Equal(changed, doc.RootElement.GetProperty("changed").GetBoolean());
        Assert.Equal(replayed, doc.RootElement.GetProperty("replayed").GetBoolean());
        Assert.Equal("6491869447593132033", doc.RootElement.GetProperty("request-id").GetString());
    }

    [Fact]
    public void A_failure_names_its_request()
    {
        _controller.Answer = _ => ["result code=timeout id=6491869447593132033 message=\"no answer from hv-01 within 30 s\" host=hv-01"];
        var r = Run("vm", "cpu", "add", "web-01");
        Assert.Equal(6, r.Exit);
        Assert.Equal("vmmctl: cpu add web-01: timeout: no answer from hv-01 within 30 s [host hv-01, request 5a17c0de:1]\n", r.Stderr);
    }

    [Theory]
    [InlineData("web-01")]
    [InlineData("0")]
    [InlineData("5a17c0de:x")]
    [InlineData("5a17c0de1:2")]
    public void A_bad_request_id_is_a_usage_error_sending_nothing(string id)
    {
        var r = Run("vm", "start", "web-01", "--request-id", id);
        Assert.Equal(2, r.Exit);
        Assert.Contains("is not a request id", r.Stderr);
        Assert.Empty(_controller.ReceivedText);
    }

    [Fact]
    public void Cpu_set_of_an_unknown_vm_exits_7()
    {
        _controller.Answer = _ => ["result code=not-found message=\"no VM named web-99\""];
        var r = Run("vm", "cpu", "set", "web-99", "2");
        Assert.Equal(7, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Single(_controller.ReceivedText);
    }

    [Fact]
    public void Cpu_set_of_a_name_on_two_hosts_asks_for_the_uuid()
    {
        var twin = AdminQueryTests.Web01.Replace("host=hv-01", "host=hv-02").Replace(AdminQueryTests.Web01Uuid, "11111111-2222-4333-8444-555555555555");
        _controller.Answer = _ => [AdminQueryTests.Web01, twin, "result code=success"];
        var r = Run("vm", "cpu", "set", "web-01", "3");
        Assert.Equal(1, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("uuid", r.Stderr);
        Assert.Single(_controller.ReceivedText);
    }
}
