namespace Vmm.Controller;

/// <summary>The admin socket (spec §2): where it is, who may use it, and its bounds.</summary>
internal sealed record AdminOptions
{
    public const string DefaultPath = "/run/vmm/controller.sock";

    /// <summary>Path of the Unix stream socket.</summary>
    public string Path { get; init; } = DefaultPath;

    /// <summary>Group given the socket file (name or number), so that its members may use vmmctl; null keeps the process's group.</summary>
    public string? Group { get; init; }

    /// <summary>The socket file's mode: owner and group read and write, nobody else.</summary>
    public UnixFileMode Mode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Clients served at once; further connections are closed at once, with a log line.</summary>
    public int MaxClients { get; init; } = 256;

    /// <summary>Admin PDUs a client may send ahead of their answers before the connection is refused.</summary>
    public int MaxPipelined { get; init; } = 64;
}
