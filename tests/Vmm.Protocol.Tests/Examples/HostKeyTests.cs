// Per-host keys (spec §3.3): a host key is HKDF-SHA-256 of the master bound to the host's name; a key file says
// which kind it holds; a receiver holding two keys (rotation) picks by key id.
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Tests.Examples;

public sealed class HostKeyTests
{
    private static readonly ClusterKey Master = new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void A_host_key_is_HKDF_SHA256_of_the_master_with_the_host_name_in_info()
    {
        // The same derivation as the spec's vectors (host: hv-01 under master 00 01 .. 1f), and RFC 5869 by hand.
        Assert.Equal("4f3d3e6f91e2eff5ea19fbdb535ed896416b7d6f962d8f7662c49b517f51c79c", Master.DeriveHostKey("hv-01").ToHex());
        var prk = System.Security.Cryptography.HMACSHA256.HashData(new byte[32], Convert.FromHexString(Master.ToHex()));
        var okm = System.Security.Cryptography.HMACSHA256.HashData(prk, (byte[])[.. "vmm host key v1hv-02"u8, 1]);
        Assert.Equal(Convert.ToHexStringLower(okm), Master.DeriveHostKey("hv-02").ToHex());
    }

    [Fact]
    public void Each_host_gets_its_own_key_and_names_are_exact()
    {
        var keys = new[] { "hv-01", "hv-02", "HV-01", "hv-01." }.Select(n => Master.DeriveHostKey(n).ToHex()).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Theory]
    [InlineData("master 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", null)]
    [InlineData("# lab\n\n000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", null)]
    [InlineData("host hv-01 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", "hv-01")]
    [InlineData("host\thv-01   000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hv-01")]
    public void A_key_file_says_whether_it_holds_the_master_or_which_host_key(string text, string? host)
    {
        var contents = KeyFileContents.Parse(text);
        Assert.Equal(host, contents.Host);
        Assert.Equal(contents, KeyFileContents.Parse(contents.ToFileText()) with { Key = contents.Key });
        Assert.Equal(Master.ToHex(), contents.Key.ToHex());
    }

    [Theory]
    [InlineData("host 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "key line must be")]
    [InlineData("host hv 01 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "key line must be")]
    [InlineData("host -hv 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "not a valid host name")]
    [InlineData("master 0001", "64 hex digits")]
    [InlineData("slave 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "key line must be")]
    public void A_bad_key_file_is_one_line_saying_what_is_wrong(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => KeyFileContents.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_ring_of_two_keys_accepts_either_and_signs_with_the_first()
    {
        var old = Master.DeriveHostKey("hv-01");
        var next = ClusterKey.Generate().DeriveHostKey("hv-01");
        var ring = new KeyRing(next, old);
        var byOld = PduCodec.ToBytes(new AckPdu { RequestId = 7, Code = AckCode.Success }, old);
        var byNext = PduCodec.ToBytes(new AckPdu { RequestId = 7, Code = AckCode.Success }, ring.Signing);
        Assert.Null(ring.Check(byOld));
        Assert.Null(ring.Check(byNext));
        Assert.Equal(next.Id, byNext[5]);
        if (old.Id != next.Id) Assert.Equal(ProtocolErrorCode.WrongKey, new KeyRing(next).Check(byOld));
    }

    [Fact]
    public void Two_keys_with_the_same_id_are_both_tried()
    {
        // Find two keys whose ids collide (one chance in 255 a pair): the ring must still accept both.
        var first = Master.DeriveHostKey("hv-0");
        ClusterKey? twin = null;
        for (int i = 1; twin is null; i++)
            if (Master.DeriveHostKey($"hv-{i}") is { } k && k.Id == first.Id) twin = k;
        var ring = new KeyRing(first, twin);
        Assert.Null(ring.Check(PduCodec.ToBytes(new AckPdu { RequestId = 1, Code = AckCode.Busy }, twin)));
        Assert.Null(ring.Check(PduCodec.ToBytes(new AckPdu { RequestId = 1, Code = AckCode.Busy }, first)));
        var other = ClusterKey.Generate();
        var forged = PduCodec.ToBytes(new AckPdu { RequestId = 1, Code = AckCode.Busy }, other);
        forged[5] = first.Id;
        Assert.Equal(ProtocolErrorCode.BadTag, ring.Check(forged));
    }

    [Fact]
    public void A_STATE_names_its_host_before_it_is_authenticated()
    {
        var bytes = PduCodec.ToBytes(new StatePdu { Host = "hv-07", BootId = 1, Sequence = 1 }, Master.DeriveHostKey("hv-07"));
        Assert.True(StateView.TryPeekHost(PduCodec.Body(bytes), out var host));
        Assert.Equal("hv-07"u8.ToArray(), host.ToArray());
        Assert.False(StateView.TryPeekHost(PduCodec.Body(bytes)[..25], out _));
        Assert.False(StateView.TryPeekHost(PduCodec.Body(bytes)[..28], out _));
    }
}
