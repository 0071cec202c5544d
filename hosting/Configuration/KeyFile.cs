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
            throw new ConfigException($"key-file: {e.Message} (make one with `vmmctl key generate {path}`)");
        }
    }
}
