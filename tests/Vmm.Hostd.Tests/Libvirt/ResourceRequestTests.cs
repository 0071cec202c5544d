// update-memory, add-cpu and remove-cpu.
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class ResourceRequestTests
{
    private static readonly Guid Vm = TestNode.DefaultDomain;   // 2 vCPUs, 2 GiB of at most 8 GiB, running

    [Fact]
    public void Update_memory_changes_the_running_vms_memory()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.UpdateMemory, Vm, Requests.Params((AttrType.Memory, 1048576)));
        Assert.Equal(1048576ul, node.ReadVm(Vm).MemoryKib);
    }

    [Fact]
    public void Update_memory_of_a_stopped_vm_changes_its_definition()
    {
        using var node = TestNode.FromFixture();
        node.Succeed(RequestCode.UpdateMemory, TestNode.Web, Requests.Params((AttrType.Memory, 2097152)));
        Assert.Equal(2097152ul, node.ReadVm(TestNode.Web).MemoryKib);
    }

    [Fact]
    public void Update_memory_above_max_memory_says_so()
    {
        using var node = TestNode.Default();
        var o = node.Execute(RequestCode.UpdateMemory, Vm, Requests.Params((AttrType.Memory, 8388609)));
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.Equal("memory 8388609 KiB is above this VM's max-memory 8 GiB", o.Results.Text(AttrType.Message));
        Assert.Equal(2097152ul, node.ReadVm(Vm).MemoryKib);
    }

    [Fact]
    public void Update_memory_without_memory_names_it()
    {
        using var node = TestNode.Default();
        var o = node.Execute(RequestCode.UpdateMemory, Vm);
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.StartsWith("memory is required", o.Results.Text(AttrType.Message));
    }

    [Fact]
    public void Add_cpu_and_remove_cpu_change_the_vcpus_online()
    {
        using var node = TestNode.FromFixture();   // web: 2 of at most 4
        node.Succeed(RequestCode.AddCpu, TestNode.Web);
        Assert.Equal(3, node.ReadVm(TestNode.Web).Vcpus);
        node.Succeed(RequestCode.RemoveCpu, TestNode.Web, Requests.Params((AttrType.Count, 2)));
        Assert.Equal(1, node.ReadVm(TestNode.Web).Vcpus);
    }

    [Fact]
    public void Add_cpu_beyond_max_vcpus_and_remove_cpu_of_the_last_are_refused()
    {
        using var node = TestNode.FromFixture();
        var over = node.Execute(RequestCode.AddCpu, TestNode.Web, Requests.Params((AttrType.Count, 3)));
        Assert.Equal(AckCode.Failure, over.Code);
        Assert.Equal("count 3: 2 + 3 would give the VM 5 vCPUs, above its max-vcpus 4", over.Results.Text(AttrType.Message));
        var under = node.Execute(RequestCode.RemoveCpu, TestNode.Web, Requests.Params((AttrType.Count, 2)));
        Assert.Equal(AckCode.Failure, under.Code);
        Assert.Equal("count 2: 2 - 2 would leave the VM 0 vCPUs; at least 1 must stay", under.Results.Text(AttrType.Message));
        Assert.Equal(2, node.ReadVm(TestNode.Web).Vcpus);
    }
}
