// The three messages both formats encode: built once as Vmm models, mapped to protobuf, encoded, and checked
// (Check) so that a benchmark can never measure a fixture that does not round-trip or that carries less.
using Google.Protobuf;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Benchmarks;

/// <summary>The benchmark messages in both formats, with their encodings and a shared cluster key.</summary>
public sealed class Fixtures
{
    /// <summary>VM records in the STATE datagram.</summary>
    public const int StateVms = 16;

    private const ulong GiB = 1UL << 30;
    private const ulong BootId = 0x9E37_79B9_7F4A_7C15;
    private const ulong RequestId = 0x0000_0193_5A2B_7C11;

    public StatePdu State { get; }
    public RequestPdu Request { get; }
    public AckPdu Ack { get; }

    public Proto.State ProtoState { get; }
    public Proto.Request ProtoRequest { get; }
    public Proto.Ack ProtoAck { get; }

    /// <summary>Unsigned encodings (key id 0, tag 0), as PduCodec.Encode writes them without a key.</summary>
    public byte[] StateBytes { get; }
    public byte[] RequestBytes { get; }
    public byte[] AckBytes { get; }

    /// <summary>The same PDUs signed with <see cref="Key"/>.</summary>
    public byte[] SignedStateBytes { get; }
    public byte[] SignedRequestBytes { get; }
    public byte[] SignedAckBytes { get; }

    public byte[] ProtoStateBytes { get; }
    public byte[] ProtoRequestBytes { get; }
    public byte[] ProtoAckBytes { get; }

    /// <summary>A fixed cluster key, so that runs are comparable.</summary>
    public ClusterKey Key { get; } = new(Enumerable.Range(1, ClusterKey.Length).Select(i => (byte)(i * 7)).ToArray());

    public Fixtures()
    {
        var rng = new Random(20240917);
        State = BuildState(rng);
        Request = BuildRequest(rng);
        Ack = BuildAck();

        ProtoState = ProtoMap.From(State);
        ProtoRequest = ProtoMap.From(Request);
        ProtoAck = ProtoMap.From(Ack);

        StateBytes = PduCodec.ToBytes(State, maxLength: PduHeader.MaxDatagram);
        RequestBytes = PduCodec.ToBytes(Request);
        AckBytes = PduCodec.ToBytes(Ack);
        SignedStateBytes = PduCodec.ToBytes(State, Key, PduHeader.MaxDatagram);
        SignedRequestBytes = PduCodec.ToBytes(Request, Key);
        SignedAckBytes = PduCodec.ToBytes(Ack, Key);

        ProtoStateBytes = ProtoState.ToByteArray();
        ProtoRequestBytes = ProtoRequest.ToByteArray();
        ProtoAckBytes = ProtoAck.ToByteArray();
    }

    /// <summary>
    /// Page 1 of a 3-page report from a host running 16 small VMs: each has one owned 20 GiB virtio disk, one
    /// virtio NIC on libvirt's "default" network, 2 vCPUs and 2 GiB, and is persistent and running (booted).
    /// Host facts travel on page 0, so this page has none.
    /// </summary>
    private static StatePdu BuildState(Random rng)
    {
        var vms = new ValueList<VmState>();
        for (int i = 1; i <= StateVms; i++)
        {
            vms.Add(new VmState
            {
                Uuid = NewUuid(rng),
                Power = PowerState.Running,
                Reason = 1, // VIR_DOMAIN_RUNNING_BOOTED
                Flags = VmFlags.Persistent,
                Vcpus = 2,
                MemoryKib = 2 * GiB / 1024,
                // Five bytes: with "web-01" (six) sixteen such records need 1212 bytes, over the 1200-byte limit.
                Name = $"web{i:00}",
                Attributes = new AttrList()
                    .Add(new DiskInfo("vda", DiskBus.Virtio, DiskFlags.Owned, 20 * GiB))
                    .Add(new NicInfo(QemuMac(rng), NicModel.Virtio, NicKind.Network, "default")),
            });
        }
        return new StatePdu
        {
            BootId = BootId, Sequence = 48_213, Report = 1_607, Page = 1, Pages = 3, Status = HostStatus.None,
            Host = "kvm-07", Vms = vms,
        };
    }

    /// <summary>add, with every parameter a full VM specification has (spec §8.1).</summary>
    private static RequestPdu BuildRequest(Random rng) => new()
    {
        RequestId = RequestId,
        BootId = BootId,
        Code = RequestCode.Add,
        Flags = RequestFlags.None,
        Vm = NewUuid(rng),
        Parameters = new AttrList()
            .Add(AttrType.Name, "web-17")
            .Add(AttrType.Vcpus, 4)
            .Add(AttrType.MaxVcpus, 8)
            .Add(AttrType.Memory, 4 * GiB / 1024)
            .Add(AttrType.MaxMemory, 8 * GiB / 1024)
            // An overlay on a base image, and a blank data disk.
            .Add(AttrType.DiskSpec, new AttrList()
                .Add(AttrType.Target, "vda")
                .Add(AttrType.BaseImage, "/var/lib/vmm/images/debian-12-genericcloud-amd64.qcow2")
                .Add(AttrType.Bus, (ulong)DiskBus.Virtio))
            .Add(AttrType.DiskSpec, new AttrList()
                .Add(AttrType.Target, "vdb")
                .Add(AttrType.Size, 50 * GiB)
                .Add(AttrType.Bus, (ulong)DiskBus.Virtio))
            .Add(AttrType.NicSpec, new AttrList()
                .Add(AttrType.Mac, QemuMac(rng))
                .Add(AttrType.Network, "default")
                .Add(AttrType.Model, (ulong)NicModel.Virtio))
            .Add(AttrType.NicSpec, new AttrList()
                .Add(AttrType.Mac, QemuMac(rng))
                .Add(AttrType.Bridge, "br0")
                .Add(AttrType.Model, (ulong)NicModel.Virtio)),
    };

    /// <summary>The answer to the add: success, the new VM's uuid, and how long it took.</summary>
    private AckPdu BuildAck() => new()
    {
        RequestId = RequestId,
        BootId = BootId,
        Code = AckCode.Success,
        Vm = Request.Vm,
        Results = new AttrList().Add(AttrType.DurationUs, 184_233),
    };

    private static Guid NewUuid(Random rng)
    {
        Span<byte> b = stackalloc byte[16];
        rng.NextBytes(b);
        b[6] = (byte)((b[6] & 0x0F) | 0x40); // version 4, as libvirt generates them
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        return new Guid(b, bigEndian: true);
    }

    /// <summary>52:54:00:xx:xx:xx, the prefix libvirt gives QEMU NICs.</summary>
    private static ulong QemuMac(Random rng) => 0x5254_0000_0000UL | (uint)rng.Next(0, 1 << 24);

    /// <summary>
    /// Checks every fixture: sizes within limits, both formats decode back to what was encoded, the protobuf
    /// message carries exactly what the Vmm PDU carries, and the zero-allocation view walks read the same
    /// values the model holds. Throws on the first failure.
    /// </summary>
    public void Check()
    {
        Require(StateBytes.Length <= PduHeader.MaxDatagram, $"STATE is {StateBytes.Length} bytes, over the {PduHeader.MaxDatagram}-byte datagram limit");
        Require(State.Vms.Count == StateVms, "STATE does not hold 16 VMs");

        Require(PduCodec.Decode(StateBytes, PduHeader.MaxDatagram).Equals(State), "STATE does not decode to its model");
        Require(PduCodec.Decode(RequestBytes).Equals(Request), "REQUEST does not decode to its model");
        Require(PduCodec.Decode(AckBytes).Equals(Ack), "ACK does not decode to its model");
        Require(PduCodec.Decode(SignedStateBytes, Key, PduHeader.MaxDatagram) is StatePdu s && s with { KeyId = 0, Tag = 0 } == State,
            "signed STATE does not authenticate and decode to its model");
        Require(PduCodec.Decode(SignedRequestBytes, Key) is RequestPdu r && r with { KeyId = 0, Tag = 0 } == Request,
            "signed REQUEST does not authenticate and decode to its model");
        Require(PduCodec.Decode(SignedAckBytes, Key) is AckPdu a && a with { KeyId = 0, Tag = 0 } == Ack,
            "signed ACK does not authenticate and decode to its model");

        Require(Proto.State.Parser.ParseFrom(ProtoStateBytes).Equals(ProtoState), "protobuf State does not round-trip");
        Require(Proto.Request.Parser.ParseFrom(ProtoRequestBytes).Equals(ProtoRequest), "protobuf Request does not round-trip");
        Require(Proto.Ack.Parser.ParseFrom(ProtoAckBytes).Equals(ProtoAck), "protobuf Ack does not round-trip");

        // Same information: what each format decodes to maps to the same protobuf message.
        Require(ProtoMap.From((StatePdu)PduCodec.Decode(StateBytes, PduHeader.MaxDatagram)).Equals(Proto.State.Parser.ParseFrom(ProtoStateBytes)),
            "STATE and protobuf State carry different information");
        Require(ProtoMap.From((RequestPdu)PduCodec.Decode(RequestBytes)).Equals(Proto.Request.Parser.ParseFrom(ProtoRequestBytes)),
            "REQUEST and protobuf Request carry different information");
        Require(ProtoMap.From((AckPdu)PduCodec.Decode(AckBytes)).Equals(Proto.Ack.Parser.ParseFrom(ProtoAckBytes)),
            "ACK and protobuf Ack carry different information");

        // The views read every value the model holds, in the same order.
        Require(Walk.State(StateBytes) == Walk.Model(State, StateBytes.Length), "STATE view walk disagrees with the model");
        Require(Walk.Request(RequestBytes) == Walk.Model(Request, RequestBytes.Length), "REQUEST view walk disagrees with the model");
        Require(Walk.Ack(AckBytes) == Walk.Model(Ack, AckBytes.Length), "ACK view walk disagrees with the model");
        Require(Walk.State(SignedStateBytes, Key) == Walk.Model(State, StateBytes.Length), "signed STATE view walk disagrees with the model");

        // The encode rows reproduce the fixture bytes exactly.
        var buf = new byte[PduHeader.MaxStreamPdu].AsSpan();
        Require(buf[..PduCodec.Encode(State, buf, maxLength: PduHeader.MaxDatagram)].SequenceEqual(StateBytes), "STATE encode is not deterministic");
        Require(buf[..PduCodec.Encode(Request, buf, Key)].SequenceEqual(SignedRequestBytes), "signed REQUEST encode is not deterministic");
        int n = ProtoState.CalculateSize();
        ProtoState.WriteTo(buf[..n]);
        Require(buf[..n].SequenceEqual(ProtoStateBytes), "protobuf State encode is not deterministic");
    }

    /// <summary>One line per message: encoded sizes in both formats.</summary>
    public IEnumerable<string> SizeLines()
    {
        yield return $"  STATE, {StateVms} VMs:  Vmm {StateBytes.Length,5} bytes (limit {PduHeader.MaxDatagram}; 26 of them header and tag)   protobuf {ProtoStateBytes.Length,5} bytes";
        yield return $"  REQUEST add:     Vmm {RequestBytes.Length,5} bytes (26 of them header and tag)                protobuf {ProtoRequestBytes.Length,5} bytes";
        yield return $"  ACK:             Vmm {AckBytes.Length,5} bytes (26 of them header and tag)                protobuf {ProtoAckBytes.Length,5} bytes";
    }

    private static void Require(bool ok, string what)
    {
        if (!ok) throw new InvalidOperationException("fixture check failed: " + what);
    }
}
