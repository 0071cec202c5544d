namespace Vmm.Hosting.Cli;

/// <summary>Exit codes shared by the daemons (and listed by their --help).</summary>
public static class ExitCodes
{
    /// <summary>Success, or a clean stop.</summary>
    public const int Ok = 0;

    /// <summary>The daemon ran and failed (a resource it needs could not be had).</summary>
    public const int Failure = 1;

    /// <summary>A bad command line or configuration: nothing was started.</summary>
    public const int Usage = 2;
}
