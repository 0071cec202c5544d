// getrandom(2) through Libc.GetRandom: hostd's boot id, drawn without .NET's RandomNumberGenerator (OpenSSL).
using Vmm.Hostd.Interop;

namespace Vmm.Hostd.Tests.Interop;

public sealed class LibcRandomTests
{
    [Fact]
    public void GetRandom_fills_every_page_of_a_large_buffer_with_every_byte_value()
    {
        var buffer = new byte[1 << 20];
        Libc.GetRandom(buffer);
        // A loop that stops after one read, or writes every read to the start, leaves whole pages of zeros.
        for (int page = 0; page < buffer.Length; page += 4096)
            Assert.True(buffer.AsSpan(page, 4096).ContainsAnyExcept((byte)0), $"page at {page} is all zeros");
        Assert.Equal(256, buffer.Distinct().Count());
    }

    [Fact]
    public void GetRandom_gives_different_bytes_each_time_and_accepts_an_empty_buffer()
    {
        var a = new byte[16];
        var b = new byte[16];
        Libc.GetRandom(a);
        Libc.GetRandom(b);
        Assert.NotEqual(a, b);
        Libc.GetRandom(Span<byte>.Empty);
    }
}
