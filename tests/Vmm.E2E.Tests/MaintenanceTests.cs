// Maintenance on real QEMU (issue 16): `vmmctl host drain` moves every running VM of a host away live, stops none,
// lists the one that is off, and the draining mark, kept by the host, survives restarts of the controller and of
// hostd; `vmmctl host undrain` clears it.
using Vmm.E2E.Harness;
using Xunit.Abstractions;

namespace Vmm.E2E.Tests;

[Collection(QemuCollection.Name)]
public sealed class MaintenanceTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private QemuCluster C => fixture.Cluster;

    [Fact]
    public void Drain_moves_five_running_VMs_live_stops_none_and_the_mark_outlives_restarts()
    {
        var a = C["a"];
        var b = C["b"];
        var running = Enumerable.Range(1, 5).Select(i => Vms.NewName($"drain{i}")).ToList();
        string off = Vms.NewName("drain-off");
        foreach (var name in running.Append(off))
        {
            Ok("vm", "create", "--name", name, "--host", "a", "--memory", "64M", "--disk", "16M");
            C.Until(() => C.Vm(name) is not null, $"{name} in the inventory");
        }
        foreach (var name in running) Ok("vm", "start", name);
        C.Until(() => running.All(n => C.Vm(n)?.Power() == "running"), "five VMs running on a");
        try
        {
            var drain = C.Ctl("host", "drain", "a", "--parallel", "2");
            Assert.True(drain.Code == 0, $"vmmctl host drain a: {drain}\n{C.Logs()}");
            output.WriteLine(drain.Out);
            Assert.StartsWith("host a: marked draining", drain.Out);
            foreach (var name in running)
            {
                Assert.Contains($"moving {name} to b", drain.Out);
                Assert.Contains($"moved {name} to b in ", drain.Out);
            }
            Assert.Contains($"not moved (not-running): {off} not moved: it is off", drain.Out);
            Assert.Contains("host a drained in", drain.Out);

            // Live: each runs on b, resumed by the migration (reason migrated, never booted again), and is gone from a.
            foreach (var name in running)
            {
                Assert.Equal("running", b.DomState(name));
                Assert.Null(a.DomState(name));
                Assert.Equal("running (migrated)", b.VirshOk("domstate", name, "--reason"));
                var vm = C.Vm(name)!.Value;
                Assert.Equal(("b", "running", "migrated"), (vm.HostOf(), vm.Power(), vm.GetProperty("reason").GetString()));
            }
            // The one that was off stays on a, defined and off.
            Assert.Equal("shut off", a.DomState(off));
            Assert.True(Draining("a"));

            // The mark is the host's: a controller restarted from nothing, and a restarted hostd, still show it.
            C.KillController();
            C.StartController();
            C.Until(() => C.Host("a")?.GetProperty("state").GetString() == "up", "a up in the new controller", Generous);
            Assert.True(Draining("a"));
            a.StopHostd();
            a.StartHostd();
            C.Until(() => C.Host("a") is { } h && h.GetProperty("state").GetString() == "up" && h.GetProperty("draining").GetBoolean(),
                "a up and draining after its hostd restarted", Generous);

            // Placement skips it: a new VM goes to b.
            string placed = Vms.NewName("drain-new");
            Ok("vm", "create", "--name", placed, "--memory", "64M");
            C.Until(() => C.Vm(placed) is not null, $"{placed} in the inventory");
            Assert.Equal("b", C.Vm(placed)!.Value.HostOf());
            Ok("vm", "delete", placed);

            var undrain = C.Ctl("host", "undrain", "a");
            Assert.True(undrain.Code == 0, $"vmmctl host undrain a: {undrain}");
            Assert.False(Draining("a"));
        }
        finally
        {
            C.Ctl("host", "undrain", "a");
            foreach (var name in running.Append(off)) C.Ctl("vm", "delete", name, "--force");
        }
    }

    private bool Draining(string host) => C.Host(host) is { } h && h.GetProperty("draining").GetBoolean();

    private void Ok(params string[] args)
    {
        var r = C.Ctl(args);
        Assert.True(r.Code == 0, $"vmmctl {string.Join(' ', args)}: {r}\n{C.Logs()}");
    }
}
