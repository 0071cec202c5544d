using System.Buffers.Binary;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>Spec §3.3, §3.5, §5.4, §9: bad datagrams are dropped and counted by reason, and change nothing.</summary>
public sealed class DatagramCheckTests
{
    private static (Fleet, HostSim) Started()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        return (fleet, hv);
    }

    private static void AssertDropped(Fleet fleet, HostSim hv, byte[] datagram, DropReason reason)
    {
        var before = fleet.Vm(1)!.Record;
        ulong seq = fleet.HostView("hv-01").Sequence;
        Assert.Equal(reason, fleet.Send(hv, datagram));
        Assert.Equal(1, fleet.Inventory.Counters.Dropped(reason));
        Assert.Equal(before, fleet.Vm(1)!.Record);
        Assert.Equal(seq, fleet.HostView("hv-01").Sequence);
        // Sent from the host's address, yet not charged to it: anyone can send from its address.
        Assert.Equal(0UL, fleet.HostView("hv-01").Dropped);
        Assert.Equal(1, fleet.Inventory.Counters.Unattributed);
    }

    [Fact]
    public void Altered_datagram_fails_its_tag()
    {
        var (fleet, hv) = Started();
        var d = hv.Event(Vms.Vm(1, PowerState.Off));
        d[^20] ^= 0x01;
        AssertDropped(fleet, hv, d, DropReason.BadTag);
    }

    [Fact]
    public void Forged_tag_is_refused()
    {
        var (fleet, hv) = Started();
        var d = hv.Event(Vms.Vm(1, PowerState.Off));
        d.AsSpan(d.Length - 16).Fill(0xAB);
        AssertDropped(fleet, hv, d, DropReason.BadTag);
    }

    [Fact]
    public void Datagram_signed_with_another_key_is_wrong_key()
    {
        var (fleet, hv) = Started();
        // A key of another id: one of the same id (1 in 256 of random keys) is dropped as bad-tag instead.
        var other = ClusterKey.Generate();
        while (other.Id == hv.Key.Id) other = ClusterKey.Generate();
        AssertDropped(fleet, hv, hv.Build(0, 0, 0, HostStatus.None, null, [Vms.Vm(1, PowerState.Off)], signWith: other), DropReason.WrongKey);
    }

    [Fact]
    public void A_host_cannot_sign_a_datagram_for_another_host()
    {
        var (fleet, hv) = Started();
        // hv-b's name, hv's key: the controller checks it with hv-b's key (spec §3.3), never hv's.
        var forger = new HostSim("hv-b", hv.Key);
        var reason = fleet.Send(forger, forger.Build(1, 0, 1, HostStatus.None, null, [Vms.Vm(7)]));
        Assert.True(reason is DropReason.WrongKey or DropReason.BadTag, $"dropped as {reason}");
        Assert.Null(fleet.Inventory.Host("hv-b"));
        Assert.Null(fleet.Vm(7));
    }

    [Fact]
    public void Master_keys_replaced_at_a_reload_check_the_next_datagram_with_the_new_host_keys()
    {
        var next = ClusterKey.Generate();
        var keys = new HostKeys(Fleet.Key);
        var hv = new HostSim("hv-r", Fleet.Key.DeriveHostKey("hv-r"));
        var d = hv.Event(Vms.Vm(1));
        Assert.Null(keys.Check(d, "hv-r"u8));
        keys.Replace(next, Fleet.Key);   // rotating: the new master signs, the old one is still accepted
        Assert.Null(keys.Check(d, "hv-r"u8));
        Assert.Equal(next.DeriveHostKey("hv-r").Id, keys.For("hv-r").Signing.Id);
        keys.Replace(next, null);        // the old master removed
        Assert.NotNull(keys.Check(d, "hv-r"u8));
    }

    [Fact]
    public void Unsigned_datagram_is_refused()
    {
        var (fleet, hv) = Started();
        AssertDropped(fleet, hv, hv.Build(0, 0, 0, HostStatus.None, null, [Vms.Vm(1, PowerState.Off)], sign: false), DropReason.Unsigned);
    }

    [Fact]
    public void Truncated_datagram_is_refused()
    {
        var (fleet, hv) = Started();
        var d = hv.Event(Vms.Vm(1, PowerState.Off));
        AssertDropped(fleet, hv, d[..^1], DropReason.Truncated);
    }

    [Fact]
    public void Datagram_longer_than_its_PDU_is_bad_length()
    {
        var (fleet, hv) = Started();
        var d = hv.Event(Vms.Vm(1, PowerState.Off));
        AssertDropped(fleet, hv, [.. d, 0], DropReason.BadLength);
    }

    [Fact]
    public void Oversized_datagram_is_too_large()
    {
        var (fleet, hv) = Started();
        var big = new byte[1300];
        hv.Event(Vms.Vm(1)).AsSpan(0, PduHeader.Size).CopyTo(big);
        BinaryPrimitives.WriteUInt32BigEndian(big.AsSpan(6), 1300);
        AssertDropped(fleet, hv, big, DropReason.TooLarge);
    }

    [Fact]
    public void A_PDU_type_that_does_not_travel_on_UDP_is_unexpected()
    {
        var (fleet, hv) = Started();
        var ack = PduCodec.ToBytes(new AckPdu { RequestId = 1, Code = AckCode.Success }, Fleet.Key);
        AssertDropped(fleet, hv, ack, DropReason.UnexpectedType);
    }

    [Fact]
    public void Garbage_is_bad_magic()
    {
        var (fleet, hv) = Started();
        AssertDropped(fleet, hv, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), DropReason.BadMagic);
    }

    [Fact]
    public void Authentic_datagram_with_a_malformed_body_is_dropped_whole()
    {
        var (fleet, hv) = Started();
        // Two good records, then a reserved status bit: nothing of it may be applied.
        var d = hv.Build(0, 0, 0, HostStatus.None, null, [Vms.Vm(1, PowerState.Off), Vms.Vm(2)], sign: false);
        d[PduHeader.Size + 24] = 0x80; // status
        hv.Key.Sign(d);
        AssertDropped(fleet, hv, d, DropReason.Malformed);
        Assert.Null(fleet.Vm(2));
    }

    [Fact]
    public void Unknown_critical_attribute_drops_the_datagram_and_removes_nothing()
    {
        var (fleet, hv) = Started();
        var vm = Vms.Vm(2) with { Attributes = new AttrList().Add(new Attr { Type = (AttrType)0x7E, Critical = true, Opaque = new Blob([1]) }) };
        AssertDropped(fleet, hv, hv.Build(1, 0, 1, HostStatus.None, null, [vm]), DropReason.UnknownCritical);
        Assert.Null(fleet.Vm(2));
    }

    [Fact]
    public void Known_critical_attribute_out_of_place_is_refused_like_an_unknown_one()
    {
        var (fleet, hv) = Started();
        var vm = Vms.Vm(2) with { Attributes = new AttrList().Add(new Attr { Type = AttrType.Name, Critical = true, Text = "x" }) };
        AssertDropped(fleet, hv, hv.Build(0, 0, 0, HostStatus.None, null, [vm]), DropReason.UnknownCritical);
    }

    [Fact]
    public void Unknown_non_critical_attribute_is_skipped()
    {
        var (fleet, hv) = Started();
        var vm = Vms.Vm(2) with { Attributes = new AttrList().Add(new Attr { Type = (AttrType)0x7E, Opaque = new Blob([1]) }) };
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Build(0, 0, 0, HostStatus.None, null, [vm])));
        Assert.NotNull(fleet.Vm(2));
    }

    [Fact]
    public void Drops_from_an_address_no_host_uses_count_only_globally()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var d = hv.Event(Vms.Vm(1));
        d[^1] ^= 1;
        Assert.Equal(DropReason.BadTag, fleet.Ingest.Process(d, PeerAddress.From(System.Net.IPAddress.Parse("203.0.113.1"))));
        Assert.Equal(1, fleet.Inventory.Counters.Dropped(DropReason.BadTag));
        Assert.Empty(fleet.Inventory.Hosts());
    }
}
