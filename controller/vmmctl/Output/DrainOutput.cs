using System.Text.Json;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Output;

/// <summary>
/// vmmctl host drain (spec §7.4, drain): a line for each PDU of the drain as it arrives (the host marked, each VM's
/// move starting and ending, or why it is not moved), and with --json one document at the end.
/// </summary>
internal sealed class DrainOutput(string host, TextWriter? lines)
{
    private AdminHostPdu? _host;
    private readonly List<AdminVmPdu> _vms = [];

    public void Host(AdminHostPdu h)
    {
        _host = h;
        lines?.Write($"host {h.Name}: marked draining; {Human.Number(h.Attributes.Number(AttrType.VmCount))} VMs\n");
    }

    public void Vm(AdminVmPdu v)
    {
        var outcome = Outcome(v);
        if (outcome != DrainOutcome.Moving) _vms.Add(v);
        if (lines is null) return;
        var a = v.Attributes;
        string name = v.Vm.Name;
        string line = outcome switch
        {
            DrainOutcome.Moving => $"moving {name} to {a.Text(AttrType.DestHost)}",
            DrainOutcome.Moved => $"moved {name} to {v.Host} in {Seconds(a.Number(AttrType.DurationUs))}",
            _ => $"not moved ({Names.Of(outcome)}): {a.Text(AttrType.Message) ?? name}",
        };
        lines.Write(line + "\n");
        lines.Flush();
    }

    /// <summary>{"host": {...host list's object}, "vms": [{...vm list's object, "outcome", "dest-host", "message", "duration-ms"}], "result": {...}}.</summary>
    public void Document(Utf8JsonWriter w, AdminResultPdu result)
    {
        w.WriteStartObject();
        w.WriteString("name", host);
        w.WritePropertyName("host");
        if (_host is null) w.WriteNullValue();
        else HostOutput.Object(w, _host);
        w.WriteStartArray("vms");
        foreach (var v in _vms)
        {
            var a = v.Attributes;
            w.WriteStartObject();
            w.WriteString("name", v.Vm.Name);
            w.WriteString("uuid", v.Vm.Uuid.ToString());
            w.WriteString("host", v.Host);
            w.WriteString("outcome", Names.Of(Outcome(v)));
            w.StringOrNull("dest-host", a.Text(AttrType.DestHost));
            w.StringOrNull("message", a.Text(AttrType.Message));
            w.NumberOrNull("duration-ms", a.Number(AttrType.DurationUs) / 1000);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WritePropertyName("result");
        ResultOutput.Document(w, result);
        w.WriteEndObject();
    }

    private static DrainOutcome Outcome(AdminVmPdu v) => (DrainOutcome)(v.Attributes.Number(AttrType.DrainOutcome) ?? (byte)DrainOutcome.Failed);

    private static string Seconds(ulong? us) => us is { } t ? (t / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s" : "-";
}
