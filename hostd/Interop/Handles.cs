// One SafeHandle per vir*Ptr. libvirt refcounts its objects, but the managed side must still never call
// virConnectClose while a domain, snapshot, pool or volume taken from that connection is in use: each child
// handle holds a reference on its connection handle (DangerousAddRef) until it is released itself.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

/// <summary>virConnectPtr.</summary>
internal sealed class ConnectionHandle : SafeHandle
{
    public ConnectionHandle() : base(0, ownsHandle: true) { }

    internal ConnectionHandle(nint p) : this() => SetHandle(p);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => LibvirtApi.CloseConnection(handle) >= 0;
}

/// <summary>A libvirt object taken from a connection; keeps that connection open while it lives.</summary>
internal abstract class ConnectionChildHandle : SafeHandle
{
    private ConnectionHandle? _connection;

    protected ConnectionChildHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>The connection this object came from.</summary>
    public ConnectionHandle Connection => _connection ?? throw new InvalidOperationException("handle not adopted");

    /// <summary>Takes ownership of <paramref name="p"/> and a reference on <paramref name="connection"/>.</summary>
    protected void Adopt(nint p, ConnectionHandle connection)
    {
        bool added = false;
        connection.DangerousAddRef(ref added);
        _connection = connection;
        SetHandle(p);
    }

    protected sealed override bool ReleaseHandle()
    {
        bool freed = Free(handle);
        _connection?.DangerousRelease();
        return freed;
    }

    protected abstract bool Free(nint p);
}

/// <summary>virDomainPtr.</summary>
internal sealed class DomainHandle : ConnectionChildHandle
{
    public DomainHandle() { }

    internal DomainHandle(nint p, ConnectionHandle connection) => Adopt(p, connection);

    protected override bool Free(nint p) => LibvirtApi.FreeDomain(p) == 0;
}

/// <summary>virDomainSnapshotPtr.</summary>
internal sealed class SnapshotHandle : ConnectionChildHandle
{
    public SnapshotHandle() { }

    internal SnapshotHandle(nint p, ConnectionHandle connection) => Adopt(p, connection);

    protected override bool Free(nint p) => LibvirtApi.FreeSnapshot(p) == 0;
}

/// <summary>virStoragePoolPtr.</summary>
internal sealed class StoragePoolHandle : ConnectionChildHandle
{
    public StoragePoolHandle() { }

    internal StoragePoolHandle(nint p, ConnectionHandle connection) => Adopt(p, connection);

    protected override bool Free(nint p) => LibvirtApi.FreeStoragePool(p) == 0;
}

/// <summary>virStorageVolPtr.</summary>
internal sealed class StorageVolumeHandle : ConnectionChildHandle
{
    public StorageVolumeHandle() { }

    internal StorageVolumeHandle(nint p, ConnectionHandle connection) => Adopt(p, connection);

    protected override bool Free(nint p) => LibvirtApi.FreeStorageVolume(p) == 0;
}

/// <summary>virNetworkPtr.</summary>
internal sealed class NetworkHandle : ConnectionChildHandle
{
    public NetworkHandle() { }

    internal NetworkHandle(nint p, ConnectionHandle connection) => Adopt(p, connection);

    protected override bool Free(nint p) => LibvirtApi.FreeNetwork(p) == 0;
}
