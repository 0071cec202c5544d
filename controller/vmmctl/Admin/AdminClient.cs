using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Admin;

/// <summary>What a hosts or vms QUERY brought back: the records, then the RESULT that ended the reply.</summary>
internal sealed record QueryReply(IReadOnlyList<AdminHostPdu> Hosts, IReadOnlyList<AdminVmPdu> Vms, AdminResultPdu Result);

/// <summary>
/// The three conversations of the admin protocol (spec §7.4, §7.5), one connection each, so that nothing
/// depends on whether the controller keeps a connection open after a RESULT.
/// </summary>
internal sealed class AdminClient(string socketPath)
{
    public string SocketPath => socketPath;

    /// <summary>QUERY hosts or vms: zero or more HOST or VM PDUs, then one RESULT.</summary>
    public QueryReply Query(QueryKind what, AttrList filters)
    {
        using var c = AdminConnection.Open(socketPath);
        c.Send(new AdminQueryPdu { What = what, Filters = filters });
        var hosts = new List<AdminHostPdu>();
        var vms = new List<AdminVmPdu>();
        while (true)
        {
            switch (c.Receive())
            {
                case AdminResultPdu result:
                    return new QueryReply(hosts, vms, result);
                case AdminHostPdu host when what == QueryKind.Hosts:
                    hosts.Add(host);
                    break;
                case AdminVmPdu vm when what == QueryKind.Vms:
                    vms.Add(vm);
                    break;
                case null:
                    throw c.Lost("closed the connection");
                case var other:
                    throw c.Refuse(new ProtocolException(ProtocolErrorCode.UnexpectedType,
                        $"{other.Type.Name()} in the answer to a {Vmm.Protocol.Text.Names.Of(what)} query"));
            }
        }
    }

    /// <summary>SUBMIT: one RESULT, once the host answered or the controller gave up.</summary>
    public AdminResultPdu Submit(AdminSubmitPdu submit)
    {
        using var c = AdminConnection.Open(socketPath);
        c.RequestInFlight = true;
        c.Send(submit);
        return c.Receive() switch
        {
            AdminResultPdu result => result,
            null => throw c.Lost("closed the connection"),
            var other => throw c.Refuse(new ProtocolException(ProtocolErrorCode.UnexpectedType,
                $"{other.Type.Name()} in the answer to a submit: a submit is answered by one result")),
        };
    }

    /// <summary>
    /// QUERY watch: hands every HOST and VM PDU on as it arrives. Returns null when the controller closes the
    /// connection, or the RESULT with which it ended the watch.
    /// </summary>
    public AdminResultPdu? Watch(AttrList filters, Action<AdminHostPdu> host, Action<AdminVmPdu> vm) =>
        Stream(QueryKind.Watch, filters, host, vm);

    /// <summary>
    /// QUERY drain (spec §7.4): hands the host's HOST PDU and each VM's progress (VM PDUs) on as they arrive, and returns
    /// the RESULT that sums the drain up. A connection closed before it is an error: the drain may go on without us.
    /// </summary>
    public AdminResultPdu Drain(AttrList filters, Action<AdminHostPdu> host, Action<AdminVmPdu> vm) =>
        Stream(QueryKind.Drain, filters, host, vm) ?? throw new AdminException(Exit.Timeout,
            $"the controller at {socketPath} closed the connection before the drain ended: the drain may go on; " +
            "vmmctl host list shows the mark, vmmctl vm list --host HOST what is left");

    /// <summary>
    /// QUERY events (spec §7.7): hands every EVENT PDU on as it arrives. Returns the RESULT that ends the answer (with
    /// follow: that ended the stream), or null when the controller closed the connection first.
    /// </summary>
    public AdminResultPdu? Events(AttrList filters, Action<AdminEventPdu> each)
    {
        using var c = AdminConnection.Open(socketPath);
        c.Send(new AdminQueryPdu { What = QueryKind.Events, Filters = filters });
        while (true)
        {
            switch (c.Receive())
            {
                case null:
                    return null;
                case AdminResultPdu result:
                    return result;
                case AdminEventPdu e:
                    each(e);
                    break;
                case var other:
                    throw c.Refuse(new ProtocolException(ProtocolErrorCode.UnexpectedType, $"{other.Type.Name()} in the answer to an events query"));
            }
        }
    }

    // A query answered by HOST and VM PDUs as they come, then a RESULT; null when the connection closes first.
    private AdminResultPdu? Stream(QueryKind what, AttrList filters, Action<AdminHostPdu> host, Action<AdminVmPdu> vm)
    {
        using var c = AdminConnection.Open(socketPath);
        c.Send(new AdminQueryPdu { What = what, Filters = filters });
        while (true)
        {
            switch (c.Receive())
            {
                case null:
                    return null;
                case AdminResultPdu result:
                    return result;
                case AdminHostPdu h:
                    host(h);
                    break;
                case AdminVmPdu v:
                    vm(v);
                    break;
            }
        }
    }
}
