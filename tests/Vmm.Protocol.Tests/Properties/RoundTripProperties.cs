// The codec's round-trip laws over generated PDUs of every type (spec §3-§7).
using FsCheck.Xunit;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Generators;
using Vmm.Protocol.Tests.Support;
using Xunit.Sdk;

namespace Vmm.Protocol.Tests.Properties;

[Properties(Arbitrary = [typeof(Arbs)], MaxTest = 200)]
public sealed class RoundTripProperties
{
    [Property] public void Decode_of_Encode_is_identity_for_state(StatePdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_request(RequestPdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_ack(AckPdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_error(ErrorPdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_query(AdminQueryPdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_submit(AdminSubmitPdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_host(AdminHostPdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_vm(AdminVmPdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_result(AdminResultPdu x) => DecodeOfEncode(x);
    [Property] public void Decode_of_Encode_is_identity_for_event(AdminEventPdu x) => DecodeOfEncode(x);

    /// <summary>Both decoders (stream and whole-buffer) give back the model, key id and tag included.</summary>
    private static void DecodeOfEncode(Pdu x)
    {
        var bytes = Wire.Encode(x);
        Assert.Equal(bytes.Length, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(6)));
        Assert.InRange(bytes.Length, PduHeader.MinPduSize, PduHeader.MaxStreamPdu);
        var viaStream = Wire.DecodeStream(bytes);
        if (!viaStream.Equals(x)) throw new XunitException($"decode(encode(x)) != x\n x:   {Wire.Show(x)}\n got: {Wire.Show(viaStream)}");
        Assert.Equal(x, PduCodec.Decode(bytes));
    }

    [Property(MaxTest = 300)]
    public void Decode_of_signed_Encode_is_identity_and_carries_the_signed_key_id_and_tag(Pdu x, ClusterKey key)
    {
        var bytes = Wire.Encode(x, key);
        key.Authenticate(bytes);
        Assert.True(key.Verify(bytes));
        Assert.Equal(key.Id, bytes[5]);

        var decoded = PduCodec.Decode(bytes, key);
        Assert.Equal(key.Id, decoded.KeyId);
        Assert.Equal(Wire.TagOf(bytes), decoded.Tag);
        Assert.Equal(x, decoded with { KeyId = x.KeyId, Tag = x.Tag });

        // The stream path: frame, authenticate the frame, decode.
        Assert.True(PduFraming.TryReadFrame(bytes, out _, out int consumed));
        key.Authenticate(bytes.AsSpan(0, consumed));
        Assert.Equal(decoded, Wire.DecodeStream(bytes));
    }

    [Property(MaxTest = 300)]
    public void Encode_of_Decode_is_identity(Pdu x)
    {
        var b = Wire.Encode(x);
        Assert.Equal(b, Wire.Encode(Wire.DecodeStream(b)));
    }

    [Property(MaxTest = 300)]
    public void Encode_of_Decode_is_identity_for_signed_PDUs(Pdu x, ClusterKey key)
    {
        var b = Wire.Encode(x, key);
        var decoded = PduCodec.Decode(b, key);
        Assert.Equal(b, Wire.Encode(decoded));        // the decoded key id and tag are written back as they were
        Assert.Equal(b, Wire.Encode(decoded, key));   // and signing again gives the same tag
    }

    /// <summary>The encoding is canonical: whatever a decoder accepts re-encodes to exactly the bytes it read.</summary>
    [Property(MaxTest = 500)]
    public void Encode_of_Decode_is_identity_for_any_mutation_that_still_decodes(Pdu x, Seed seed)
    {
        var b = Wire.Encode(x);
        var r = new Random(seed.Value);
        int mutations = 1 + r.Next(4);
        for (int i = 0; i < mutations; i++)
            b[PduHeader.Size + r.Next(b.Length - PduHeader.Size)] = (byte)r.Next(256);
        Pdu decoded;
        try { decoded = PduCodec.Decode(b); }
        catch (ProtocolException) { return; }
        Assert.Equal(Wire.Hex(b), Wire.Hex(Wire.Encode(decoded)));
    }

    /// <summary>Reserved bits and every other byte are written: a dirty buffer gives the same bytes as a clean one.</summary>
    [Property(MaxTest = 200)]
    public void Encode_writes_every_byte_whatever_the_buffer_held(Pdu x)
    {
        var ones = new byte[PduHeader.MaxStreamPdu];
        var zeros = new byte[PduHeader.MaxStreamPdu];
        Array.Fill(ones, (byte)0xFF);
        int n1 = PduCodec.Encode(x, ones);
        int n0 = PduCodec.Encode(x, zeros);
        Assert.Equal(n0, n1);
        Assert.Equal(Wire.Hex(zeros.AsSpan(0, n0)), Wire.Hex(ones.AsSpan(0, n1)));
    }

    [Property]
    public void EncodedSize_is_the_length_of_the_encoding(StatePdu x)
    {
        Assert.Equal(Wire.Encode(x).Length, x.EncodedSize);
        Assert.Equal(Wire.Encode(x with { Vms = [] }).Length, x.EncodedSizeWithoutVms);
        Assert.Equal(x.EncodedSize, x.EncodedSizeWithoutVms + x.Vms.Sum(vm => vm.EncodedSize));
    }

    [Property(MaxTest = 100)]
    public void Concatenated_PDUs_decode_one_by_one_from_a_stream(Pdu a, Pdu b, Pdu c)
    {
        byte[] stream = [.. Wire.Encode(a), .. Wire.Encode(b), .. Wire.Encode(c)];
        var decoded = new List<Pdu>();
        int at = 0;
        while (PduCodec.TryDecode(stream.AsSpan(at), out var pdu, out int consumed))
        {
            decoded.Add(pdu!);
            at += consumed;
        }
        Assert.Equal(stream.Length, at);
        Assert.Equal([a, b, c], decoded);
    }
}
