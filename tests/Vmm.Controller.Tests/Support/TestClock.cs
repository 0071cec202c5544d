namespace Vmm.Controller.Tests;

/// <summary>A monotonic clock the test moves by hand, so that "silent for three intervals" needs no waiting.</summary>
internal sealed class TestClock
{
    public long Ms { get; private set; } = 1_000_000;

    public void Advance(TimeSpan by) => Ms += (long)by.TotalMilliseconds;

    public Func<long> Func => () => Ms;
}
