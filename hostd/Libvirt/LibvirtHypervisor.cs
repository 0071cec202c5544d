// IHypervisor over libvirt: the connection's life (open, events, loss, reconnect) and reading state.
// The requests are in LibvirtHypervisor.*.cs, one file per group of request codes.
using NLog;
using Vmm.Hosting;
using Vmm.Hostd.Interop;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor : IHypervisor
{
    // The reconnect backoff's first and longest nominal delays.
    internal static readonly TimeSpan ReconnectFirst = TimeSpan.FromMilliseconds(500);
    internal static readonly TimeSpan ReconnectCap = TimeSpan.FromSeconds(30);

    private readonly LibvirtOptions _options;
    private readonly Logger _log;
    private readonly Lock _poolGate = new();
    // Owned by RunAsync (it alone opens and drops sessions); everything else only reads the reference.
    private volatile LibvirtSession? _session;
    private volatile string _unreachableReason;
    private volatile AttrList _staticFacts = [];
    private readonly DescriptionCache _descriptions = new();
    private int _disposed;

    public LibvirtHypervisor(LibvirtOptions options, Logger log)
    {
        _options = options;
        _log = log;
        _unreachableReason = $"not connected to {options.Uri} yet";
    }

    public bool Reachable => _session is not null;

    /// <summary>The live connection, for tests that look at libvirt directly (the test driver's state is per connection).</summary>
    internal ConnectionHandle? Connection => _session?.Connection;

    public string? UnreachableReason => _session is null ? _unreachableReason : null;

    public event Action<Guid>? VmChanged;

    public event Action<bool>? ReachabilityChanged;

    /// <summary>
    /// The first connection attempt is made before this returns, so a reachable hypervisor is usable as soon as
    /// RunAsync is called. Then it waits for the connection to be lost and reconnects with doubling, jittered
    /// delays (0.5 s up to 30 s, <see cref="Backoff"/>); a first open that fails is retried the same way.
    /// </summary>
    public Task RunAsync(CancellationToken stop)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        bool connected = TryConnect();
        return MaintainAsync(connected, stop);
    }

    private async Task MaintainAsync(bool connected, CancellationToken stop)
    {
        var backoff = new Backoff(ReconnectFirst, ReconnectCap);
        try
        {
            while (!stop.IsCancellationRequested && _disposed == 0)
            {
                if (!connected)
                {
                    await Task.Delay(backoff.Next(), stop).ConfigureAwait(false);
                    connected = TryConnect();
                    continue;
                }
                backoff.Reset();
                var session = _session!;
                string why = await session.Lost.WaitAsync(stop).ConfigureAwait(false);
                if (_disposed != 0) break;
                Drop(session, $"lost the connection to {_options.Uri}: {why}");
                connected = false;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            if (_session is LibvirtSession s)
            {
                _unreachableReason = "hostd is stopping";
                _session = null;
                s.Dispose();
            }
        }
    }

    private bool TryConnect()
    {
        LibvirtSession session;
        try
        {
            session = LibvirtSession.Open(_options.Uri, OnVmChanged, _log);
        }
        catch (HypervisorException e)
        {
            string reason = $"cannot connect to {_options.Uri}: {e.Message}";
            if (reason != _unreachableReason) _log.Warn(reason);
            _unreachableReason = reason;
            return false;
        }
        try
        {
            _staticFacts = ReadStaticFacts(session);
        }
        catch (HypervisorException e)
        {
            _log.Warn("reading host facts from {0}: {1}", _options.Uri, e.Message);
        }
        EnsurePool(session);
        _session = session;
        _log.Info("connected to {0} ({1})", _options.Uri, _staticFacts.Text(AttrType.Hypervisor));
        ReachabilityChanged?.Invoke(true);
        return true;
    }

    private void Drop(LibvirtSession session, string reason)
    {
        _unreachableReason = reason;
        _session = null;
        _log.Warn(reason);
        session.Dispose();
        ReachabilityChanged?.Invoke(false);
    }

    private void OnVmChanged(Guid uuid) => VmChanged?.Invoke(uuid);

    /// <summary>The live session, or the failure every call gets while the hypervisor is unreachable.</summary>
    private LibvirtSession Session() =>
        _session ?? throw new HypervisorException(AckCode.Failure, 0, $"hypervisor unreachable: {_unreachableReason}");

    // memory-free is not libvirt's (the kernel's MemFree): the publisher counts it from the VMs (spec §5.3).
    public AttrList ReadFacts() => [.. _staticFacts];

    // cpus, memory-total, hypervisor and migration-uri do not change while a connection lives: read once.
    private AttrList ReadStaticFacts(LibvirtSession s)
    {
        var node = LibvirtApi.GetNodeInfo(s.Connection);
        var facts = new AttrList()
            .Add(AttrType.Cpus, node.Cpus)
            .Add(AttrType.MemoryTotal, (ulong)node.Memory.Value)
            .Add(AttrType.Hypervisor, $"{s.Type} {VersionText(LibvirtApi.GetVersion(s.Connection))}");
        string migration = _options.MigrationUri ?? MigrationUris.Derive(LibvirtApi.GetUri(s.Connection), LibvirtApi.GetHostname(s.Connection));
        facts.Add(AttrType.MigrationUri, AttrRegistry.Cut(AttrType.MigrationUri, migration));
        return facts;
    }

    /// <summary>libvirt's version number (major * 1,000,000 + minor * 1,000 + micro) as text.</summary>
    internal static string VersionText(ulong v) => $"{v / 1_000_000}.{v / 1_000 % 1_000}.{v % 1_000}";

    public IReadOnlyList<VmState> ReadAll()
    {
        var s = Session();
        return Guarded(() =>
        {
            var domains = LibvirtApi.ListAllDomains(s.Connection);
            var states = new List<VmState>(domains.Count);
            foreach (var dom in domains)
            {
                using (dom)
                {
                    try
                    {
                        states.Add(VmReader.Read(s.Connection, dom, _descriptions, _log));
                    }
                    catch (HypervisorException e) when (e.ErrorCode == ErrorNumber.NoDomain)
                    {
                        // Undefined between the listing and the read: it is simply not on the host any more.
                    }
                }
            }
            _descriptions.Retain(states);
            return states;
        });
    }

    public VmState? Read(Guid uuid)
    {
        var s = Session();
        return Guarded(() =>
        {
            using var dom = LibvirtApi.LookupDomain(s.Connection, uuid);
            try
            {
                if (dom is not null) return VmReader.Read(s.Connection, dom, _descriptions, _log);
            }
            catch (HypervisorException e) when (e.ErrorCode == ErrorNumber.NoDomain)
            {
            }
            _descriptions.Forget(uuid);
            return null;
        });
    }

    // A call racing a reconnect finds its connection handle closed: that is the hypervisor being unreachable.
    public void ReadUsage(List<VmUsageSample> into)
    {
        var s = Session();
        Guarded(() =>
        {
            lock (_usage) _usage.Read(s.Connection, into);
            return 0;
        });
    }

    private readonly UsageReader _usage = new();

    private T Guarded<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ObjectDisposedException)
        {
            throw new HypervisorException(AckCode.Failure, 0, $"hypervisor unreachable: {_unreachableReason}");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var s = _session;
        _session = null;
        _unreachableReason = "disposed";
        s?.Dispose();
    }
}
