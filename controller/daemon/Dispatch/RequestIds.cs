// Request ids (spec §7.1): origin (32) || counter (32). The origin is drawn at random once per dispatcher, so
// two controllers, or two runs of one, do not collide; the counter only grows, which is what hostd's replay
// window (§7.6) assumes.
using System.Security.Cryptography;

namespace Vmm.Controller.Dispatch;

/// <summary>Hands out request ids unique to this dispatcher; safe to call from any thread.</summary>
internal sealed class RequestIds
{
    private long _counter;

    /// <summary>A random non-zero origin.</summary>
    public RequestIds() : this(RandomOrigin()) { }

    /// <summary>A given origin (tests); 0 is the operator's own (vmmctl pdu) and is refused.</summary>
    public RequestIds(uint origin)
    {
        ArgumentOutOfRangeException.ThrowIfZero(origin);
        Origin = origin;
    }

    /// <summary>The high 32 bits of every id handed out.</summary>
    public uint Origin { get; }

    /// <summary>
    /// The next id, or false once 2^32 - 1 ids have been handed out: a counter that wrapped would reuse ids,
    /// which the spec forbids, so a dispatcher that gets there stops sending (a restart draws a new origin).
    /// </summary>
    public bool TryNext(out ulong id)
    {
        long counter = Interlocked.Increment(ref _counter);
        if (counter > uint.MaxValue)
        {
            id = 0;
            return false;
        }
        id = (ulong)Origin << 32 | (ulong)counter;
        return true;
    }

    /// <summary>
    /// Whether id <paramref name="later"/> was handed out by the same dispatcher as <paramref name="id"/> and no
    /// earlier: same origin, a counter at least as high. A host that finished <paramref name="later"/> for a VM
    /// has finished <paramref name="id"/> too, as far as this controller's read-your-writes is concerned.
    /// </summary>
    public static bool Covers(ulong later, ulong id) => later >> 32 == id >> 32 && (uint)later >= (uint)id;

    private static uint RandomOrigin()
    {
        Span<byte> b = stackalloc byte[4];
        uint origin;
        do
        {
            RandomNumberGenerator.Fill(b);
            origin = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b);
        } while (origin == 0);
        return origin;
    }
}
