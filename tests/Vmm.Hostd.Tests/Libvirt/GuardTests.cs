// What hostd decides from the VM's state alone (spec §8.1): remove and delete of a running VM need force, and
// a request that would change nothing is a success flagged unchanged, libvirt left alone.
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class GuardTests
{
    private static readonly Guid Vm = TestNode.DefaultDomain;

    private static void Unchanged(TestNode node, RequestCode code, string message, AttrList? parameters = null)
    {
        var o = node.Succeed(code, Vm, parameters);
        Assert.Equal(AckFlags.Unchanged, o.Flags);
        Assert.Equal(message, o.Results.Text(AttrType.Message));
    }

    [Theory]
    [InlineData(RequestCode.Remove, "remove")]
    [InlineData(RequestCode.Delete, "delete")]
    public void Remove_and_delete_of_a_running_vm_need_force_and_leave_it_running(RequestCode code, string word)
    {
        using var node = TestNode.Default();
        var o = node.Execute(code, Vm);
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.Equal($"test is running: {word} needs force (vmmctl vm {word} --force), which powers it off first", o.Results.Text(AttrType.Message));
        Assert.Equal(PowerState.Running, node.ReadVm(Vm).Power);

        Assert.Equal(AckFlags.None, node.Succeed(code, Vm, flags: RequestFlags.Force).Flags);
        Assert.Null(node.Hypervisor.Read(Vm));
    }

    [Fact]
    public void Remove_of_an_off_vm_needs_no_force()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Stop, Vm, Requests.Params((AttrType.TimeoutMs, 0)), RequestFlags.Force);
        node.Succeed(RequestCode.Remove, Vm);
        Assert.Null(node.Hypervisor.Read(Vm));
    }

    [Fact]
    public void Start_and_resume_of_a_running_vm_change_nothing()
    {
        using var node = TestNode.Default();
        var before = node.ReadVm(Vm);
        Unchanged(node, RequestCode.Start, "test is already running");
        Unchanged(node, RequestCode.Resume, "test is already running");
        // The reason stays "booted": libvirt was not asked to do anything.
        Assert.Equal((before.Power, before.Reason), (node.ReadVm(Vm).Power, node.ReadVm(Vm).Reason));
    }

    [Fact]
    public void Pause_of_a_paused_vm_changes_nothing_and_start_of_it_says_resume()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Pause, Vm);
        Unchanged(node, RequestCode.Pause, "test is already paused");
        var start = node.Execute(RequestCode.Start, Vm);
        Assert.Equal(AckCode.Failure, start.Code);
        Assert.Equal("test is paused, not off: resume it to run it again", start.Results.Text(AttrType.Message));
        Assert.Equal(PowerState.Paused, node.ReadVm(Vm).Power);
    }

    [Fact]
    public void Stop_of_an_off_vm_changes_nothing_with_or_without_force()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Stop, Vm, Requests.Params((AttrType.TimeoutMs, 0)), RequestFlags.Force);
        Unchanged(node, RequestCode.Stop, "test is already off");
        var forced = node.Succeed(RequestCode.Stop, Vm, Requests.Params((AttrType.TimeoutMs, 0)), RequestFlags.Force);
        Assert.Equal(AckFlags.Unchanged, forced.Flags);
        Assert.Equal(PowerState.Off, node.ReadVm(Vm).Power);
    }

    [Fact]
    public void Memory_set_to_what_the_vm_has_changes_nothing_and_another_value_changes_it()
    {
        using var node = TestNode.Default();
        ulong now = node.ReadVm(Vm).MemoryKib;
        Unchanged(node, RequestCode.UpdateMemory, $"test has {now} KiB of memory already", Requests.Params((AttrType.Memory, now)));
        var changed = node.Succeed(RequestCode.UpdateMemory, Vm, Requests.Params((AttrType.Memory, now / 2)));
        Assert.Equal(AckFlags.None, changed.Flags);
        Assert.Equal(now / 2, node.ReadVm(Vm).MemoryKib);
    }
}
