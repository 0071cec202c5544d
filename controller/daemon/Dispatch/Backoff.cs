namespace Vmm.Controller.Dispatch;

/// <summary>Capped exponential backoff with jitter, so that many waiters do not retry in step.</summary>
internal static class Backoff
{
    /// <summary>
    /// The wait before retry number <paramref name="attempt"/> (0 for the first): <paramref name="initial"/>
    /// doubled per attempt up to <paramref name="max"/>, then a random point in its upper half.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max)
    {
        double ms = initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        double capped = Math.Min(ms, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }
}
