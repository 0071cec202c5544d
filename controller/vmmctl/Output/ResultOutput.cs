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
        // Whether the request changed anything: false when the VM was already as asked; null unless it succeeded.
        var flags = Flags(r);
        if (r.Code == AckCode.Success) w.WriteBoolean("changed", !flags.HasFlag(AckFlags.Unchanged));
        else w.WriteNull("changed");
        w.WriteBoolean("replayed", flags.HasFlag(AckFlags.Replayed));
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
        var where = new List<string>();
        if (a.Text(AttrType.Host) is { } host) where.Add($"host {host}");
        if (r.RequestId != 0) where.Add($"request {Human.RequestId(r.RequestId)}");
        if (where.Count > 0) line.Append($" [{string.Join(", ", where)}]");
        return line.ToString();
    }

    /// <summary>The host's ACK flags the RESULT carries (ack-flags): unchanged, replayed.</summary>
    public static AckFlags Flags(AdminResultPdu r) => (AckFlags)(r.Attributes.Number(AttrType.AckFlags) ?? 0);

    /// <summary>" (request 5a17c0de:22)" after a success line, saying when the answer is a first one given again;
    /// empty when the RESULT names no request.</summary>
    public static string Request(AdminResultPdu r) =>
        r.RequestId == 0 ? ""
            : Flags(r).HasFlag(AckFlags.Replayed) ? $" (request {Human.RequestId(r.RequestId)}, answered again: done once)"
            : $" (request {Human.RequestId(r.RequestId)})";

    private static string Meaning(AckCode code) => code switch
    {
        AckCode.Failure => "the request was not carried out",
        AckCode.Unsupported => "the host's hypervisor cannot do this",
        AckCode.UnknownRequest => "the host does not know this request",
        AckCode.Busy => "another operation on this VM is in flight; try again shortly",
        AckCode.Timeout => "no answer from the host in time; the request may still take effect (see vmmctl vm show)",
        AckCode.NotFound => "no such VM, host, snapshot, base image or network",
        AckCode.Unavailable => "the host is down or unreachable, no host has room, or an HA VM may not start there yet; nothing was done, try again",
        _ => "an outcome this vmmctl does not know",
    };
}
