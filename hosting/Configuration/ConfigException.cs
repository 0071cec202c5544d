namespace Vmm.Hosting.Configuration;

/// <summary>
/// The one exception configuration and command-line handling raise for bad input. Its message is a single
/// line that names where the problem is (file:line, variable or flag), the setting, and what was wrong,
/// fit to print after the program's name as it is.
/// </summary>
public sealed class ConfigException(string message) : Exception(message);
