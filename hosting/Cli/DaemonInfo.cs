using System.Reflection;

namespace Vmm.Hosting.Cli;

/// <summary>What --help and --version say about a daemon, and where its configuration lives.</summary>
/// <param name="Name">The program name, e.g. <c>vmm-hostd</c>; it prefixes every error line.</param>
/// <param name="Summary">One line: what the program does.</param>
/// <param name="DefaultConfigFile">The main configuration file when --config is not given, e.g. <c>/etc/vmm/hostd.toml</c>.</param>
/// <param name="Version">The version --version prints.</param>
public sealed record DaemonInfo(string Name, string Summary, string DefaultConfigFile, string Version)
{
    /// <summary>The informational version of <paramref name="assembly"/>, without the source revision suffix.</summary>
    public static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
