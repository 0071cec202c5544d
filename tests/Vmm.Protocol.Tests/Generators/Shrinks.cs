// Shrinkers: a failing PDU is cut down (attributes, records, trailer) to the smallest one that still fails,
// so a counterexample reads like a bug report.
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Tests.Generators;

/// <summary>Shrinkers for the generated values; each candidate is still valid on the wire.</summary>
public static class Shrinks
{
    /// <summary>Smaller PDUs of the same type: trailer cleared, one attribute or record fewer, a record simplified.</summary>
    public static IEnumerable<Pdu> Pdu(Pdu p)
    {
        if (p.KeyId != 0 || p.Tag != 0) yield return p with { KeyId = 0, Tag = 0 };
        switch (p)
        {
            case StatePdu s:
                for (int i = 0; i < s.Vms.Count; i++) yield return s with { Vms = Without(s.Vms, i) };
                foreach (var l in List(s.Facts)) yield return s with { Facts = l };
                for (int i = 0; i < s.Vms.Count; i++)
                    foreach (var vm in Vm(s.Vms[i])) yield return s with { Vms = Replace(s.Vms, i, vm) };
                break;
            case RequestPdu r:
                foreach (var l in List(r.Parameters)) yield return r with { Parameters = l };
                break;
            case AckPdu a:
                foreach (var l in List(a.Results)) yield return a with { Results = l };
                break;
            case ErrorPdu e:
                foreach (var l in List(e.Attributes)) yield return e with { Attributes = l };
                break;
            case AdminQueryPdu q:
                foreach (var l in List(q.Filters)) yield return q with { Filters = l };
                break;
            case AdminSubmitPdu m:
                foreach (var l in List(m.Parameters)) yield return m with { Parameters = l };
                break;
            case AdminHostPdu h:
                foreach (var l in List(h.Attributes)) yield return h with { Attributes = l };
                break;
            case AdminVmPdu v:
                foreach (var l in List(v.Attributes)) yield return v with { Attributes = l };
                foreach (var vm in Vm(v.Vm)) yield return v with { Vm = vm };
                break;
            case AdminResultPdu r:
                foreach (var l in List(r.Attributes)) yield return r with { Attributes = l };
                break;
            case AdminEventPdu e:
                foreach (var l in List(e.Attributes)) yield return e with { Attributes = l };
                break;
        }
    }

    private static IEnumerable<VmState> Vm(VmState vm)
    {
        if (vm.Name.Length > 0) yield return vm with { Name = "" };
        foreach (var l in List(vm.Attributes)) yield return vm with { Attributes = l };
    }

    /// <summary>The list without one attribute, or with one nested list shrunk.</summary>
    public static IEnumerable<AttrList> List(AttrList list)
    {
        for (int i = 0; i < list.Count; i++)
        {
            var l = new AttrList();
            for (int j = 0; j < list.Count; j++)
                if (j != i) l.Add(list[j]);
            yield return l;
        }
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].Nested is not { Count: > 0 } nested) continue;
            foreach (var smaller in List(nested))
            {
                var l = new AttrList();
                for (int j = 0; j < list.Count; j++) l.Add(j == i ? list[j] with { Nested = smaller } : list[j]);
                yield return l;
            }
        }
    }

    public static IEnumerable<byte[]> Bytes(byte[] b)
    {
        if (b.Length == 0) yield break;
        yield return b[..(b.Length / 2)];
        yield return b[(b.Length / 2)..];
        for (int i = b.Length - 1; i >= 0 && i >= b.Length - 8; i--) yield return [.. b[..i], .. b[(i + 1)..]];
    }

    public static IEnumerable<string> Chars(string s)
    {
        if (s.Length == 0) yield break;
        yield return s[..(s.Length / 2)];
        yield return s[(s.Length / 2)..];
        for (int i = 0; i < s.Length; i++) yield return s.Remove(i, 1);
    }

    private static ValueList<T> Without<T>(ValueList<T> l, int i) => new(l.Where((_, j) => j != i));

    private static ValueList<T> Replace<T>(ValueList<T> l, int i, T v) => new(l.Select((x, j) => j == i ? v : x));
}
