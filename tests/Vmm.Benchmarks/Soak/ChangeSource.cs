// A host whose VMs never stop changing: one simulated host (its own boot id and sequence, signed as hostd signs)
// with 8 VMs, each of its event datagrams flipping every VM between running and paused, so that every datagram
// the controller applies is 8 changes for its watchers. A complete report goes out every second as well, so that
// the host stays up however long the flow lasts.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Benchmarks.Soak;

internal sealed class ChangeSource : IDisposable
{
    public const int VmCount = 8;
    public const string HostName = "churn-01";

    private readonly ClusterKey _key;
    private readonly Socket _socket;
    private readonly byte[] _datagram = new byte[PduHeader.MaxDatagram];
    private readonly VmState[][] _vms;   // [0]: every VM running, [1]: every VM paused
    private readonly AttrList _facts;
    private readonly ulong _boot = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
    private ulong _sequence;
    private uint _report;
    private int _flip;

    /// <param name="key">The cluster master key: the source signs with the host key derived from it for its name (spec §3.3).</param>
    /// <param name="controller">Where its datagrams go.</param>
    public ChangeSource(ClusterKey key, IPEndPoint controller)
    {
        _key = key.DeriveHostKey(HostName);
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Connect(controller);
        var uuids = Enumerable.Range(0, VmCount).Select(i => new Guid($"63687572-6e00-4000-8000-{i:x12}")).ToArray();
        _vms = [.. new[] { PowerState.Running, PowerState.Paused }.Select(power => uuids.Select((u, i) => new VmState
        {
            Uuid = u, Power = power, Reason = 1, Flags = VmFlags.Persistent, Vcpus = 1, MemoryKib = 65536, Name = $"churn-{i:d2}", Attributes = [],
        }).ToArray())];
        _facts = new AttrList().Add(AttrType.Cpus, 64).Add(AttrType.MemoryTotal, 64UL << 20).Add(AttrType.MemoryFree, 32UL << 20)
            .Add(AttrType.Port, 7401).Add(AttrType.VmCount, VmCount);
    }

    /// <summary>VM changes sent so far (8 a flip datagram).</summary>
    public long Changes { get; private set; }

    /// <summary>A complete report of the VMs as they are now.</summary>
    public void Report()
    {
        var w = new StateWriter(_datagram, _boot, ++_sequence, ++_report, 0, 1, HostStatus.None, HostName, _facts);
        foreach (var vm in _vms[_flip]) w.TryAdd(vm);
        Send(w.Finish(_key));
    }

    /// <summary>One event datagram: every VM flips.</summary>
    public void Flip()
    {
        _flip ^= 1;
        var w = new StateWriter(_datagram, _boot, ++_sequence, 0, 0, 0, HostStatus.None, HostName, null);
        foreach (var vm in _vms[_flip]) w.TryAdd(vm);
        Send(w.Finish(_key));
        Changes += VmCount;
    }

    /// <summary>
    /// Sends flips until <paramref name="changes"/> changes went out, at <paramref name="datagramsPerSecond"/>, with a
    /// report every second; <paramref name="stop"/> is asked every 1,000 datagrams and ends the flow early when true.
    /// </summary>
    public void Run(long changes, double datagramsPerSecond, Func<bool> stop)
    {
        var clock = Stopwatch.StartNew();
        long sent = 0;
        double lastReport = 0;
        while (Changes < changes)
        {
            // Ahead of the rate: sleep a millisecond (never spin: a soak runs for a long time on a shared machine).
            if (sent > clock.Elapsed.TotalSeconds * datagramsPerSecond) { Thread.Sleep(1); continue; }
            Flip();
            sent++;
            if (clock.Elapsed.TotalSeconds - lastReport >= 1) { Report(); lastReport = clock.Elapsed.TotalSeconds; }
            if (sent % 1000 == 0 && stop()) return;
        }
    }

    private void Send(int length)
    {
        try
        {
            _socket.Send(_datagram.AsSpan(0, length));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.NoBufferSpaceAvailable)
        {
            // The controller is not there (stopping), or the queue is full: that datagram is lost, as on a network.
        }
    }

    public void Dispose() => _socket.Dispose();
}
