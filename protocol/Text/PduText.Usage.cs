using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Text;

// The text form of USAGE (spec §10, §16): usage host= boot= sampled= page= pages= interval= vm={uuid= counters...}*
public static partial class PduText
{
    private static readonly string[] UsageFields = ["host", "boot", "sampled", "page", "pages", "interval", "vm", "tag"];
    private static readonly string[] UsageRecordFields = ["uuid"];

    private static void FormatUsage(Fields f, UsagePdu u)
    {
        f.Raw("host", u.Host).Hex("boot", u.BootId, always: true).Num("sampled", u.SampledMs, always: true)
            .Num("page", u.Page).Num("pages", u.Pages, always: true).Num("interval", u.IntervalMs);
        foreach (var vm in u.Vms)
        {
            f.Open("vm").Uuid("uuid", vm.Uuid);
            if (vm.Uuid == Guid.Empty) f.Sb.Append("uuid=").Append(Guid.Empty.ToString("D"));
            f.Attrs(vm.Attributes, UsageRecordFields).Close();
        }
    }

    private static UsagePdu ParseUsage(FieldSet fields) => new()
    {
        Host = fields.Text("host", required: true), BootId = fields.U64("boot", required: true),
        SampledMs = fields.U64("sampled", required: true), Page = (ushort)fields.Int("page", ushort.MaxValue),
        Pages = (ushort)fields.Int("pages", ushort.MaxValue), IntervalMs = (uint)fields.Int("interval", uint.MaxValue),
        Vms = new ValueList<VmUsage>(fields.TakeAll("vm").Select(n => UsageRecord(new FieldSet(n.Children("vm"), "vm")))),
    };

    private static VmUsage UsageRecord(FieldSet f)
    {
        var vm = new VmUsage { Uuid = f.Uuid("uuid", required: true), Attributes = f.Attributes() };
        f.EnsureEmpty();
        return vm;
    }
}
