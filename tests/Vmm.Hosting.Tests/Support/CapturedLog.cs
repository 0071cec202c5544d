using NLog;
using NLog.Config;
using NLog.Targets;

namespace Vmm.Hosting.Tests.Support;

/// <summary>A logger of its own factory (not the process-wide Log) whose lines the test reads: "LEVEL message".</summary>
internal sealed class CapturedLog
{
    private readonly MemoryTarget _target = new() { Layout = "${level:uppercase=true} ${message}" };

    public CapturedLog()
    {
        var factory = new LogFactory();
        var config = new LoggingConfiguration(factory);
        config.AddRuleForAllLevels(_target);
        factory.Configuration = config;
        Logger = factory.GetLogger("test");
    }

    public Logger Logger { get; }

    public IReadOnlyList<string> Lines => [.. _target.Logs];
}
