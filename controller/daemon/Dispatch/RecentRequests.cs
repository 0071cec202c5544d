// The requests this controller sent lately, kept so that an operator can have one sent again by its id
// (spec §7.4, request-id): after a timeout (exit 6) the outcome is unknown, and a new request would be a
// second execution; the same request again, same id and same bytes, is answered by hostd's request-id cache
// with the first ACK, or carried out if it never arrived. Bounded: the oldest entry goes when a new one
// comes and the table is full (max-recent-requests), and the evictions are counted.
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Dispatch;

/// <summary>One request as the dispatcher sent it, and what came of it once that is known for good.</summary>
internal sealed class RecentRequest
{
    /// <summary>Its id (spec §7.1).</summary>
    public required ulong Id { get; init; }

    /// <summary>The host it went to: name, hostd endpoint and the boot it was bound to.</summary>
    public required HostTarget Host { get => _host; init => _host = value; }

    private volatile HostTarget _host = null!;

    /// <summary>Its request code.</summary>
    public required RequestCode Code { get; init; }

    /// <summary>Its flags.</summary>
    public required RequestFlags Flags { get; init; }

    /// <summary>The VM (zero for an add that let the host pick, and for ping).</summary>
    public required Guid Vm { get; init; }

    /// <summary>Its parameters as sent, to compare a resubmission with.</summary>
    public required AttrList Parameters { get; init => field = value.Frozen(); }

    /// <summary>The REQUEST as it went out, signed: a resend is these bytes again.</summary>
    public required ReadOnlyMemory<byte> Frame
    {
        get { lock (_gate) return _frame; }
        init => _frame = value;
    }

    private ReadOnlyMemory<byte> _frame;
    private readonly Lock _gate = new();

    /// <summary>The request was bound to a new boot of its host and sent to it (spec §7.1): a resend is that.</summary>
    public void Rebind(HostTarget host, ReadOnlyMemory<byte> frame)
    {
        lock (_gate)
        {
            _frame = frame;
            _host = host;
        }
    }

    /// <summary>How long the controller waited for its ACK.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>The VM's name when the request was sent, once the submit handler said it.</summary>
    public string? VmName { get; set; }

    /// <summary>The RESULT the operator got, once it is final (not timeout, unavailable or busy); null until then.</summary>
    public AdminResultPdu? Final { get; set; }
}

/// <summary>The newest requests by id, at most a given number; safe to use from any thread.</summary>
internal sealed class RecentRequests(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, RecentRequest> _byId = [];
    private readonly Queue<ulong> _order = new();
    private long _evicted;

    /// <summary>The most requests kept (max-recent-requests); 0 keeps none.</summary>
    public int Capacity => capacity;

    /// <summary>Requests kept now.</summary>
    public int Count
    {
        get { lock (_gate) return _byId.Count; }
    }

    /// <summary>Requests dropped to make room for newer ones since the controller started.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Keeps <paramref name="request"/>, dropping the oldest when the table is full.</summary>
    public void Add(RecentRequest request)
    {
        if (capacity == 0) return;
        lock (_gate)
        {
            if (!_byId.TryAdd(request.Id, request)) return;
            _order.Enqueue(request.Id);
            while (_order.Count > capacity)
            {
                _byId.Remove(_order.Dequeue());
                Interlocked.Increment(ref _evicted);
            }
        }
    }

    /// <summary>The request of that id, or null when it is not (or no longer) kept.</summary>
    public RecentRequest? Find(ulong id)
    {
        lock (_gate) return _byId.GetValueOrDefault(id);
    }

    /// <summary>Notes the VM's name and the RESULT of request <paramref name="id"/>; the RESULT is kept only when final.</summary>
    public void Settle(ulong id, string? vmName, AdminResultPdu result)
    {
        if (Find(id) is not { } request) return;
        lock (_gate)
        {
            request.VmName ??= vmName;
            if (IsFinal(result.Code)) request.Final = result;
        }
    }

    /// <summary>Whether an outcome is the request's for good: timeout and unavailable leave it unknown or not
    /// done, and busy asks for the same request again, so those are sent again rather than repeated.</summary>
    public static bool IsFinal(AckCode code) => code is not (AckCode.Timeout or AckCode.Unavailable or AckCode.Busy);

    /// <summary>"12 recent requests kept (of 4096), 3 evicted": for the controller's last log line.</summary>
    public string Summary() => $"{Count} recent requests kept (of {capacity}), {Evicted} evicted";
}
