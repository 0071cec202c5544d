// A host that says fenced (its lease lapsed, spec §15.3) starts no HA VM: a migrate of an HA VM to it is refused
// unavailable before anything is sent, and placement passes it over for an HA VM; a VM that is not HA goes there as asked.
using System.Net;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

public sealed class FencedTargetTests : IAsyncDisposable
{
    private readonly AdminHarness _h = new();
    private static readonly VmState Ha = Vms.Vm(1) with { Flags = VmFlags.Persistent | VmFlags.Ha };
    private static readonly VmState Plain = Vms.Vm(2);

    public FencedTargetTests()
    {
        _h.Fleet.PastWarmUp();
        byte last = 1;
        foreach (var name in new[] { "hv-01", "hv-02" })
        {
            var sim = _h.Fleet.Host(name);
            sim.Address = IPAddress.Parse($"192.0.2.{last++}");
            _h.Fleet.Send(sim, sim.CompleteReport(name == "hv-01" ? [Ha, Plain] : []));
            if (name != "hv-02") continue;
            sim.Marks = HostStatus.Fenced;
            _h.Fleet.Send(sim, sim.Event());
        }
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    private async Task<AdminResultPdu> SubmitAsync(RequestCode code, AttrList parameters)
    {
        using var c = _h.Connect();
        c.Send(new AdminSubmitPdu { Code = code, Parameters = parameters });
        return (await c.ReplyAsync()).Result;
    }

    [Fact]
    public async Task A_migrate_of_an_HA_VM_to_a_fenced_host_is_refused_unavailable_and_nothing_is_sent()
    {
        var result = await SubmitAsync(RequestCode.Migrate, new AttrList().Add(AttrType.Ref, Ha.Name).Add(AttrType.DestHost, "hv-02"));
        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Equal($"destination host hv-02 says fenced (its lease lapsed): HA VM {Ha.Name} would be fenced there at once; "
            + "try again once a controller's renewal reaches it", result.Attributes.Text(AttrType.Message));
        Assert.Empty(_h.Dispatcher.Calls);
    }

    [Fact]
    public async Task A_VM_that_is_not_HA_migrates_to_a_fenced_host()
    {
        await SubmitAsync(RequestCode.Migrate, new AttrList().Add(AttrType.Ref, Plain.Name).Add(AttrType.DestHost, "hv-02"));
        var call = Assert.Single(_h.Dispatcher.Calls);
        Assert.Equal(RequestCode.Migrate, call.Code);
        Assert.Contains("hv-02", call.Parameters.Text(AttrType.DestUri));
    }

    [Fact]
    public async Task Placement_of_a_new_HA_VM_passes_over_the_fenced_host()
    {
        // hv-02 has the most room (it runs nothing), but says fenced.
        await SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "new-ha").Add(AttrType.Ha, 1));
        Assert.Equal("hv-01", Assert.Single(_h.Dispatcher.Calls).Host.Name);
        await SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "new-plain"));
        Assert.Equal("hv-02", _h.Dispatcher.Calls.Last().Host.Name);
    }
}
