using Vmm.E2E.Harness;

namespace Vmm.E2E.Tests;

/// <summary>
/// One QEMU cluster (hosts a and b) shared by every test of the collection; the tests run one after another and
/// use VM names of their own, and a test that stops a daemon starts it again. A cluster that cannot start fails
/// every test with the reason (a missing package names it), never a skip.
/// </summary>
public sealed class ClusterFixture : IDisposable
{
    private readonly Lazy<QemuCluster> _cluster = new(() => QemuCluster.Start("a", "b"));

    internal QemuCluster Cluster => _cluster.Value;

    public void Dispose()
    {
        if (_cluster.IsValueCreated) _cluster.Value.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class QemuCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "qemu cluster";
}
