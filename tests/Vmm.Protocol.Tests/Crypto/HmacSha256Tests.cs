// Our HMAC-SHA-256 (protocol/Crypto/ManagedHmacSha256.cs) against RFC 4231's test cases, and against the BCL's
// HMACSHA256 as an oracle: every message length from 0 to 3000 bytes (every block boundary of SHA-256's padding),
// keys shorter than, as long as, and longer than a block. Both implementations tag from many threads at once.
using System.Security.Cryptography;
using FsCheck.Xunit;
using Vmm.Protocol.Crypto;
using Vmm.Protocol.Tests.Generators;

namespace Vmm.Protocol.Tests.Crypto;

public sealed class HmacSha256Tests
{
    // RFC 4231 §4.2-4.8: key, data, HMAC-SHA-256 (test case 5's is truncated to 128 bits there).
    [Theory]
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]
    [InlineData("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")]
    [InlineData("0102030405060708090a0b0c0d0e0f10111213141516171819",
        "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")]
    [InlineData("0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "546573742057697468205472756e636174696f6e",
        "a3b6167473100ee06e0c796c2955552b")]
    // Test cases 6 and 7: a 131-byte key, longer than a block, is hashed first.
    [InlineData(Aa131, "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")]
    [InlineData(Aa131,
        "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")]
    public void Hmac_of_an_RFC_4231_test_case_is_the_published_value(string key, string data, string expected)
    {
        string mac = Convert.ToHexStringLower(Managed(Convert.FromHexString(key), Convert.FromHexString(data)));
        Assert.Equal(expected, mac[..expected.Length]);
    }

    private const string Aa131 =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    [Fact]
    public void Hmac_equals_the_BCL_HMAC_for_every_length_up_to_3000_bytes()
    {
        var random = new Random(2104);
        var message = new byte[3000];
        random.NextBytes(message);
        Span<byte> mac = stackalloc byte[32];
        foreach (int keyLength in (int[])[0, 1, 32, 63, 64, 65, 131])
        {
            var key = new byte[keyLength];
            random.NextBytes(key);
            var hmac = new ManagedHmacSha256(key);
            for (int length = 0; length <= message.Length; length++)
            {
                hmac.Compute(message.AsSpan(0, length), mac);
                if (!mac.SequenceEqual(HMACSHA256.HashData(key, message.AsSpan(0, length))))
                    Assert.Fail($"key of {keyLength} bytes, message of {length} bytes: {Convert.ToHexStringLower(mac)}");
            }
        }
    }

    [Property(Arbitrary = [typeof(Arbs)], MaxTest = 500)]
    public void Managed_HMAC_equals_the_BCL_HMAC_for_any_key_and_message(Seed seed)
    {
        var random = new Random(seed.Value);
        var key = new byte[random.Next(0, 200)];
        var message = new byte[random.Next(0, 3001)];
        random.NextBytes(key);
        random.NextBytes(message);
        Assert.Equal(HMACSHA256.HashData(key, message), Managed(key, message));
    }

    [Theory]
    [InlineData(HmacImplementation.Managed)]
    [InlineData(HmacImplementation.Platform)]
    public void One_keyed_HMAC_tags_from_many_threads_at_once_as_from_one(HmacImplementation implementation)
    {
        var key = new byte[32];
        new Random(7).NextBytes(key);
        IKeyedHmac hmac = implementation == HmacImplementation.Managed ? new ManagedHmacSha256(key) : new PlatformHmacSha256(key);
        var messages = Enumerable.Range(0, 64).Select(i => new byte[i * 37]).ToArray();
        foreach (var m in messages) new Random(m.Length).NextBytes(m);
        var expected = messages.Select(m => HMACSHA256.HashData(key, m)).ToArray();
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            Span<byte> mac = stackalloc byte[32];
            hmac.Compute(messages[i % messages.Length], mac);
            if (!mac.SequenceEqual(expected[i % messages.Length])) throw new InvalidOperationException($"tag {i} differs");
        });
    }

    private static byte[] Managed(byte[] key, byte[] data)
    {
        var mac = new byte[32];
        new ManagedHmacSha256(key).Compute(data, mac);
        return mac;
    }
}
