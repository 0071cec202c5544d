// Writes a PDU's attribute lists out of order (repeats of one type keep their relative order), to check that
// the text parser sorts them as spec §10 says.
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Tests.Generators;

public static class Shuffle
{
    public static Pdu Attributes(Pdu p, Random r) => p switch
    {
        StatePdu s => s with { Facts = List(s.Facts, r), Vms = new(s.Vms.Select(vm => Record(vm, r))) },
        RequestPdu q => q with { Parameters = List(q.Parameters, r) },
        AckPdu a => a with { Results = List(a.Results, r) },
        ErrorPdu e => e with { Attributes = List(e.Attributes, r) },
        AdminQueryPdu q => q with { Filters = List(q.Filters, r) },
        AdminSubmitPdu m => m with { Parameters = List(m.Parameters, r) },
        AdminHostPdu h => h with { Attributes = List(h.Attributes, r) },
        AdminVmPdu v => v with { Vm = Record(v.Vm, r), Attributes = List(v.Attributes, r) },
        AdminResultPdu res => res with { Attributes = List(res.Attributes, r) },
        AdminEventPdu ev => ev with { Attributes = List(ev.Attributes, r) },
        UsagePdu u => u with { Vms = new(u.Vms.Select(vm => vm with { Attributes = List(vm.Attributes, r) })) },
        _ => p,
    };

    private static VmState Record(VmState vm, Random r) => vm with { Attributes = List(vm.Attributes, r) };

    /// <summary>
    /// A list in a random order of types, bypassing <see cref="AttrList.Add(Attr)"/>'s sorting; nested lists
    /// are shuffled too.
    /// </summary>
    private static AttrList List(AttrList list, Random r)
    {
        var groups = list.GroupBy(a => a.Type).Select(g => g.Select(a => a.Nested is null ? a : a with { Nested = List(a.Nested, r) }).ToList()).ToList();
        var order = groups.OrderBy(_ => r.Next()).ToList();
        var result = new AttrList();
        foreach (var g in order)
            foreach (var a in g) ((ValueList<Attr>)result).Add(a);
        return result;
    }
}
