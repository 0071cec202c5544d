// Codes and units as the operator meets them through vmmctl (issue 14, item 7): whatever a command names that the
// host does not have (a snapshot, a base image, a network) exits 7 with one line naming it, and nothing is created;
// a refusal speaks of what the operator typed: the vCPU total asked for, sizes in binary units, never KiB.
namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]   // real processes and ports: one system test at a time
public sealed class NotFoundAndUnitsTests
{
    private static void Exits(int code, (int Code, string Out, string Err) r, string message, Cluster c)
    {
        Assert.True(r.Code == code, $"exit {r.Code}, not {code}: {r.Err}\n{c.Logs()}");
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains(message, r.Err);
    }

    [Fact]
    public async Task What_the_host_does_not_have_exits_7_and_creates_nothing()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");

        // A base image that is not there: no VM, and no volume (a leftover app-vda.qcow2 would fail the create below).
        Exits(7, c.Ctl("vm", "create", "--name", "app", "--memory", "256M", "--disk", "base=/nonexistent/golden.qcow2", "--host", "hv1"),
            "create app: not-found: disk-spec: base-image /nonexistent/golden.qcow2 not found on this host", c);
        // A network the host does not have: named, with those it has.
        Exits(7, c.Ctl("vm", "create", "--name", "app", "--memory", "256M", "--disk", "1G", "--nic", "network=foo", "--host", "hv1"),
            "nic-spec: network foo not found on this host (it has default)", c);
        Assert.Empty(c.Vms());

        var created = c.Ctl("vm", "create", "--name", "app", "--memory", "256M", "--disk", "1G", "--nic", "network=default", "--host", "hv1");
        Assert.True(created.Code == 0, created.Err + c.Logs());
        c.Eventually(() => c.Vm("app") is not null, "app is listed");
        Exits(7, c.Ctl("vm", "nic", "add", "app", "--network", "foo"), "network foo not found", c);

        foreach (var verb in new[] { "revert", "delete" })
            Exits(7, c.Ctl("vm", "snapshot", verb, "app", "nosuch"), "VM app has no snapshot named nosuch", c);
        Assert.Equal(7, c.Ctl("vm", "snapshot", "revert", "app", "nosuch", "--json").Code);
    }

    [Fact]
    public async Task Refusals_speak_of_the_total_and_the_units_typed()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");
        Assert.Equal(0, c.Ctl("vm", "create", "--name", "web1", "--vcpus", "2", "--memory", "512M").Code);
        c.Eventually(() => c.Vm("web1") is not null, "web1 is listed");

        // max-vcpus is vcpus (2): the refusal names the 3 asked, not the difference of 1.
        Exits(1, c.Ctl("vm", "cpu", "set", "web1", "3"), "cannot set web1 to 3 vCPUs: at most 2 (max-vcpus", c);
        Exits(1, c.Ctl("vm", "memory", "set", "web1", "2G"), "memory 2 GiB is above this VM's max-memory 512 MiB", c);
        Exits(8, c.Ctl("vm", "create", "--name", "huge", "--memory", "40G"), "no host has room for 1 vCPUs and 40 GiB: largest free is 16 GiB", c);
        var ok = c.Ctl("vm", "memory", "set", "web1", "384M");
        Assert.True(ok.Code == 0, ok.Err);
        Assert.Contains("set the memory of web1 to 384 MiB", ok.Out);
    }
}
