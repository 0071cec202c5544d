// A datagram's source address as one 128-bit value (IPv4 as IPv4-mapped IPv6), so the ingest path can
// remember and compare it without allocating an IPAddress per datagram.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Vmm.Controller.Inventory;

/// <summary>An IP address without its port, as a value; <see cref="None"/> when unknown.</summary>
internal readonly record struct PeerAddress(UInt128 Bits)
{
    public static PeerAddress None => default;

    public bool IsNone => Bits == UInt128.Zero;

    /// <summary>Reads the address of a received datagram from the native sockaddr (Linux layout).</summary>
    public static PeerAddress From(SocketAddress address)
    {
        var raw = address.Buffer.Span;
        return address.Family switch
        {
            // sockaddr_in { family (16), port (16), addr (32) }
            AddressFamily.InterNetwork when raw.Length >= 8 => Mapped(BinaryPrimitives.ReadUInt32BigEndian(raw[4..])),
            // sockaddr_in6 { family (16), port (16), flowinfo (32), addr (128), scope (32) }
            AddressFamily.InterNetworkV6 when raw.Length >= 24 => new(BinaryPrimitives.ReadUInt128BigEndian(raw[8..])),
            _ => None,
        };
    }

    public static PeerAddress From(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(b, out _);
        return new(BinaryPrimitives.ReadUInt128BigEndian(b));
    }

    public IPAddress? ToIPAddress()
    {
        if (IsNone) return null;
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, Bits);
        var ip = new IPAddress(b);
        return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
    }

    public override string ToString() => ToIPAddress()?.ToString() ?? "-";

    private static PeerAddress Mapped(uint v4) => new(((UInt128)0xFFFF << 32) | v4);
}
