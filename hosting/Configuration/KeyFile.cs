using Vmm.Protocol;

namespace Vmm.Hosting.Configuration;

/// <summary>The daemons' `key-file` setting.</summary>
public static class KeyFile
{
    /// <summary>Loads the cluster key; a missing, unreadable or malformed file is one <see cref="ConfigException"/> line that says how to make one.</summary>
    public static ClusterKey Load(string path)
    {
        try
        {
            return ClusterKey.Load(path);
        }
        catch (FormatException e)
        {
            throw new ConfigException($"key-file: {Problem(e, path)}");
        }
    }

    /// <summary>What is wrong with the key file at <paramref name="path"/>, and how to make one.</summary>
    internal static string Problem(FormatException e, string path) => $"{e.Message} (make one with `vmmctl key generate {path}`)";
}
