using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Fuzz.Targets.Internal;

/// <summary>Spots the PDUs of <see cref="KnownIssues.FieldNameCollision"/>: a non-critical attribute named like a fixed field beside it.</summary>
internal static class FieldNames
{
    public static bool Collide(Pdu pdu) => pdu switch
    {
        StatePdu s => Has(s.Facts, AttrType.Host) || s.Vms.Any(Collide),
        AdminHostPdu h => Has(h.Attributes, AttrType.Name),
        AdminVmPdu v => Has(v.Attributes, AttrType.Host) || Collide(v.Vm),
        _ => false,
    };

    private static bool Collide(VmState vm) =>
        Has(vm.Attributes, AttrType.Name) || Has(vm.Attributes, AttrType.Vcpus) || Has(vm.Attributes, AttrType.Memory);

    private static bool Has(AttrList list, AttrType type) => list.Any(a => a.Type == type && !a.Critical);
}
