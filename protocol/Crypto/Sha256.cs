// SHA-256 as FIPS 180-4 defines it (§4.1.2 functions, §4.2.2 constants, §5.1.1 padding, §5.3.3 initial value,
// §6.2.2 computation), written here so that a process that needs only HMAC-SHA-256 tags (hostd) never initializes
// OpenSSL, which costs resident memory (see HmacImplementation). The BCL's SHA256 stays the fast choice elsewhere.
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Vmm.Protocol.Crypto;

/// <summary>The eight working words of a SHA-256 computation (H0..H7 in FIPS 180-4).</summary>
[InlineArray(8)]
internal struct Sha256State
{
    private uint _h0;
}

/// <summary>SHA-256 (FIPS 180-4): the compression function over whole blocks, and padding to finish a hash.</summary>
internal static class Sha256
{
    /// <summary>Bytes in a message block.</summary>
    public const int BlockSize = 64;

    /// <summary>Bytes in a hash.</summary>
    public const int HashSize = 32;

    // §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static ReadOnlySpan<uint> K =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    // §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes.
    private static ReadOnlySpan<uint> H0 => [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

    /// <summary>The round constants, for the test that derives them from the primes.</summary>
    internal static ReadOnlySpan<uint> RoundConstants => K;

    /// <summary>The initial hash value.</summary>
    public static Sha256State Initial
    {
        get
        {
            Sha256State state = default;
            H0.CopyTo(state);
            return state;
        }
    }

    /// <summary>The SHA-256 hash of <paramref name="message"/> into the first 32 bytes of <paramref name="hash"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> message, Span<byte> hash)
    {
        var state = Initial;
        Finish(ref state, 0, message, hash);
    }

    /// <summary>
    /// Ends a hash: <paramref name="state"/> has taken <paramref name="consumed"/> bytes (whole blocks), and
    /// <paramref name="rest"/> is the rest of the message; pads it (§5.1.1) and writes the 32-byte hash.
    /// </summary>
    public static void Finish(ref Sha256State state, long consumed, ReadOnlySpan<byte> rest, Span<byte> hash)
    {
        int whole = rest.Length & ~(BlockSize - 1);
        Compress(ref state, rest[..whole]);
        // The last bytes, the 1 bit, zeros, and the message length in bits as 64 bits: one block, or two
        // when fewer than 9 bytes are left in the first.
        Span<byte> tail = stackalloc byte[2 * BlockSize];
        var last = rest[whole..];
        int tailLength = last.Length + 9 <= BlockSize ? BlockSize : 2 * BlockSize;
        tail[..tailLength].Clear();
        last.CopyTo(tail);
        tail[last.Length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(tail[(tailLength - 8)..], (ulong)(consumed + rest.Length) * 8);
        Compress(ref state, tail[..tailLength]);
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteUInt32BigEndian(hash[(4 * i)..], state[i]);
    }

    /// <summary>Runs the compression function (§6.2.2) over <paramref name="blocks"/>, a whole number of blocks.</summary>
    public static void Compress(ref Sha256State state, ReadOnlySpan<byte> blocks)
    {
        // The message schedule of one block: W0..W63.
        Span<uint> w = stackalloc uint[64];
        ReadOnlySpan<uint> k = K;
        uint h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3], h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7];
        for (; blocks.Length >= BlockSize; blocks = blocks[BlockSize..])
        {
            for (int t = 0; t < 16; t++) w[t] = BinaryPrimitives.ReadUInt32BigEndian(blocks[(4 * t)..]);
            for (int t = 16; t < 64; t++) w[t] = SmallSigma1(w[t - 2]) + w[t - 7] + SmallSigma0(w[t - 15]) + w[t - 16];

            uint a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
            // Eight rounds a turn, the roles of the words rotating by argument instead of by eight moves.
            // (Slices of 8 let the JIT check bounds once a turn, not twice a round.)
            for (int t = 0; t < 64; t += 8)
            {
                var k8 = k.Slice(t, 8);
                var w8 = w.Slice(t, 8);
                Round(a, b, c, ref d, e, f, g, ref h, k8[0] + w8[0]);
                Round(h, a, b, ref c, d, e, f, ref g, k8[1] + w8[1]);
                Round(g, h, a, ref b, c, d, e, ref f, k8[2] + w8[2]);
                Round(f, g, h, ref a, b, c, d, ref e, k8[3] + w8[3]);
                Round(e, f, g, ref h, a, b, c, ref d, k8[4] + w8[4]);
                Round(d, e, f, ref g, h, a, b, ref c, k8[5] + w8[5]);
                Round(c, d, e, ref f, g, h, a, ref b, k8[6] + w8[6]);
                Round(b, c, d, ref e, f, g, h, ref a, k8[7] + w8[7]);
            }
            h0 += a; h1 += b; h2 += c; h3 += d; h4 += e; h5 += f; h6 += g; h7 += h;
        }
        state[0] = h0; state[1] = h1; state[2] = h2; state[3] = h3; state[4] = h4; state[5] = h5; state[6] = h6; state[7] = h7;
    }

    // One round of §6.2.2 step 3: T1 = h + Σ1(e) + Ch(e,f,g) + Kt + Wt, T2 = Σ0(a) + Maj(a,b,c); the new e is
    // d + T1 and the new a is T1 + T2, written into d and h, which the next round then names e and a.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(uint a, uint b, uint c, ref uint d, uint e, uint f, uint g, ref uint h, uint kw)
    {
        uint t1 = h + BigSigma1(e) + Ch(e, f, g) + kw;
        d += t1;
        h = t1 + BigSigma0(a) + Maj(a, b, c);
    }

    // §4.1.2, Ch and Maj each in one operation fewer than as written there (same truth tables): Ch picks y where
    // x has a 1 and z where it has a 0; Maj is 1 where at least two of x, y, z are.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Ch(uint x, uint y, uint z) => z ^ (x & (y ^ z));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Maj(uint x, uint y, uint z) => (x & y) | (z & (x | y));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint BigSigma0(uint x) => BitOperations.RotateRight(x, 2) ^ BitOperations.RotateRight(x, 13) ^ BitOperations.RotateRight(x, 22);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint BigSigma1(uint x) => BitOperations.RotateRight(x, 6) ^ BitOperations.RotateRight(x, 11) ^ BitOperations.RotateRight(x, 25);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SmallSigma0(uint x) => BitOperations.RotateRight(x, 7) ^ BitOperations.RotateRight(x, 18) ^ (x >> 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SmallSigma1(uint x) => BitOperations.RotateRight(x, 17) ^ BitOperations.RotateRight(x, 19) ^ (x >> 10);
}
