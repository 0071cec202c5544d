// What an exposition is made of: each part of a daemon (its fleet, its requests, its connections) writes its own
// families, and the daemon lists the parts in the order they appear (ControllerMetrics.Sources, HostdMetrics.Sources).
namespace Vmm.Hosting.Metrics;

/// <summary>Something that adds families to an exposition.</summary>
public interface IMetricsSource
{
    /// <summary>Writes this source's families (HELP, TYPE, samples).</summary>
    void Write(MetricsWriter w);
}
