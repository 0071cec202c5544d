// A draining host is not a target (spec §7.4): an add naming it (vmm vm create --host) and a migrate to it (vm migrate
// --to) are refused unless the SUBMIT carries force; with force they go to the host as asked.
using System.Net;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

public sealed class DrainingTargetTests : IAsyncDisposable
{
    private readonly AdminHarness _h = new();

    public DrainingTargetTests()
    {
        _h.Fleet.PastWarmUp();
        byte last = 1;
        foreach (var name in new[] { "hv-01", "hv-02" })
        {
            var sim = _h.Fleet.Host(name);
            sim.Address = IPAddress.Parse($"192.0.2.{last++}");
            _h.Fleet.Send(sim, sim.CompleteReport(name == "hv-01" ? [Vms.Vm(1)] : []));
            if (name != "hv-02") continue;
            // hv-02's hostd says it is draining, as after a drain.
            sim.Marks = HostStatus.Draining;
            _h.Fleet.Send(sim, sim.Event());
        }
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    private async Task<AdminResultPdu> SubmitAsync(RequestCode code, RequestFlags flags, AttrList parameters)
    {
        using var c = _h.Connect();
        c.Send(new AdminSubmitPdu { Code = code, Flags = flags, Parameters = parameters });
        return (await c.ReplyAsync()).Result;
    }

    private static AttrList Add() => new AttrList().Add(AttrType.Name, "new-1").Add(AttrType.Host, "hv-02");

    private static AttrList Migrate() => new AttrList().Add(AttrType.Ref, Vms.Vm(1).Name).Add(AttrType.DestHost, "hv-02");

    [Fact]
    public async Task An_add_on_a_draining_host_is_refused_without_force()
    {
        var result = await SubmitAsync(RequestCode.Add, RequestFlags.None, Add());
        Assert.Equal(AckCode.Failure, result.Code);
        Assert.StartsWith("host hv-02 is draining: a new VM goes there only with force", result.Attributes.Text(AttrType.Message));
        Assert.Empty(_h.Dispatcher.Calls);
    }

    [Fact]
    public async Task An_add_with_force_goes_to_the_draining_host()
    {
        var result = await SubmitAsync(RequestCode.Add, RequestFlags.Force, Add());
        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal("hv-02", Assert.Single(_h.Dispatcher.Calls).Host.Name);
    }

    [Fact]
    public async Task A_migrate_to_a_draining_host_is_refused_without_force()
    {
        var result = await SubmitAsync(RequestCode.Migrate, RequestFlags.None, Migrate());
        Assert.Equal(AckCode.Failure, result.Code);
        Assert.StartsWith("destination host hv-02 is draining: a VM moves there only with force", result.Attributes.Text(AttrType.Message));
        Assert.Empty(_h.Dispatcher.Calls);
    }

    [Fact]
    public async Task A_migrate_with_force_goes_to_the_draining_host()
    {
        await SubmitAsync(RequestCode.Migrate, RequestFlags.Force, Migrate());
        var call = Assert.Single(_h.Dispatcher.Calls);
        Assert.Equal(RequestCode.Migrate, call.Code);
        Assert.Contains("hv-02", call.Parameters.Text(AttrType.DestUri));
    }
}
