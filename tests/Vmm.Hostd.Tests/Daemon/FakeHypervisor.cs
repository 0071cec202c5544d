// An in-memory hypervisor for the daemon's own tests (network, cache, busy, publishing): the libvirt
// binding has its own tests against libvirt's test driver.
using System.Collections.Concurrent;
using Vmm.Hostd;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

internal sealed class FakeHypervisor : IHypervisor
{
    private readonly ConcurrentDictionary<Guid, VmState> _vms = new();
    private volatile bool _reachable = true;

    /// <summary>Every Execute, in order: (request id, code, vm).</summary>
    public ConcurrentQueue<(ulong Id, RequestCode Code, Guid Vm)> Executed { get; } = new();

    /// <summary>While set, Execute of this code blocks until the gate opens.</summary>
    public RequestCode? BlockCode { get; set; }
    public ManualResetEventSlim Gate { get; } = new(true);

    public bool Reachable => _reachable;
    public string? UnreachableReason => _reachable ? null : "libvirtd went away";
    public event Action<Guid>? VmChanged;
    public event Action<bool>? ReachabilityChanged;

    public void SetReachable(bool reachable)
    {
        _reachable = reachable;
        ReachabilityChanged?.Invoke(reachable);
    }

    public Guid Define(string name, PowerState power = PowerState.Off, AttrList? attrs = null)
    {
        var vm = new VmState { Uuid = Guid.NewGuid(), Name = name, Power = power, Vcpus = 1, MemoryKib = 65536, Flags = VmFlags.Persistent, Attributes = attrs ?? [] };
        _vms[vm.Uuid] = vm;
        VmChanged?.Invoke(vm.Uuid);   // libvirt's DEFINED event
        return vm.Uuid;
    }

    public void Set(VmState vm, bool raiseEvent = true)
    {
        _vms[vm.Uuid] = vm;
        if (raiseEvent) VmChanged?.Invoke(vm.Uuid);
    }

    public void Undefine(Guid uuid, bool raiseEvent = true)
    {
        _vms.TryRemove(uuid, out _);
        if (raiseEvent) VmChanged?.Invoke(uuid);
    }

    public VmState? Get(Guid uuid) => _vms.TryGetValue(uuid, out var vm) ? vm : null;

    public async Task RunAsync(CancellationToken stop)
    {
        try { await Task.Delay(Timeout.Infinite, stop); } catch (OperationCanceledException) { }
    }

    public AttrList ReadFacts() => new AttrList().Add(AttrType.Cpus, 8).Add(AttrType.MemoryTotal, 16 << 20).Add(AttrType.MemoryFree, 8 << 20).Add(AttrType.Hypervisor, "FAKE 1.0");

    public IReadOnlyList<VmState> ReadAll() => _reachable ? [.. _vms.Values] : throw new HypervisorException(AckCode.Failure, 1, "unreachable");

    /// <summary>While closed, Read of one VM blocks until it opens (a libvirt call that hangs).</summary>
    public ManualResetEventSlim ReadGate { get; } = new(true);

    /// <summary>Reads of one VM blocked at the gate now.</summary>
    public int ReadsWaiting => Volatile.Read(ref _readsWaiting);
    private int _readsWaiting;

    public VmState? Read(Guid uuid)
    {
        Interlocked.Increment(ref _readsWaiting);
        try { ReadGate.Wait(TimeSpan.FromSeconds(30)); }
        finally { Interlocked.Decrement(ref _readsWaiting); }
        return _reachable ? Get(uuid) : throw new HypervisorException(AckCode.Failure, 1, "unreachable");
    }

    public IReadOnlyList<string> FenceHa(bool pause)
    {
        if (!_reachable) throw new HypervisorException(AckCode.Failure, 0, "libvirtd went away");
        var fenced = new List<string>();
        foreach (var vm in _vms.Values)
        {
            if ((vm.Flags & VmFlags.Ha) == 0 || vm.Power is PowerState.Off or PowerState.Crashed || (pause && vm.Power == PowerState.Paused)) continue;
            _vms[vm.Uuid] = vm with { Power = pause ? PowerState.Paused : PowerState.Off };
            fenced.Add($"{vm.Name} ({vm.Uuid})");
            VmChanged?.Invoke(vm.Uuid);
        }
        return fenced;
    }

    private Func<string?> _leaseNotRunning = static () => null;

    public void GateHaStarts(Func<string?> leaseNotRunning) => _leaseNotRunning = leaseNotRunning;

    public Outcome Execute(RequestPdu request)
    {
        Executed.Enqueue((request.RequestId, request.Code, request.Vm));
        if (BlockCode == request.Code) Gate.Wait(TimeSpan.FromSeconds(30));
        switch (request.Code)
        {
            case RequestCode.Add:
                string name = request.Parameters.First(a => a.Type == AttrType.Name).Text!;
                _vms[request.Vm] = new VmState { Uuid = request.Vm, Name = name, Power = PowerState.Off, Vcpus = 1, MemoryKib = 65536, Flags = VmFlags.Persistent };
                return Outcome.Success(request.Vm);
            case RequestCode.Start or RequestCode.Pause or RequestCode.Resume or RequestCode.Stop:
                if (!_vms.TryGetValue(request.Vm, out var vm)) return Outcome.Failure(request.Vm, $"no VM with uuid {request.Vm}", 42);
                if (request.Code is RequestCode.Start or RequestCode.Resume && (vm.Flags & VmFlags.Ha) != 0 && _leaseNotRunning() is { } why)
                    return Outcome.With(AckCode.Unavailable, request.Vm, $"{vm.Name} is HA and the lease {why}", null);
                var power = request.Code switch { RequestCode.Pause => PowerState.Paused, RequestCode.Stop => PowerState.Off, _ => PowerState.Running };
                _vms[request.Vm] = vm with { Power = power };
                VmChanged?.Invoke(request.Vm);
                return Outcome.Success(request.Vm);
            case RequestCode.UpdateMemory:
                if (!_vms.TryGetValue(request.Vm, out var m)) return Outcome.Failure(request.Vm, "no such VM", 42);
                _vms[request.Vm] = m with { MemoryKib = request.Parameters.First(a => a.Type == AttrType.Memory).Number };
                return Outcome.Success(request.Vm);   // no event: the publisher must re-read after the request
            case RequestCode.Migrate:
                return Outcome.Unsupported(request.Vm, "migration is not supported by this hypervisor", 3);
            default:
                return Outcome.Success(request.Vm);
        }
    }

    public void Dispose()
    {
        Gate.Dispose();
        ReadGate.Dispose();
    }
}
