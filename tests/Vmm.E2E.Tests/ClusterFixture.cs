using Vmm.E2E.Harness;

namespace Vmm.E2E.Tests;

/// <summary>
/// One QEMU cluster (hosts a and b) shared by every test of the collection; the tests run one after another and
/// use VM names of their own, and a test that stops a daemon starts it again. A cluster that cannot start fails
/// every test with the reason (a missing package names it), never a skip.
/// </summary>
public sealed class ClusterFixture() : QemuClusterFixture(() => QemuCluster.Start("a", "b"));

/// <summary>A cluster started on first use by <c>start</c>, stopped with the collection.</summary>
public abstract class QemuClusterFixture : IDisposable
{
    private readonly Lazy<QemuCluster> _cluster;

    private protected QemuClusterFixture(Func<QemuCluster> start) => _cluster = new(start);

    internal QemuCluster Cluster => _cluster.Value;

    public void Dispose()
    {
        if (_cluster.IsValueCreated) _cluster.Value.Dispose();
        GC.SuppressFinalize(this);
    }
}

[CollectionDefinition(Name)]
public sealed class QemuCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "qemu cluster";
}
