// The controller's way to its hosts (spec §7.1, §7.6): each request gets a fresh id, waits for one of its
// host's slots, and goes out on that host's pooled connection; Flight carries it from there to its outcome.
// Links to hosts are made on first use and dropped once idle.
using System.Net;
using NLog;
using Vmm.Hosting.Metrics;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Dispatch;

/// <summary>Sends requests to hosts over pooled, pipelined TCP connections and waits for their ACKs.</summary>
internal sealed partial class Dispatcher : IDispatcher, IAsyncDisposable
{
    private readonly DispatchContext _context;
    private readonly HostKeys _keys;
    private readonly DispatchOptions _options;
    private readonly Logger _log;
    private readonly TimeProvider _time;
    private readonly RequestIds _ids;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sweeping;

    // One link per host name and hostd endpoint (a connection is checked with its host's key); guarded by _gate,
    // as are each link's Users and _stopped.
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Name, IPEndPoint Endpoint), HostLink> _links = [];
    private bool _stopped;

    /// <summary>
    /// A dispatcher that signs every REQUEST and checks every ACK with the key of its host, from <paramref name="keys"/>; every deadline,
    /// backoff and idle check runs on <paramref name="time"/> (default: the system clock). Throws
    /// <see cref="ArgumentOutOfRangeException"/> for options out of range. <paramref name="adoptBoot"/> learns of every
    /// new boot an ACK proves (the inventory adopts it, spec §6.6).
    /// </summary>
    public Dispatcher(HostKeys keys, DispatchOptions options, Logger log, TimeProvider? time = null, Func<string, ulong, bool>? adoptBoot = null,
        Action<string, byte[]>? carriedState = null)
    {
        options.Validate();
        _keys = keys;
        _options = options;
        _log = log;
        _time = time ?? TimeProvider.System;
        _context = new DispatchContext(keys, options, log, _time, adoptBoot, carriedState);
        _ids = _context.Ids;
        Recent = new RecentRequests(options.MaxRecentRequests);
        _sweeping = SweepAsync();
    }

    /// <summary>The options it runs with.</summary>
    public DispatchOptions Options => _options;

    /// <summary>Requests by code and outcome, and how long each took from its call to its outcome (the metrics).</summary>
    public RequestMetrics Requests { get; } = new();

    /// <summary>Links to hosts held now (made on first use, dropped once idle), and requests holding a slot of one.</summary>
    public (int Links, int InFlight) Load()
    {
        lock (_gate)
        {
            int inFlight = 0;
            foreach (var link in _links.Values) inFlight += _options.MaxInFlightPerHost - link.Slots.CurrentCount;
            return (_links.Count, inFlight);
        }
    }

    /// <summary>The high 32 bits of every request id this dispatcher sends (spec §7.1).</summary>
    public uint Origin => _ids.Origin;

    /// <inheritdoc/>
    public Task<DispatchResult> SendAsync(HostTarget host, RequestCode code, RequestFlags flags, Guid vm, AttrList parameters, CancellationToken cancel)
    {
        var timeout = _options.TimeoutFor(code, parameters);
        return InSlotAsync(host, code, vm, 0, timeout, cancel,
            (link, deadline, started) => FlyAsync(link, host, code, flags, vm, parameters, timeout, started, deadline, cancel));
    }

    // What every request goes through: the host's link, one of its slots, and one token for the request's whole
    // life (its deadline, the caller's cancel and the dispatcher's stop), which `fly` gets. A request that never got
    // a slot was never sent (`id`, 0 for a new one, has not reached the host).
    private async Task<DispatchResult> InSlotAsync(HostTarget host, RequestCode code, Guid vm, ulong id, TimeSpan timeout, CancellationToken cancel,
        Func<HostLink, CancellationToken, long, Task<DispatchResult>> fly)
    {
        long started = _time.GetTimestamp();
        var link = Rent(host);
        if (link is null) return Result(AckCode.Unavailable, id, vm, $"not sent to {host.Name}: the controller is stopping");
        try
        {
            using var expiry = new CancellationTokenSource(timeout, _time);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stopping.Token, expiry.Token);
            try
            {
                await link.Slots.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                return Logged(host, code, vm, 0, started, _stopping.IsCancellationRequested
                    ? Result(AckCode.Unavailable, id, vm, $"not sent to {host.Name}: the controller is stopping")
                    : Result(AckCode.Timeout, id, vm,
                        $"not sent to {host.Name}: its {_options.MaxInFlightPerHost} request slots stayed taken for {DispatchOptions.Seconds(timeout)} s"));
            }
            try
            {
                return await fly(link, deadline.Token, started).ConfigureAwait(false);
            }
            finally
            {
                link.Slots.Release();
            }
        }
        finally
        {
            Return(link);
        }
    }

    /// <summary>Stops every connection; requests still waiting complete with timeout or unavailable.</summary>
    public async ValueTask DisposeAsync()
    {
        HostLink[] links;
        lock (_gate)
        {
            if (_stopped) return;
            _stopped = true;
            links = [.. _links.Values];
            _links.Clear();
        }
        _stopping.Cancel();
        await _sweeping.ConfigureAwait(false);
        foreach (var link in links) await link.StopAsync("the dispatcher is stopping").ConfigureAwait(false);
    }

    /// <summary>A result the controller makes itself (timeout, unavailable, ...), its reason in <c>message</c>.</summary>
    internal static DispatchResult Result(AckCode code, ulong requestId, Guid vm, string message) =>
        new(code, requestId, vm, new AttrList().AddMessage(message));

    // The id is drawn only now, with a slot held: ids then reach a host roughly in counter order, which keeps
    // them inside hostd's replay window (§7.6) however long a request waited for its slot.
    private async Task<DispatchResult> FlyAsync(HostLink link, HostTarget host, RequestCode code, RequestFlags flags, Guid vm,
        AttrList parameters, TimeSpan timeout, long started, CancellationToken deadline, CancellationToken cancel)
    {
        if (!_ids.TryNext(out ulong id))
            return Logged(host, code, vm, 0, started, Result(AckCode.Failure, 0, vm,
                "this controller has used up its 4294967295 request ids; restart it to draw a new origin"));
        Flight flight;
        try
        {
            flight = new Flight(host, link, new RequestPdu { RequestId = id, BootId = host.BootId, Code = code, Flags = flags, Vm = vm, Parameters = parameters }, timeout, _context);
        }
        catch (ProtocolException e)
        {
            return Logged(host, code, vm, 0, started, Result(AckCode.Failure, id, vm, $"cannot encode the {Names.Of(code)} request: {e.Message}"));
        }
        var recent = new RecentRequest { Id = id, Host = host, Code = code, Flags = flags, Vm = vm, Parameters = parameters, Frame = flight.Frame, Timeout = timeout };
        // A lease renewal is the controller's own, every second for every host (spec §15.2): kept, it would push the
        // operators' requests out of the recent ones that --request-id sends again.
        if (code != RequestCode.Lease) Recent.Add(recent);
        DispatchResult result;
        try
        {
            result = await flight.RunAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            result = flight.Unanswered(_stopping.IsCancellationRequested);
        }
        // Sent again to a new boot: a resend by id is those bytes, to that boot.
        if (flight.BootId != host.BootId) recent.Rebind(host with { BootId = flight.BootId }, flight.Frame);
        return Logged(host, code, vm, flight.Sends, started, result);
    }

    private DispatchResult Logged(HostTarget host, RequestCode code, Guid vm, int sends, long started, DispatchResult result)
    {
        Requests.Record(code, result.Code, _time.GetElapsedTime(started));
        if (_log.IsDebugEnabled)
        {
            string? message = result.Results.Text(AttrType.Message);
            _log.Debug("request {Id:x16} {Code} {Vm} to {Host}: {Outcome}{Message} after {Sends} sends in {Ms} ms",
                result.RequestId, Names.Of(code), vm, host.Name, Names.Of(result.Code), message is null ? "" : $" ({message})",
                sends, (long)_time.GetElapsedTime(started).TotalMilliseconds);
        }
        return result;
    }

    private HostLink? Rent(HostTarget host)
    {
        lock (_gate)
        {
            if (_stopped) return null;
            if (!_links.TryGetValue((host.Name, host.Endpoint), out var link))
                _links.Add((host.Name, host.Endpoint), link = new HostLink(host.Name, host.Endpoint, _context));
            link.Users++;
            return link;
        }
    }

    private void Return(HostLink link)
    {
        lock (_gate) link.Users--;
    }

    // Closes connections that carried nothing for IdleTimeout (and forgets links no request uses), so a
    // controller that once talked to a thousand hosts does not keep a thousand sockets open.
    private async Task SweepAsync()
    {
        var period = TimeSpan.FromMilliseconds(Math.Max(10, _options.IdleTimeout.TotalMilliseconds / 2));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                List<HostLink> idle = [];
                lock (_gate)
                {
                    foreach (var link in _links.Values)
                        if (link.Users == 0 && link.IsIdle(_options.IdleTimeout)) idle.Add(link);
                    foreach (var link in idle) _links.Remove((link.Name, link.Endpoint));
                }
                foreach (var link in idle)
                    await link.StopAsync($"idle for {DispatchOptions.Seconds(_options.IdleTimeout)} s").ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
