// Reading the parameters of a REQUEST (spec §8.1). The codec has checked each value's kind and size; what is
// left is presence and range, reported as one line naming the parameter (a failure ack).
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt;

internal static class Parameters
{
    public static ulong RequiredNumber(AttrList p, AttrType type, string name, string what) =>
        p.Number(type) ?? throw new SpecException($"{name} is required: {what}");

    public static string RequiredText(AttrList p, AttrType type, string name, string what) =>
        p.Text(type) ?? throw new SpecException($"{name} is required: {what}");

    public static AttrList RequiredNested(AttrList p, AttrType type, string name, string what) =>
        p.Find(type)?.Nested ?? throw new SpecException($"{name} is required: {what}");
}
