// Detaching a device from a running VM needs the guest to acknowledge the ACPI unplug; a guest without an OS (all
// these tests have) never does. Vmm takes the device out of the definition at once and reports, honestly, that the
// running guest still has it until it acknowledges or stops; once the VM is off, the device is gone.
using System.Text.Json;
using Vmm.E2E.Harness;

namespace Vmm.E2E.Tests;

[Collection(QemuCollection.Name)]
public sealed class DetachTests(ClusterFixture fixture)
{
    private QemuCluster C => fixture.Cluster;

    [Fact]
    public void Detaching_from_a_running_guest_that_never_acknowledges_leaves_the_definition_without_the_device_and_says_so()
    {
        string name = Vms.NewName("detach");
        var a = C["a"];
        Ok("vm", "create", "--name", name, "--host", "a", "--memory", "64M", "--disk", "16M", "--disk", "16M",
            "--nic", "bridge=vmm-e2e0,mac=52:54:00:e2:e0:01");
        C.Until(() => C.Vm(name) is not null, $"{name} in the inventory");
        Ok("vm", "start", name);

        var nic = Json("vm", "nic", "remove", name, "--mac", "52:54:00:e2:e0:01");
        Assert.Contains("the running guest has not released it", nic.GetProperty("message").GetString());
        Assert.DoesNotContain("vmm-e2e0", a.VirshOk("dumpxml", name, "--inactive"));
        Assert.Contains("vmm-e2e0", a.DumpXml(name));

        var disk = Json("vm", "disk", "remove", name, "vdb");
        Assert.Contains("the running guest has not released it", disk.GetProperty("message").GetString());
        Assert.DoesNotContain("vdb", a.VirshOk("domblklist", name, "--inactive"));
        Assert.Contains($"{name}-vdb.qcow2", a.Volumes());

        // Off, the VM is its definition: neither device is there any more; the detached disk's volume stays (spec §8.1).
        Ok("vm", "stop", name, "--force", "--timeout", "0");
        C.Until(() => C.Vm(name) is { } v && v.Power() == "off" && v.Nics().Length == 0 && v.Disks().Length == 1, $"{name} off with one disk and no NIC");
        Ok("vm", "delete", name);
        Assert.Contains($"{name}-vdb.qcow2", a.Volumes());
        Assert.DoesNotContain($"{name}-vda.qcow2", a.Volumes());
        a.VirshOk("vol-delete", "--pool", "vmm", $"{name}-vdb.qcow2");
    }

    private JsonElement Json(params string[] args)
    {
        var r = C.Ctl([.. args, "--json"]);
        Assert.True(r.Code == 0, $"vmmctl {string.Join(' ', args)}: {r}\n{C.Logs()}");
        return JsonDocument.Parse(r.Out).RootElement.Clone();
    }

    private void Ok(params string[] args)
    {
        var r = C.Ctl(args);
        Assert.True(r.Code == 0, $"vmmctl {string.Join(' ', args)}: {r}\n{C.Logs()}");
    }
}
