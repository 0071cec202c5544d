using System.Text.Json;
using Vmm.E2E.Harness;

namespace Vmm.E2E.Tests;

/// <summary>Reading vmmctl's JSON and virsh's answers about one VM.</summary>
internal static class Vms
{
    /// <summary>A VM name no other test (or earlier run) uses.</summary>
    public static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    public static string Power(this JsonElement vm) => vm.GetProperty("power").GetString()!;

    public static string HostOf(this JsonElement vm) => vm.GetProperty("host").GetString()!;

    public static int Vcpus(this JsonElement vm) => vm.GetProperty("vcpus").GetInt32();

    /// <summary>The VM's memory in KiB (vmmctl's JSON gives bytes).</summary>
    public static ulong MemoryKib(this JsonElement vm) => vm.GetProperty("memory").GetUInt64() / 1024;

    public static JsonElement[] Disks(this JsonElement vm) => [.. vm.GetProperty("disks").EnumerateArray()];

    public static JsonElement[] Nics(this JsonElement vm) => [.. vm.GetProperty("nics").EnumerateArray()];

    public static int Snapshots(this JsonElement vm) => vm.GetProperty("snapshots").GetInt32();

    /// <summary>virsh domstate: "running", "paused", "shut off", ...; null when the host has no such domain.</summary>
    public static string? DomState(this QemuHost host, string vm)
    {
        var r = host.Virsh("domstate", vm);
        return r.Code == 0 ? r.Out.Trim() : null;
    }

    /// <summary>The domain's live XML (inactive XML when it is off).</summary>
    public static string DumpXml(this QemuHost host, string vm) => host.VirshOk("dumpxml", vm);

    /// <summary>The volume names of Vmm's pool on the host.</summary>
    public static string[] Volumes(this QemuHost host)
    {
        host.VirshOk("pool-refresh", "vmm");
        return host.VirshOk("vol-list", "vmm").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split(' ', 2)[0]).ToArray();
    }
}
