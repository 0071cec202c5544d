// The controller's admin answers (spec §7.5) built from inventory views.
using Vmm.Controller.Events;
using Vmm.Controller.Inventory;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Admin;

internal static class AdminReplies
{
    /// <summary>HOST: boot, sequence, state, name; facts, address, age-ms, accepted, dropped, host-status, note.</summary>
    public static AdminHostPdu Host(HostView h, string? note = null)
    {
        var attrs = new AttrList();
        h.Facts.AddTo(attrs);
        if (h.Address is { } address) attrs.Add(AttrType.Address, address.ToString());
        if (h.AgeMs is { } age) attrs.Add(AttrType.AgeMs, Ms(age));
        attrs.Add(AttrType.Accepted, h.Accepted);
        attrs.Add(AttrType.Dropped, h.Dropped);
        if (h.Draining) attrs.Add(AttrType.Draining, 1);
        if (h.Status != HostStatus.None) attrs.Add(AttrType.HostStatus, (byte)h.Status);
        if (note is not null) attrs.Add(AttrType.Note, AttrRegistry.Cut(AttrType.Note, note));
        h.Usage?.AddTo(attrs);
        return new AdminHostPdu { BootId = h.BootId, Sequence = h.Sequence, State = h.State, Name = h.Name, Attributes = attrs };
    }

    /// <summary>VM: host and record (power unknown while the host is not up); age-ms, last-power, last-code, last-ack, note.</summary>
    public static AdminVmPdu Vm(VmView v, string? note = null)
    {
        var attrs = new AttrList().Add(AttrType.AgeMs, Ms(v.AgeMs));
        if (v.Last is { } last)
        {
            attrs.Add(AttrType.LastAck, (byte)last.Ack);
            attrs.Add(AttrType.LastCode, (byte)last.Code);
        }
        if (v.Unknown && !v.Removed) attrs.Add(AttrType.LastPower, (byte)v.ReportedPower);
        if (note is not null) attrs.Add(AttrType.Note, AttrRegistry.Cut(AttrType.Note, note));
        v.Usage?.AddTo(attrs);
        return new AdminVmPdu { Host = v.Host, Vm = v.ToState(), Attributes = attrs };
    }

    /// <summary>RESULT with a code and, when given, a one-line message.</summary>
    public static AdminResultPdu Result(AckCode code, string? message = null, ulong requestId = 0, Guid vm = default, string? host = null)
    {
        var attrs = new AttrList();
        if (message is { Length: > 0 }) attrs.AddMessage(message);
        if (host is not null) attrs.Add(AttrType.Host, host);
        return new AdminResultPdu { Code = code, RequestId = requestId, Vm = vm, Attributes = attrs };
    }

    /// <summary>
    /// RESULT of a request sent to <paramref name="host"/>: the outcome's code and id, the VM, the host's message,
    /// error-code and snapshot names, the host, and the ACK's flags as ack-flags (spec §7.5) when it has any.
    /// </summary>
    public static AdminResultPdu Outcome(DispatchResult outcome, Guid vm, string host)
    {
        var attrs = new AttrList();
        foreach (var a in outcome.Results)
            if (a.Type is AttrType.Message or AttrType.ErrorCode or AttrType.SnapshotName) attrs.Add(a);
        attrs.Add(AttrType.Host, host);
        if (outcome.Flags != AckFlags.None) attrs.Add(AttrType.AckFlags, (byte)outcome.Flags);
        return new AdminResultPdu { Code = outcome.Code, RequestId = outcome.RequestId, Vm = vm, Attributes = attrs };
    }

    /// <summary>EVENT (spec §7.7): id, time, kind, VM; then what the kind records, attributes in type order.</summary>
    public static AdminEventPdu Event(in Event e)
    {
        var attrs = new AttrList();
        if (e.Name is not null) attrs.Add(AttrType.Name, e.Name);
        if (e.Kind == EventKind.Request)
        {
            if (e.Text is { Length: > 0 } message) attrs.AddMessage(message);
            attrs.Add(AttrType.DurationUs, (ulong)Math.Max(0, e.DurationUs));
        }
        if (e.Host is not null) attrs.Add(AttrType.Host, e.Host);
        switch (e.Kind)
        {
            case EventKind.Request:
                attrs.Add(AttrType.LastAck, (byte)e.Ack).Add(AttrType.LastCode, e.Value);
                if (e.RequestId != 0) attrs.Add(AttrType.RequestId, e.RequestId);
                break;
            case EventKind.Vm:
                attrs.Add(AttrType.LastPower, e.Value);
                break;
        }
        if (e.Kind is EventKind.Host or EventKind.Decision && e.Text is { Length: > 0 } note) attrs.Add(AttrType.Note, AttrRegistry.Cut(AttrType.Note, note));
        if (e.FromAdmin) attrs.Add(AttrType.Uid, e.Uid);
        if (e.Kind == EventKind.Host) attrs.Add(AttrType.HostState, e.Value);
        return new AdminEventPdu { Id = (ulong)e.Id, TimeMs = (ulong)e.TimeMs, Kind = e.Kind, Vm = e.Vm, Attributes = attrs };
    }

    private static ulong Ms(long ms) => (ulong)Math.Clamp(ms, 0, uint.MaxValue);
}
