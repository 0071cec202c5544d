// The knobs of `make soak`, from the environment (the Makefile passes SOAK_* through), with defaults that
// keep a run to about SOAK_SECONDS plus five minutes.
namespace Vmm.Benchmarks.Soak;

internal sealed record SoakSettings(
    int Seconds, long Changes, long StuckChanges, int Watchers, int IdleConnections, long RssCapMib, double ChangeRate)
{
    public static SoakSettings FromEnvironment() => new(
        Seconds: (int)Read("SOAK_SECONDS", 300, 10, 7 * 24 * 3600),
        Changes: Read("SOAK_CHANGES", 1_000_000, 8, long.MaxValue),
        StuckChanges: Read("SOAK_STUCK_CHANGES", 160_000, 8, long.MaxValue),
        Watchers: (int)Read("SOAK_WATCHERS", 20, 1, 1000),
        IdleConnections: (int)Read("SOAK_IDLE_CONNECTIONS", 2000, 1, 60_000),
        RssCapMib: Read("SOAK_RSS_CAP_MB", 2048, 64, 1 << 20),
        ChangeRate: Read("SOAK_CHANGE_RATE", 5000, 1, 1_000_000));

    internal static long Read(string name, long fallback, long min, long max)
    {
        string? text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!long.TryParse(text, out long value) || value < min || value > max)
            throw new ArgumentException($"{name}={text}: expected a whole number from {min} to {max}");
        return value;
    }
}
