// One VM's whole life through vmmctl on real QEMU, each step checked twice: in the controller's inventory
// (vmmctl vm show --json) and on the host itself (virsh against that host's libvirtd).
using System.Text.Json;
using Vmm.E2E.Harness;

namespace Vmm.E2E.Tests;

[Collection(QemuCollection.Name)]
public sealed class LifecycleTests(ClusterFixture fixture)
{
    private const ulong Mib = 1024;
    private QemuCluster C => fixture.Cluster;

    [Fact]
    public void A_vm_lives_its_whole_life_through_vmmctl()
    {
        string name = Vms.NewName("life");
        var a = C["a"];
        var b = C["b"];

        // create: a qcow2 disk in Vmm's pool, a domain of the type the host offers (kvm where its capabilities list
        // it, as on a machine with /dev/kvm; else qemu, software emulation) with ACPI, nothing running yet.
        Ok("vm", "create", "--name", name, "--host", "a", "--vcpus", "1", "--max-vcpus", "2",
            "--memory", "128M", "--max-memory", "256M", "--disk", "64M");
        var vm = ShowWhen(name, v => v.Power() == "off", "created, shut off");
        Assert.Equal("a", vm.HostOf());
        Assert.Equal(1, vm.Vcpus());
        Assert.Equal(2, vm.GetProperty("max-vcpus").GetInt32());
        Assert.Equal(128 * Mib, vm.MemoryKib());
        Assert.Equal(256 * Mib * 1024, vm.GetProperty("max-memory").GetUInt64());
        var disk = Assert.Single(vm.Disks());
        Assert.Equal("vda", disk.GetProperty("target").GetString());
        Assert.Equal(64UL << 20, disk.GetProperty("size").GetUInt64());
        Assert.Equal("shut off", a.DomState(name));
        string xml = a.DumpXml(name);
        Assert.Contains($"<domain type='{a.OfferedDomainType()}'", xml);
        Assert.Contains("<acpi/>", xml);
        Assert.Contains("machine='pc", xml);
        Assert.Contains($"{name}-vda.qcow2", a.Volumes());
        Assert.Contains("file format: qcow2", a.VirshOk("vol-dumpxml", "--pool", "vmm", $"{name}-vda.qcow2").Replace("<format type='qcow2'/>", "file format: qcow2"));

        Ok("vm", "start", name);
        ShowWhen(name, v => v.Power() == "running", "running");
        Assert.Equal("running", a.DomState(name));

        Ok("vm", "pause", name);
        ShowWhen(name, v => v.Power() == "paused", "paused");
        Assert.Equal("paused", a.DomState(name));

        Ok("vm", "resume", name);
        ShowWhen(name, v => v.Power() == "running", "running again");
        Assert.Equal("running", a.DomState(name));

        // nic add: on the cluster's bridge; in the live XML and in the definition.
        Ok("vm", "nic", "add", name, "--bridge", "vmm-e2e0");
        vm = ShowWhen(name, v => v.Nics().Length == 1, "one NIC");
        Assert.Equal("vmm-e2e0", vm.Nics()[0].GetProperty("source").GetString());
        Assert.Contains("<source bridge='vmm-e2e0'/>", a.DumpXml(name));
        Assert.Contains("vmm-e2e0", a.VirshOk("domiflist", name, "--inactive"));

        // disk add: a new owned qcow2 volume, hot-plugged as vdb.
        Ok("vm", "disk", "add", name, "32M");
        vm = ShowWhen(name, v => v.Disks().Length == 2, "two disks");
        Assert.Equal("vdb", vm.Disks()[1].GetProperty("target").GetString());
        Assert.Contains($"{name}-vdb.qcow2", a.Volumes());
        Assert.Contains("vdb", a.VirshOk("domblklist", name));

        // disk resize: the running guest's block device grows.
        Ok("vm", "disk", "resize", name, "vdb", "64M");
        ShowWhen(name, v => v.Disks()[1].GetProperty("size").GetUInt64() == 64UL << 20, "vdb at 64 MiB");
        Assert.Contains("Capacity:       67108864", a.VirshOk("domblkinfo", name, "vdb"));

        Ok("vm", "cpu", "add", name);
        ShowWhen(name, v => v.Vcpus() == 2, "two vCPUs");
        Assert.Equal("2", a.VirshOk("vcpucount", name, "--live", "--active"));
        Assert.Equal("2", a.VirshOk("vcpucount", name, "--config", "--active"));

        // memory set: the balloon target goes to 192 MiB and the definition says 192 MiB. A guest without a balloon
        // driver never inflates or deflates its balloon, so what libvirt reports live (the balloon's actual size, all
        // of the VM's RAM here) does not move until its next boot; vm show reports just that, as virsh does, and
        // shows the 192 MiB once the VM is off (below).
        Ok("vm", "memory", "set", name, "192M");
        Assert.Contains($"<currentMemory unit='KiB'>{192 * Mib}</currentMemory>", a.VirshOk("dumpxml", name, "--inactive"));
        Assert.Equal(UsedMemoryKib(a, name), Show(name).MemoryKib());

        Ok("vm", "snapshot", "create", name, "s1");
        ShowWhen(name, v => v.Snapshots() == 1, "one snapshot");
        Assert.Equal("s1", a.VirshOk("snapshot-list", name, "--name"));
        Assert.Contains("s1", C.Ctl("vm", "snapshot", "list", name).Out);

        // restart: an ACPI reboot request; a guest without an OS ignores it, so the VM simply stays running.
        Ok("vm", "restart", name);
        ShowWhen(name, v => v.Power() == "running", "running after restart");
        Assert.Equal("running", a.DomState(name));

        // migrate: libvirt cannot carry internal snapshots to another host, so a VM with one is refused, saying so,
        // and stays where it is; without it, the migration is live, its disks copied; it runs on b and is gone from
        // a, volumes included.
        var refused = C.Ctl("vm", "migrate", name, "--to", "b");
        Assert.True(refused.Code == 1, $"migrate with a snapshot: {refused}");
        Assert.Contains("1 snapshot", refused.Err);
        Assert.Equal("running", a.DomState(name));
        Ok("vm", "snapshot", "delete", name, "s1");
        ShowWhen(name, v => v.Snapshots() == 0, "no snapshot");
        Assert.Equal("", a.VirshOk("snapshot-list", name, "--name"));
        Ok("vm", "migrate", name, "--to", "b");
        vm = ShowWhen(name, v => v.HostOf() == "b" && v.Power() == "running", "running on b");
        Assert.Equal(2, vm.Disks().Length);
        Assert.Equal("running", b.DomState(name));
        Assert.Null(a.DomState(name));
        Assert.Contains($"{name}-vda.qcow2", b.Volumes());
        Assert.DoesNotContain($"{name}-vda.qcow2", a.Volumes());
        Assert.Single(C.Vms(), v => v.GetProperty("name").GetString() == name);

        // stop: a guest without an OS never acts on ACPI shutdown, so the graceful stop times out and says so...
        var graceful = C.Ctl("vm", "stop", name, "--timeout", "2s");
        Assert.True(graceful.Code == 1, $"graceful stop: {graceful}");
        Assert.Contains("still running after 2000 ms", graceful.Err);
        Assert.Equal("running", b.DomState(name));
        // ...and with force it is destroyed once the timeout has passed.
        Ok("vm", "stop", name, "--timeout", "2s", "--force");
        vm = ShowWhen(name, v => v.Power() == "off", "shut off");
        Assert.Equal("shut off", b.DomState(name));
        // Off, a VM is its definition: everything the requests changed went along with the migration.
        Assert.Equal(192 * Mib, vm.MemoryKib());
        Assert.Equal(2, vm.Vcpus());
        Assert.Equal(2, vm.Disks().Length);
        Assert.Single(vm.Nics());

        // delete: the domain, its snapshot metadata and its volumes are gone.
        Ok("vm", "delete", name);
        C.Until(() => C.Vm(name) is null, $"{name} gone from vm list");
        Assert.Null(b.DomState(name));
        Assert.DoesNotContain(b.Volumes(), v => v.StartsWith(name + "-", StringComparison.Ordinal));
        Assert.DoesNotContain(a.Volumes(), v => v.StartsWith(name + "-", StringComparison.Ordinal));
    }

    private void Ok(params string[] args)
    {
        var r = C.Ctl(args);
        Assert.True(r.Code == 0, $"vmmctl {string.Join(' ', args)}: {r}\n{C.Logs()}");
    }

    /// <summary>virsh dominfo's "Used memory: N KiB".</summary>
    private static ulong UsedMemoryKib(QemuHost host, string name)
    {
        string line = host.VirshOk("dominfo", name).Split('\n').First(l => l.StartsWith("Used memory:", StringComparison.Ordinal));
        return ulong.Parse(line["Used memory:".Length..].Trim().Split(' ')[0]);
    }

    private JsonElement Show(string name) => ShowWhen(name, _ => true, "shown");

    /// <summary>vmmctl vm show --json until <paramref name="condition"/> holds for the VM; the VM then.</summary>
    private JsonElement ShowWhen(string name, Func<JsonElement, bool> condition, string what)
    {
        JsonElement last = default;
        try
        {
            C.Until(() =>
            {
                var r = C.Ctl("vm", "show", name, "--json");
                if (r.Code != 0) return false;
                var vms = JsonDocument.Parse(r.Out).RootElement.GetProperty("vms");
                if (vms.GetArrayLength() != 1) return false;
                last = vms[0].Clone();
                return condition(last);
            }, $"vm show {name}: {what}");
        }
        catch (E2EException e)
        {
            Assert.Fail($"{e.Message}\nlast vm show: {(last.ValueKind == JsonValueKind.Undefined ? "none" : last.ToString())}");
        }
        return last;
    }
}
