using NLog;
using NLog.Config;
using NLog.Targets;

namespace Vmm.Controller.Tests;

/// <summary>A controller's admin socket on a temporary path, over an inventory fed by simulated hosts and a
/// fake dispatcher; its log lines are kept for assertions.</summary>
internal sealed class AdminHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryTarget _logLines = new() { Layout = "${level} ${message}" };

    public AdminHarness(InventoryOptions? options = null, string? path = null, AdminOptions? admin = null)
    {
        Fleet = new Fleet(options);
        Path = path ?? NewSocketPath();
        var factory = new LogFactory();
        var config = new LoggingConfiguration(factory);
        config.AddRuleForAllLevels(_logLines);
        factory.Configuration = config;
        Server = new AdminServer((admin ?? new AdminOptions()) with { Path = Path }, Fleet.Inventory, Dispatcher, new Placer(), factory.GetLogger("vmm.admin"));
        Server.Start();
        Running = Server.RunAsync(_stop.Token);
    }

    public static string NewSocketPath() => System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vmm-{Guid.NewGuid():N}"[..16] + ".sock");

    public Fleet Fleet { get; }

    public FakeDispatcher Dispatcher { get; } = new();

    public AdminServer Server { get; }

    public string Path { get; }

    public Task Running { get; }

    public IList<string> Log => _logLines.Logs;

    public AdminClient Connect() => new(Path);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Running.WaitAsync(TimeSpan.FromSeconds(20));
        _stop.Dispose();
    }
}
