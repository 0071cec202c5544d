using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>An IDispatcher that records what it was asked and answers as told.</summary>
internal sealed class FakeDispatcher : IDispatcher
{
    public sealed record Call(HostTarget Host, RequestCode Code, RequestFlags Flags, Guid Vm, AttrList Parameters);

    public List<Call> Calls { get; } = [];

    public Func<Call, DispatchResult> Answer { get; set; } = c => new DispatchResult(AckCode.Success, 0x1_0000_0001, c.Vm, []);

    /// <summary>When set, answers instead of <see cref="Answer"/>: a host that takes its time (or never answers).</summary>
    public Func<Call, CancellationToken, Task<DispatchResult>>? AnswerAsync { get; set; }

    /// <summary>Keeps nothing: sending again by id is the real dispatcher's (end-to-end tests).</summary>
    public Vmm.Controller.Dispatch.RecentRequests? Recent => null;

    public Task<DispatchResult> ResendAsync(Vmm.Controller.Dispatch.RecentRequest request, CancellationToken cancel) =>
        throw new NotSupportedException("FakeDispatcher keeps no requests");

    public Task<DispatchResult> SendAsync(HostTarget host, RequestCode code, RequestFlags flags, Guid vm, AttrList parameters, CancellationToken cancel)
    {
        var call = new Call(host, code, flags, vm, parameters);
        lock (Calls) Calls.Add(call);
        return AnswerAsync is { } answer ? answer(call, cancel) : Task.FromResult(Answer(call));
    }
}
