using System.Diagnostics;

namespace Vmm.E2E.Harness;

/// <summary>Polling a condition with a generous deadline: the machine is loaded, so nothing waits a fixed time.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>Polls until <paramref name="value"/> is not default; throws naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static T Value<T>(Func<T> value, TimeSpan timeout, string what, Func<string>? context = null)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var v = value();
            if (!EqualityComparer<T>.Default.Equals(v, default)) return v;
            if (waited.Elapsed > timeout)
                throw new E2EException($"not within {timeout.TotalSeconds:0} s: {what}{(context is null ? "" : "\n" + context())}");
            Thread.Sleep(50);
        }
    }

    public static void True(Func<bool> condition, TimeSpan timeout, string what, Func<string>? context = null) =>
        Value(() => condition(), timeout, what, context);
}
