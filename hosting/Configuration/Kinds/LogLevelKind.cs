using NLog;
using Vmm.Hosting.Configuration.Internal;

namespace Vmm.Hosting.Configuration.Kinds;

/// <summary>The least severe log level written: error, warn, info, debug or trace.</summary>
internal sealed class LogLevelKind : ConfigKind<LogLevel>
{
    public override string Placeholder => "LEVEL";

    public override string Constraint => "error|warn|info|debug|trace";

    public override LogLevel Parse(string text) => text.ToLowerInvariant() switch
    {
        "error" => LogLevel.Error,
        "warn" or "warning" => LogLevel.Warn,
        "info" => LogLevel.Info,
        "debug" => LogLevel.Debug,
        "trace" => LogLevel.Trace,
        _ => throw new FormatException($"{RawValue.Quoted(text)} is not a log level (error, warn, info, debug, trace)"),
    };

    public override string Format(LogLevel value) => value.Name.ToLowerInvariant();
}
