namespace Vmm.Ctl.Admin;

/// <summary>
/// The conversation with the controller failed: it could not be reached, broke off, or said something
/// outside the protocol. Carries the exit code and the one line to show.
/// </summary>
internal sealed class AdminException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
