namespace Vmm.Protocol;

/// <summary>Which code computes a <see cref="ClusterKey"/>'s HMAC-SHA-256 tags; both give the same tags.</summary>
public enum HmacImplementation
{
    /// <summary>
    /// The platform's cryptography (OpenSSL on Linux): about 4 times faster on a 1,200-byte datagram (SHA
    /// extensions), for a controller that checks every host's datagrams. Initializing it costs a process up to
    /// 3.7 MB resident (libssl, libcrypto's pages); 1.1 MB in hostd, where libvirt maps libcrypto anyway.
    /// </summary>
    Platform,

    /// <summary>
    /// Our own SHA-256 and HMAC (FIPS 180-4, RFC 2104), in managed code: never loads OpenSSL, for hostd, which
    /// tags a few datagrams a second and should stay small at rest.
    /// </summary>
    Managed,
}
