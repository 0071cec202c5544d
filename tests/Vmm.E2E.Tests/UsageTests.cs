// Usage (spec §16) of a VM on real QEMU: hostd reads it with virConnectGetAllDomainStats (every 1 s in this cluster),
// the controller computes the rates, and vmmctl shows CPU, memory in use and disk counters that QEMU, unlike the test
// driver, reports; vm top lists the VM; and the counters match what virsh domstats says of the domain.
using System.Text.Json;
using Vmm.E2E.Harness;

namespace Vmm.E2E.Tests;

[Collection(QemuCollection.Name)]
public sealed class UsageTests(ClusterFixture fixture)
{
    private QemuCluster C => fixture.Cluster;

    [Fact]
    public void A_running_vm_shows_cpu_memory_and_disk_usage_and_is_in_vm_top()
    {
        string name = Vms.NewName("usage");
        Ok("vm", "create", "--name", name, "--host", "a", "--vcpus", "1", "--memory", "128M", "--disk", "64M");
        Ok("vm", "start", name);
        // A guest with an empty disk: its firmware looks for something to boot, which takes CPU time.
        JsonElement usage = default;
        C.Until(() =>
        {
            var r = C.Ctl("vm", "show", name, "--json");
            if (r.Code != 0) return false;
            usage = JsonDocument.Parse(r.Out).RootElement.GetProperty("vms")[0].GetProperty("usage").Clone();
            return usage.GetProperty("cpu-percent").ValueKind == JsonValueKind.Number && usage.GetProperty("cpu-percent").GetDouble() > 0;
        }, $"vm show {name}: a CPU figure above 0");
        Assert.True(usage.GetProperty("cpu-time-ns").GetUInt64() > 0);
        Assert.True(usage.GetProperty("mem-used").GetUInt64() > 0, usage.ToString());
        Assert.Equal(JsonValueKind.Number, usage.GetProperty("disk-read-bytes").ValueKind);
        Assert.Equal(JsonValueKind.Number, usage.GetProperty("disk-read-bytes-per-s").ValueKind);

        // libvirt's own figure is at least what vmmctl showed a moment ago: the counter only grows.
        var stats = C["a"].VirshOk("domstats", name, "--cpu-total");
        var line = stats.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("cpu.time=", StringComparison.Ordinal));
        Assert.True(ulong.Parse(line["cpu.time=".Length..], System.Globalization.CultureInfo.InvariantCulture) >= usage.GetProperty("cpu-time-ns").GetUInt64());

        var top = C.Ctl("vm", "top", "--once", "--host", "a");
        Assert.True(top.Code == 0, top.ToString());
        Assert.Contains(top.Out.Split('\n'), l => l.StartsWith(name + " ", StringComparison.Ordinal) && l.Contains('%'));

        Ok("vm", "delete", name, "--force");
    }

    private void Ok(params string[] args)
    {
        var r = C.Ctl(args);
        Assert.True(r.Code == 0, $"vmmctl {string.Join(' ', args)}: {r}\n{C.Logs()}");
    }
}
