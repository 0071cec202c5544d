namespace Vmm.Ctl.Admin;

/// <summary>Where the controller's admin socket is (spec §2): --socket, else $VMM_SOCKET, else the packaged path.</summary>
internal static class ControllerSocket
{
    public const string DefaultPath = "/run/vmm/controller.sock";
    public const string EnvironmentVariable = "VMM_SOCKET";

    public static string Resolve(string? option)
    {
        if (option is not null)
            return option.Length > 0 ? option : throw new UsageException("--socket needs a path");
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrEmpty(env) ? DefaultPath : env;
    }
}
