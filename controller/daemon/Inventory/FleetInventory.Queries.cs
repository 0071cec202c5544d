// The read side of the inventory: consistent copies for queries and watchers, references resolved for
// requests, and the last request of each VM. Each host is copied under its own lock, one at a time.
using System.Text;
using Vmm.Protocol;

namespace Vmm.Controller.Inventory;

internal sealed partial class FleetInventory
{
    /// <summary>Every host (or only <paramref name="name"/>), by name.</summary>
    public IReadOnlyList<HostView> Hosts(string? name = null)
    {
        var result = new List<HostView>();
        foreach (var host in name is null ? _hosts : Find(name) is { } one ? [one] : [])
        {
            lock (host.Gate)
            {
                long now = _clock();
                result.Add(ViewOf(host, host.StateAt(now, _downAfterMs), now));
            }
        }
        result.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>
    /// Hosts up, hosts in any other state, and the VMs they hold: counted under each host's lock, with no view
    /// copied, since systemd's status line asks every few seconds however large the fleet.
    /// </summary>
    public (int Up, int NotUp, int Vms) Census()
    {
        int up = 0, notUp = 0, vms = 0;
        foreach (var host in _hosts)
        {
            lock (host.Gate)
            {
                if (host.StateAt(_clock(), _downAfterMs) == HostState.Up) up++;
                else notUp++;
                vms += host.Vms.Count;
            }
        }
        return (up, notUp, vms);
    }

    /// <summary>Whether <paramref name="name"/> is a host the inventory holds (heard or pinned); nothing copied.</summary>
    public bool Knows(string name) => Find(name) is not null;

    /// <summary>One host, or null when it is not known.</summary>
    public HostView? Host(string name) => Hosts(name) is [var one] ? one : null;

    /// <summary>
    /// The VMs, by host then name, optionally only those of <paramref name="host"/> and/or those whose name
    /// or uuid is <paramref name="reference"/>. Copies one host at a time as the caller enumerates, so a
    /// large fleet is never copied whole.
    /// </summary>
    public IEnumerable<VmView> Vms(string? host = null, string? reference = null)
    {
        var hosts = host is null ? (HostEntry[])_hosts.Clone() : Find(host) is { } one ? [one] : [];
        Array.Sort(hosts, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var match = reference is null ? null : new VmMatch(reference);
        var chunk = new List<VmView>();
        foreach (var h in hosts)
        {
            chunk.Clear();
            lock (h.Gate)
            {
                long now = _clock();
                var state = h.StateAt(now, _downAfterMs);
                foreach (var vm in h.Vms.Values)
                    if (match is null || match.Matches(vm)) chunk.Add(ViewOf(h, vm, state, now));
            }
            chunk.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (var v in chunk) yield return v;
        }
    }

    /// <summary>
    /// VM <paramref name="uuid"/> as each host that reports it holds it now (two during a migration), looked up
    /// by key on each host: no name compared, no other VM copied. For the check after a request (Settlement).
    /// </summary>
    public List<VmView> VmsWithUuid(Guid uuid)
    {
        var found = new List<VmView>(1);
        foreach (var h in _hosts)
        {
            lock (h.Gate)
            {
                if (!h.Vms.TryGetValue(uuid, out var vm)) continue;
                long now = _clock();
                found.Add(ViewOf(h, vm, h.StateAt(now, _downAfterMs), now));
            }
        }
        return found;
    }

    /// <summary>
    /// Finds the VM that <paramref name="reference"/> (a uuid in text form, or a name) names, on
    /// <paramref name="host"/> only when given. A uuid match wins over a name match. A name held by VMs on
    /// several hosts is ambiguous, and so is a uuid two hosts report (a migration in progress).
    /// </summary>
    public VmResolution Resolve(string reference, string? host = null)
    {
        var hosts = host is null ? _hosts : Find(host) is { } one ? [one] : [];
        var match = new VmMatch(reference);
        var byUuid = new List<VmLocation>();
        var byName = new List<VmLocation>();
        foreach (var h in hosts)
        {
            lock (h.Gate)
            {
                var state = h.StateAt(_clock(), _downAfterMs);
                if (match.Uuid is { } uuid && h.Vms.TryGetValue(uuid, out var vm)) byUuid.Add(Locate(h, vm, state));
                foreach (var v in h.Vms.Values)
                    if (match.NameMatches(v)) byName.Add(Locate(h, v, state));
            }
        }
        var found = byUuid.Count > 0 ? byUuid : byName;
        string where = host is null ? "" : $" on host {host}";
        return found.Count switch
        {
            0 => new(ResolveOutcome.NotFound, default, host is not null && hosts.Length == 0
                ? $"no host named {host}"
                : $"no VM named or with uuid '{Validation.Shorten(reference)}'{where}"),
            1 => new(ResolveOutcome.Found, found[0], ""),
            _ => new(ResolveOutcome.Ambiguous, default, byUuid.Count > 0
                ? $"VM {reference} is reported by hosts {string.Join(", ", found.Select(l => l.Host))} (a migration in progress?): name the host"
                : $"name '{Validation.Shorten(reference)}' is ambiguous: {string.Join(", ", found.Select(l => $"{l.Vm} on {l.Host}"))}; use the uuid"),
        };

        static VmLocation Locate(HostEntry h, VmEntry vm, HostState state) =>
            new(vm.Uuid, Encoding.UTF8.GetString(vm.NameUtf8), h.Name, state);
    }

    /// <summary>
    /// The answer to a lookup that found nothing (a VM or a host; spec §7.4): <c>not-found</c> once nothing the
    /// controller may hear of is missing from its inventory, else <c>unavailable</c> with why (a script that took a
    /// miss right after a restart as final would create a VM that exists).
    /// </summary>
    public (AckCode Code, string Message) Miss(string message) =>
        WarmingUp() is { } why ? (AckCode.Unavailable, $"{message} yet: {why}; try again") : (AckCode.NotFound, message);

    /// <summary>
    /// Waits out the rest of the controller's first down-after heartbeat intervals, when it is in them: a lookup that
    /// missed then is worth doing again once every live host has been heard, rather than answered unavailable at
    /// once (a script right after a restart then waits a moment instead of retrying). True when it waited.
    /// </summary>
    public async ValueTask<bool> AwaitStartAsync(CancellationToken cancel)
    {
        long left = _downAfterMs - (_clock() - _startedMs);
        if (left <= 0) return false;
        await Task.Delay(TimeSpan.FromMilliseconds(left), cancel).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Why the inventory may still lack a VM or host that exists, or null: for down-after heartbeat intervals after
    /// the controller starts (a live host is heard within one, and a host silent for longer is down by the same
    /// rule), and afterwards while a host known here (pinned, or heard) has not had a complete report applied.
    /// </summary>
    public string? WarmingUp()
    {
        long age = _clock() - _startedMs;
        if (age < _downAfterMs)
            return $"inventory warming up: the controller started {age / 1000.0:0.0} s ago and hears every live host within "
                + $"{_downAfterMs / 1000.0:0.#} s (down-after x heartbeat-interval)";
        foreach (var h in _hosts)
        {
            lock (h.Gate)
            {
                if (h.Reported || h.StateAt(_clock(), _downAfterMs) is HostState.Stopped) continue;
                return h.Heard
                    ? $"inventory warming up: host {h.Name} has not completed a report since the controller started"
                    : $"inventory warming up: pinned host {h.Name} has not been heard since the controller started";
            }
        }
        return null;
    }

    /// <summary>Resolves a VM reference (name or uuid) to its location; false when unknown or ambiguous.</summary>
    public bool TryResolve(string reference, out VmLocation location)
    {
        var r = Resolve(reference);
        location = r.Location;
        return r.Found;
    }

    /// <summary>
    /// Where requests for <paramref name="host"/> go now: its hostd endpoint and current boot. False when
    /// the host is not known or has no current boot (never heard, or stopped).
    /// </summary>
    public bool TryGetTarget(string host, out HostTarget target)
    {
        target = null!;
        if (Find(host) is not { } h) return false;
        lock (h.Gate)
        {
            if (h.BootId == 0 || h.RequestEndpoint() is not { } endpoint) return false;
            target = new HostTarget(h.Name, endpoint, h.BootId);
            return true;
        }
    }

    /// <summary>Notes the request the controller last sent for <paramref name="vm"/> and its outcome, shown
    /// with the VM (last-code, last-ack) until the VM is gone from every host.</summary>
    public void RecordRequest(Guid vm, RequestCode code, AckCode ack)
    {
        if (vm == Guid.Empty) return;
        lock (_requestsGate) _lastRequests[vm] = new LastRequest(code, ack);
    }

    private LastRequest? LastRequestOf(Guid vm)
    {
        lock (_requestsGate) return _lastRequests.TryGetValue(vm, out var last) ? last : null;
    }

    /// <summary>Drops the last request of VMs that just left a host and are held by no other.</summary>
    private void ForgetRequestsOf(List<Guid> removed)
    {
        lock (_requestsGate)
        {
            if (_lastRequests.Count == 0) return;
        }
        foreach (var uuid in removed)
        {
            bool known;
            lock (_requestsGate) known = _lastRequests.ContainsKey(uuid);
            if (!known || IsHeld(uuid)) continue;
            lock (_requestsGate) _lastRequests.Remove(uuid);
        }
    }

    private bool IsHeld(Guid uuid)
    {
        foreach (var h in _hosts)
            lock (h.Gate)
                if (h.Vms.ContainsKey(uuid)) return true;
        return false;
    }

    private HostEntry? Find(string name)
    {
        int max = Encoding.UTF8.GetMaxByteCount(name.Length);
        Span<byte> bytes = max <= 256 ? stackalloc byte[max] : new byte[max];
        int n = Encoding.UTF8.GetBytes(name, bytes);
        return _byNameBytes.TryGetValue(bytes[..n], out var host) ? host : null;
    }

    /// <summary>A host's view; under its lock.</summary>
    private HostView ViewOf(HostEntry h, HostState state, long now) => new(
        h.Name, h.BootId, h.Sequence, state, h.Facts.Snapshot(), h.Address.ToIPAddress(),
        h.Heard ? now - h.LastHeardMs : null, h.Accepted, h.Dropped, h.Vms.Count, h.UsedVcpus(),
        h.BootId != 0 ? h.RequestEndpoint() : h.Pin?.Endpoint, h.Draining, h.UsedMemoryKib(),
        (h.Fenced ? HostStatus.Fenced : HostStatus.None) | (h.Draining ? HostStatus.Draining : HostStatus.None),
        state == HostState.Up ? HostUsage.Of(h.Vms.Values, now) : null);

    /// <summary>A VM's view; under its host's lock.</summary>
    private VmView ViewOf(HostEntry h, VmEntry vm, HostState state, long now) =>
        new(h.Name, vm.Record.ToArray(), Unknown: state != HostState.Up, Removed: false, now - vm.UpdatedMs, LastRequestOf(vm.Uuid),
            state == HostState.Up ? vm.Usage?.Snapshot(now) : null);

    /// <summary>Matches VMs by uuid (text form) or by name, comparing the name's UTF-8 bytes in place.</summary>
    private sealed class VmMatch(string reference)
    {
        private readonly byte[] _name = Encoding.UTF8.GetBytes(reference);

        public Guid? Uuid { get; } = Guid.TryParse(reference, out var g) ? g : null;

        public bool NameMatches(VmEntry vm) => vm.NameUtf8.SequenceEqual(_name);

        public bool Matches(VmEntry vm) => vm.Uuid == Uuid || NameMatches(vm);
    }
}
