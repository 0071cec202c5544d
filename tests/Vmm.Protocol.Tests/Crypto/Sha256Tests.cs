// Our SHA-256 (protocol/Crypto/Sha256.cs) against FIPS 180-4's examples (NIST's "SHA256.pdf" of the Cryptographic
// Standards and Guidelines examples), its constants against their definition, and every length around the
// padding's edges against the BCL's SHA-256.
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Vmm.Protocol.Crypto;

namespace Vmm.Protocol.Tests.Crypto;

public sealed class Sha256Tests
{
    [Theory]
    // One block.
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    // Two blocks (56 bytes: the length no longer fits the first block).
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    // The empty message.
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public void Hash_of_a_FIPS_180_4_example_is_the_published_digest(string message, string digest) =>
        Assert.Equal(digest, HexOfHash(Encoding.ASCII.GetBytes(message)));

    [Fact]
    public void Hash_of_a_million_a_is_the_published_digest() =>
        Assert.Equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", HexOfHash(Enumerable.Repeat((byte)'a', 1_000_000).ToArray()));

    [Fact]
    public void Hash_equals_the_BCL_hash_for_every_length_up_to_3000_bytes()
    {
        var message = new byte[3000];
        new Random(180_4).NextBytes(message);
        for (int length = 0; length <= message.Length; length++)
        {
            var data = message.AsSpan(0, length);
            Assert.True(HexOfHash(data) == Convert.ToHexStringLower(SHA256.HashData(data)), $"length {length}");
        }
    }

    [Fact]
    public void Round_constants_are_the_cube_roots_of_the_first_64_primes()
    {
        // §4.2.2: the first 32 bits of the fractional part of p^(1/3) = floor(cbrt(p * 2^96)) mod 2^32.
        var primes = Primes(64);
        for (int i = 0; i < 64; i++)
            Assert.Equal((uint)(IntegerRoot(new BigInteger(primes[i]) << 96, 3) & uint.MaxValue), Sha256.RoundConstants[i]);
    }

    [Fact]
    public void Initial_value_is_the_square_roots_of_the_first_8_primes()
    {
        var primes = Primes(8);
        var initial = Sha256.Initial;
        for (int i = 0; i < 8; i++)
            Assert.Equal((uint)(IntegerRoot(new BigInteger(primes[i]) << 64, 2) & uint.MaxValue), initial[i]);
    }

    private static string HexOfHash(ReadOnlySpan<byte> message)
    {
        Span<byte> hash = stackalloc byte[Sha256.HashSize];
        Sha256.Hash(message, hash);
        return Convert.ToHexStringLower(hash);
    }

    private static List<int> Primes(int count)
    {
        var primes = new List<int>();
        for (int n = 2; primes.Count < count; n++)
            if (primes.TrueForAll(p => n % p != 0)) primes.Add(n);
        return primes;
    }

    // The largest r with r^n <= x, by bisection.
    private static BigInteger IntegerRoot(BigInteger x, int n)
    {
        BigInteger low = 0, high = BigInteger.One << (int)(x.GetBitLength() / n + 1);
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (BigInteger.Pow(mid, n) <= x) low = mid;
            else high = mid - 1;
        }
        return low;
    }
}
