using System.Text.Json;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Output;

/// <summary>RESULT PDUs (spec §7.5): a JSON document for scripts, one line on stderr for people when it failed.</summary>
internal static class ResultOutput
{
    public static void Document(Utf8JsonWriter w, AdminResultPdu r)
    {
        var a = r.Attributes;
        w.WriteStartObject();
        w.WriteString("code", Names.Of(r.Code));
        w.WriteNumber("exit", Exit.Of(r.Code));
        w.Id("request-id", r.RequestId);
        w.Uuid("uuid", r.Vm);
        w.StringOrNull("host", a.Text(AttrType.Host));
        w.StringOrNull("message", a.Text(AttrType.Message));
        w.NumberOrNull("error-code", a.Number(AttrType.ErrorCode));
        w.WriteStartArray("snapshots");
        foreach (var s in a.All(AttrType.SnapshotName)) w.WriteStringValue(s.Text);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Why <paramref name="action"/> did not succeed, in one line: the code, the controller's or host's
    /// message (or what the code means when there is none), the hypervisor's error number and the host.
    /// </summary>
    public static string Failure(AdminResultPdu r, string action)
    {
        var a = r.Attributes;
        var line = new System.Text.StringBuilder($"{action}: {Names.Of(r.Code)}: ");
        line.Append(a.Text(AttrType.Message) is { Length: > 0 } message ? message : Meaning(r.Code));
        if (a.Number(AttrType.ErrorCode) is { } error) line.Append($" (hypervisor error {error})");
        if (a.Text(AttrType.Host) is { } host) line.Append($" [host {host}]");
        return line.ToString();
    }

    private static string Meaning(AckCode code) => code switch
    {
        AckCode.Failure => "the request was not carried out",
        AckCode.Unsupported => "the host's hypervisor cannot do this",
        AckCode.UnknownRequest => "the host does not know this request",
        AckCode.Busy => "another operation on this VM is in flight; try again shortly",
        AckCode.Timeout => "no answer from the host in time; the request may still take effect (see vmmctl vm show)",
        AckCode.NotFound => "no such VM, host, snapshot, base image or network",
        AckCode.Unavailable => "the host is down or unreachable, or no host has room",
        _ => "an outcome this vmmctl does not know",
    };
}
