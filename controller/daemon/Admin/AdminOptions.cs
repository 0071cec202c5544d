namespace Vmm.Controller.Admin;

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

    /// <summary>Clients served at once; further connections are closed at once, with a log line. The last
    /// <see cref="RootReserve"/> are kept for root, so that no other user can lock root out.</summary>
    public int MaxClients { get; init; } = 256;

    /// <summary>Connections kept for root within <see cref="MaxClients"/>.</summary>
    public const int RootReserve = 8;

    /// <summary>Clients of one uid served at once.</summary>
    public int MaxClientsPerUid { get; init; } = 32;

    /// <summary>How long a connection may wait with nothing to answer (no PDU being read to its end, answered or
    /// watched) before it is closed: a client that connects and sends nothing, or half a PDU, holds no slot longer.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Admin PDUs a client may send ahead of their answers before the connection is refused.</summary>
    public int MaxPipelined { get; init; } = 64;

    /// <summary>How long the last answer of a stopping controller, or of a dropped watch, may take to write: a
    /// client that does not read is not waited for longer (short, so that SIGTERM ends the controller at once).</summary>
    public TimeSpan LastAnswerLimit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>VMs a drain moves at once when its QUERY does not say (drain-parallel; spec §7.4, parallel).</summary>
    public int DrainParallel { get; init; } = 2;
}
