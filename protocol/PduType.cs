namespace Vmm.Protocol;

/// <summary>PDU types (spec §4, "PDU type registry").</summary>
public enum PduType : byte
{
    /// <summary>Host to controller over UDP: host facts and the complete state of some or all VMs.</summary>
    State = 0x01,
    /// <summary>Controller to host over TCP: do something.</summary>
    Request = 0x02,
    /// <summary>Host to controller over TCP: the outcome of one request.</summary>
    Ack = 0x03,
    /// <summary>Either direction on a stream: a stream error; the sender closes the stream after it.</summary>
    Error = 0x04,
    /// <summary>Host to controller over UDP: CPU, memory, disk and network counters of the host's VMs (spec §16).</summary>
    Usage = 0x05,
    /// <summary>vmmctl to controller: list hosts or VMs, or watch changes.</summary>
    AdminQuery = 0x10,
    /// <summary>vmmctl to controller: perform a request on a VM chosen by name or uuid.</summary>
    AdminSubmit = 0x11,
    /// <summary>Controller to vmmctl: one host of the inventory.</summary>
    AdminHost = 0x12,
    /// <summary>Controller to vmmctl: one VM of the inventory.</summary>
    AdminVm = 0x13,
    /// <summary>Controller to vmmctl: the end of a reply, with its outcome.</summary>
    AdminResult = 0x14,
    /// <summary>Controller to vmmctl: one event of the controller's history (spec §7.7).</summary>
    AdminEvent = 0x15,
}

/// <summary>Registry names and checks for <see cref="PduType"/>.</summary>
public static class PduTypes
{
    /// <summary>True when <paramref name="type"/> is in the registry.</summary>
    public static bool IsKnown(byte type) => type is >= 0x01 and <= 0x05 or >= 0x10 and <= 0x15;

    /// <summary>The registry name (text form keyword).</summary>
    public static string Name(this PduType type) => type switch
    {
        PduType.State => "state",
        PduType.Request => "request",
        PduType.Ack => "ack",
        PduType.Error => "error",
        PduType.Usage => "usage",
        PduType.AdminQuery => "query",
        PduType.AdminSubmit => "submit",
        PduType.AdminHost => "host",
        PduType.AdminVm => "vm",
        PduType.AdminResult => "result",
        PduType.AdminEvent => "event",
        _ => "0x" + ((byte)type).ToString("x2", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>True for the admin family, which travels unsigned on the controller's local socket.</summary>
    public static bool IsAdmin(this PduType type) => (byte)type >= 0x10;
}
