// A pcap file (the classic format: a global header, then one record per packet) of IPv4 packets on loopback,
// written here so that the tests can put any bytes on any port: UDP datagrams, and TCP segments with the sequence
// numbers tshark reassembles by. Link type 101 (raw IP): no Ethernet header to invent.
using System.Buffers.Binary;

namespace Vmm.Wireshark.Tests;

internal sealed class Pcap
{
    private const uint Magic = 0xA1B2C3D4;
    private const uint LinkTypeRaw = 101;

    private readonly MemoryStream _file = new();
    private uint _micros;
    private ushort _ipId;

    public Pcap()
    {
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        // thiszone, sigfigs: 0
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], LinkTypeRaw);
        _file.Write(h);
    }

    /// <summary>Packets written so far.</summary>
    public int Count { get; private set; }

    /// <summary>One UDP datagram from 127.0.0.1:<paramref name="from"/> to 127.0.0.1:<paramref name="to"/>.</summary>
    public void Udp(int from, int to, ReadOnlySpan<byte> payload)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)from);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), (ushort)to);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp.AsSpan(8));
        ushort sum = TransportChecksum(17, udp);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), sum == 0 ? (ushort)0xFFFF : sum);
        Ip(17, udp);
    }

    /// <summary>A TCP connection from <paramref name="from"/> to <paramref name="to"/> that carries
    /// <paramref name="stream"/> cut into segments of at most <paramref name="segment"/> bytes (no handshake: tshark
    /// reassembles by sequence number alone).</summary>
    public void Tcp(int from, int to, ReadOnlySpan<byte> stream, int segment = 65000)
    {
        uint seq = 1000;
        for (int at = 0; at < stream.Length; at += segment)
        {
            var data = stream.Slice(at, Math.Min(segment, stream.Length - at));
            var tcp = new byte[20 + data.Length];
            BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)from);
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), (ushort)to);
            BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
            BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), 1);      // ack
            tcp[12] = 5 << 4;                                                // data offset: 5 words
            tcp[13] = 0x18;                                                  // PSH, ACK
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535);   // window
            data.CopyTo(tcp.AsSpan(20));
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), TransportChecksum(6, tcp));
            Ip(6, tcp);
            seq += (uint)data.Length;
        }
    }

    public void Save(string path) => File.WriteAllBytes(path, _file.ToArray());

    private void Ip(byte protocol, byte[] payload)
    {
        var packet = new byte[20 + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), ++_ipId);
        packet[6] = 0x40;   // don't fragment
        packet[8] = 64;     // TTL
        packet[9] = protocol;
        Loopback.CopyTo(packet.AsSpan(12));
        Loopback.CopyTo(packet.AsSpan(16));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, 20), 0));
        payload.CopyTo(packet.AsSpan(20));

        Span<byte> record = stackalloc byte[16];
        _micros += 1000;
        BinaryPrimitives.WriteUInt32LittleEndian(record, 1_700_000_000 + _micros / 1_000_000);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], _micros % 1_000_000);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)packet.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)packet.Length);
        _file.Write(record);
        _file.Write(packet);
        Count++;
    }

    private static ReadOnlySpan<byte> Loopback => [127, 0, 0, 1];

    // RFC 768 / RFC 793: the one's complement sum over a pseudo-header (addresses, protocol, length) and the segment.
    private static ushort TransportChecksum(byte protocol, ReadOnlySpan<byte> segment)
    {
        Span<byte> pseudo = stackalloc byte[12];
        Loopback.CopyTo(pseudo);
        Loopback.CopyTo(pseudo[4..]);
        pseudo[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)segment.Length);
        return Checksum(segment, Sum(pseudo, 0));
    }

    // RFC 1071.
    private static ushort Checksum(ReadOnlySpan<byte> data, uint partial)
    {
        uint sum = Sum(data, partial);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static uint Sum(ReadOnlySpan<byte> data, uint sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        return sum;
    }
}
