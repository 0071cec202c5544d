// start, stop, restart, pause, resume and migrate, seen through what libvirt says afterwards.
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class LifecycleRequestTests
{
    private static readonly Guid Vm = TestNode.DefaultDomain;

    [Fact]
    public void Pause_then_resume()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Pause, Vm);
        Assert.Equal((PowerState.Paused, (byte)1), (node.ReadVm(Vm).Power, node.ReadVm(Vm).Reason));   // paused by the user
        node.Succeed(RequestCode.Resume, Vm);
        Assert.Equal((PowerState.Running, (byte)5), (node.ReadVm(Vm).Power, node.ReadVm(Vm).Reason)); // unpaused
    }

    [Fact]
    public void Stop_shuts_down_gracefully_then_start_boots_again()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Stop, Vm);
        Assert.Equal((PowerState.Off, (byte)1), (node.ReadVm(Vm).Power, node.ReadVm(Vm).Reason));     // shutdown
        node.Succeed(RequestCode.Start, Vm);
        Assert.Equal((PowerState.Running, (byte)1), (node.ReadVm(Vm).Power, node.ReadVm(Vm).Reason)); // booted
    }

    [Fact]
    public void Stop_with_force_and_no_timeout_destroys_at_once()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Stop, Vm, Requests.Params((AttrType.TimeoutMs, 0)), RequestFlags.Force);
        Assert.Equal((PowerState.Off, (byte)2), (node.ReadVm(Vm).Power, node.ReadVm(Vm).Reason));     // destroyed
    }

    [Fact]
    public void Restart_reboots_and_the_vm_stays_running()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Restart, Vm);
        Assert.Equal(PowerState.Running, node.ReadVm(Vm).Power);
    }

    [Fact]
    public void Migrate_is_unsupported_by_the_test_driver()
    {
        using var node = TestNode.Default();
        var o = node.Execute(RequestCode.Migrate, Vm, new AttrList().Add(AttrType.DestUri, "test:///default"));
        Assert.Equal(AckCode.Unsupported, o.Code);
        Assert.True(o.Results.Number(AttrType.ErrorCode) is 3 or 74, $"error-code {o.Results.Number(AttrType.ErrorCode)}");
        Assert.Equal(PowerState.Running, node.ReadVm(Vm).Power);
    }

    [Fact]
    public void Migrate_without_dest_uri_names_it()
    {
        using var node = TestNode.Default();
        var o = node.Execute(RequestCode.Migrate, Vm);
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.StartsWith("dest-uri is required", o.Results.Text(AttrType.Message));
    }
}
