// What every dispatcher test needs: a key, fast backoffs, a logger whose lines the test can read, and a way
// to wait for a condition without betting on how fast the machine is.
using System.Collections.Concurrent;
using NLog;
using NLog.Targets;
using Vmm.Controller.Dispatch;
using Vmm.Protocol;

namespace Vmm.Controller.Tests.Dispatch;

internal static class DispatchFixture
{
    /// <summary>The controller's master key.</summary>
    public static readonly ClusterKey Master = ClusterKey.Generate();
    /// <summary>The host key of hv1 (a FakeHost's default target), derived from <see cref="Master"/>.</summary>
    public static readonly ClusterKey Key = Master.DeriveHostKey("hv1");
    /// <summary>The dispatcher's keys: every host's key derived from <see cref="Master"/>.</summary>
    public static HostKeys Keys => new(Master);
    public static readonly Guid Vm = Guid.Parse("5f1d2c3b-4a59-4e68-8f77-0a1b2c3d4e5f");

    /// <summary>Generous deadlines (a slow machine never hits them), quick backoffs.</summary>
    public static DispatchOptions Options => new()
    {
        RequestTimeout = TimeSpan.FromSeconds(20),
        LongRequestTimeout = TimeSpan.FromSeconds(20),
        BusyBackoffInitial = TimeSpan.FromMilliseconds(5),
        BusyBackoffMax = TimeSpan.FromMilliseconds(20),
        ReconnectBackoffInitial = TimeSpan.FromMilliseconds(5),
        ReconnectBackoffMax = TimeSpan.FromMilliseconds(50),
        // Off unless a test is about hedging: others count connections and arrivals.
        HedgeAfter = TimeSpan.Zero,
    };

    public static async Task Eventually(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    public static string? Message(this DispatchResult result) => result.Results.Text(AttrType.Message);
}

/// <summary>An NLog logger of its own, whose formatted lines the test can read.</summary>
internal sealed class TestLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    public TestLog()
    {
        var factory = new LogFactory();
        factory.Setup().LoadConfiguration(c => c.ForLogger().FilterMinLevel(LogLevel.Debug)
            .WriteTo(new MethodCallTarget("lines", (e, _) => _lines.Enqueue($"{e.Level} {e.FormattedMessage}"))));
        Logger = factory.GetLogger("dispatch");
    }

    public Logger Logger { get; }
    public IReadOnlyCollection<string> Lines => _lines;
}
