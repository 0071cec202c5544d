// Faults on real QEMU: a crashed controller, a stopped libvirtd, a hostd killed in the middle of a request, a VM
// destroyed behind Vmm's back, and a crashed guest. Each test restores what it broke, so the shared cluster is
// whole for the next. Deadlines here are generous (the machine is loaded); the real figures are the benchmark's
// (dotnet run -c Release --project tests/Vmm.Benchmarks -- --e2e).
using System.Text.Json;
using Vmm.E2E.Harness;

namespace Vmm.E2E.Tests;

[Collection(QemuCollection.Name)]
public sealed class FaultTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private QemuCluster C => fixture.Cluster;

    [Fact]
    public void A_controller_killed_and_restarted_has_the_whole_inventory_again()
    {
        string running = Vms.NewName("ctl-run"), off = Vms.NewName("ctl-off");
        Create(running, "a", start: true);
        Create(off, "b", start: false);
        var before = Inventory();

        C.KillController();
        C.StartController();

        // Everything comes back from the hosts' next heartbeats: the controller keeps nothing on disk.
        C.Until(() => Inventory() is var now && before.All(kv => now.TryGetValue(kv.Key, out var v) && v == kv.Value)
            && C.HostList().All(h => h.GetProperty("state").GetString() == "up"), "the inventory as before the crash", Generous);
        Delete(running, off);
    }

    [Fact]
    public void A_stopped_libvirtd_makes_its_host_unreachable_and_hostd_recovers_when_it_is_back()
    {
        string name = Vms.NewName("lv");
        Create(name, "b", start: true);
        var b = C["b"];
        try
        {
            b.StopLibvirtd();
            C.Until(() => C.Host("b")?.GetProperty("state").GetString() == "unreachable", "host b unreachable", Generous);
            var vm = C.Vm(name)!.Value;
            Assert.Equal("unknown", vm.Power());
            Assert.Equal("running", vm.GetProperty("last-power").GetString());
            var refused = C.Ctl("vm", "pause", name);
            Assert.NotEqual(0, refused.Code);
            Assert.Contains("unreachable", refused.Err);
        }
        finally
        {
            b.StartLibvirtd();
        }
        // hostd reconnects by itself; QEMU kept running without libvirtd, and libvirtd found it again.
        C.Until(() => C.Host("b")?.GetProperty("state").GetString() == "up" && C.Vm(name)?.Power() == "running",
            "host b up again with the VM running", TimeSpan.FromSeconds(60));
        Assert.Equal("running", b.DomState(name));
        Ok("vm", "pause", name);
        Assert.Equal("paused", b.DomState(name));
        Delete(name);
    }

    [Fact]
    public void A_hostd_killed_during_a_stop_leaves_the_vm_consistent_and_the_controller_says_so()
    {
        string name = Vms.NewName("kill");
        Create(name, "a", start: true);
        var a = C["a"];

        // QEMU's POWERDOWN event is the ACPI request hostd's stop makes: from then on, hostd is waiting for a guest
        // that has no OS to act on it, for up to the 2 minutes asked. virsh prints QEMU's events line by line (stdbuf);
        // a pause and resume (QEMU's STOP and RESUME events) show it is listening before the stop is sent.
        using var events = new Background("stdbuf", "-oL", "virsh", "-c", a.LibvirtUri, "qemu-monitor-event", name, "--loop", "--timeout", "180");
        C.Until(() =>
        {
            a.VirshOk("suspend", name);
            a.VirshOk("resume", name);
            return events.Output.Contains("RESUME");
        }, "virsh listens to QEMU's events");
        using var stop = new Background(Repo.Bin("vmmctl"), "--socket", C.SocketPath, "vm", "stop", name, "--timeout", "2m");
        C.Until(() => events.Output.Contains("POWERDOWN"), "hostd asked the guest to power down");

        string oldBoot = C.Host("a")!.Value.GetProperty("boot").GetString()!;
        a.KillHostd();
        Assert.Equal("running", a.DomState(name));
        a.StartHostd();

        Assert.True(stop.WaitForExit(TimeSpan.FromMinutes(3)), "vmmctl vm stop did not return");
        Assert.True(stop.Process.ExitCode == 6, $"stop across a hostd restart: exit {stop.Process.ExitCode}: {stop.Output}");
        Assert.Contains("a restarted while the request was in flight", stop.Output);
        Assert.Contains("may have taken effect", stop.Output);
        // Consistent: nothing destroyed it, the new hostd reports it as it is, and requests work again. The controller
        // takes the new boot once the old one has been silent for down-after heartbeats (it refuses a second boot
        // competing with a live one).
        C.Until(() => C.Host("a") is { } h && h.GetProperty("state").GetString() == "up" && h.GetProperty("boot").GetString() != oldBoot
            && C.Vm(name)?.Power() == "running", "the new hostd's boot reports the VM running", Generous);
        Assert.Equal("running", a.DomState(name));
        Ok("vm", "stop", name, "--force", "--timeout", "0");
        Assert.Equal("shut off", a.DomState(name));
        Delete(name);
    }

    [Fact]
    public void A_vm_destroyed_behind_vmms_back_shows_off()
    {
        string name = Vms.NewName("behind");
        Create(name, "a", start: true);
        var a = C["a"];
        a.VirshOk("destroy", name);
        // The lifecycle event reaches the controller at once (the benchmark measures it); the deadline is the machine's.
        C.Until(() => C.Vm(name)?.Power() == "off", $"{name} off", Generous);
        Assert.Equal("shut off", a.DomState(name));
        Delete(name);
    }

    [Fact]
    public void A_guest_whose_qemu_dies_shows_crashed()
    {
        string name = Vms.NewName("crash");
        Create(name, "b", start: true);
        var b = C["b"];
        int pid = b.QemuPid(name) ?? throw new E2EException($"no QEMU process for {name} on b");
        Command.Run("kill", ["-KILL", pid.ToString()]);
        C.Until(() => C.Vm(name)?.Power() == "crashed", $"{name} crashed", Generous);
        Assert.Equal("shut off (crashed)", b.VirshOk("domstate", name, "--reason"));
        Assert.Equal("killed", C.Vm(name)!.Value.GetProperty("reason").GetString());
        // A crashed VM starts again.
        Ok("vm", "start", name);
        Assert.Equal("running", b.DomState(name));
        Delete(name);
    }

    private void Create(string name, string host, bool start)
    {
        Ok("vm", "create", "--name", name, "--host", host, "--memory", "64M", "--disk", "16M");
        // The name resolves once the host's STATE with the new VM has reached the controller, just after the ACK.
        C.Until(() => C.Vm(name) is not null, $"{name} in the inventory");
        if (start) Ok("vm", "start", name);
        C.Until(() => C.Vm(name)?.Power() == (start ? "running" : "off"), $"{name} {(start ? "running" : "off")}");
    }

    private void Delete(params string[] names)
    {
        foreach (var name in names) Ok("vm", "delete", name, "--force");
    }

    private void Ok(params string[] args)
    {
        var r = C.Ctl(args);
        Assert.True(r.Code == 0, $"vmmctl {string.Join(' ', args)}: {r}\n{C.Logs()}");
    }

    /// <summary>Name → (host, power) of every VM.</summary>
    private Dictionary<string, (string Host, string Power)> Inventory() =>
        C.Vms().ToDictionary(v => v.GetProperty("name").GetString()!, v => (v.HostOf(), v.Power()));
}
