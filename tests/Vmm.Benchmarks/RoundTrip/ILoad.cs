namespace Vmm.Benchmarks.RoundTrip;

/// <summary>One kind of operation against one side (hostd or libvirtd), run with some operations in flight.</summary>
internal interface ILoad : IDisposable
{
    /// <summary>What is measured, for the report: "pause+resume", "getstate".</summary>
    string Operation { get; }

    /// <summary>Who answers and how it is driven, for the report.</summary>
    string Side { get; }

    /// <summary>The most operations this load can keep in flight (one VM each, for VM operations).</summary>
    int MaxInFlight { get; }

    /// <summary>
    /// Carries out <paramref name="count"/> operations, <paramref name="inFlight"/> at a time, and returns how long
    /// they took from the first start to the last finish. With <paramref name="latencies"/> (at least
    /// <paramref name="count"/> long), writes each operation's own duration into it, in Stopwatch ticks.
    /// Throws when an operation fails: a figure of failed operations would mean nothing.
    /// </summary>
    TimeSpan Run(int inFlight, int count, long[]? latencies);
}
