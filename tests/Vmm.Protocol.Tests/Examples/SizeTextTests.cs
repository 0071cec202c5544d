// Sizes in messages (SizeText): binary units as an operator types them; exact where a size was asked for.
using FsCheck.Xunit;
using Vmm.Protocol.Text;

namespace Vmm.Protocol.Tests.Examples;

public sealed class SizeTextTests
{
    [Theory]
    [InlineData(0UL, "0 B")]
    [InlineData(1537UL, "1537 B")]
    [InlineData(1024UL, "1 KiB")]
    [InlineData(512UL << 20, "512 MiB")]
    [InlineData(2UL << 30, "2 GiB")]
    [InlineData(3UL << 29, "1.5 GiB")]
    [InlineData(5UL << 28, "1.25 GiB")]
    [InlineData(9UL << 27, "1.125 GiB")]
    [InlineData(1000UL << 20, "1000 MiB")]          // 0.977 GiB is not exact
    [InlineData((8UL << 30) + 1024, "8388609 KiB")] // one KiB above 8 GiB must not read as 8 GiB
    [InlineData(ulong.MaxValue, "18446744073709551615 B")]
    public void Exact_picks_the_largest_unit_that_holds_the_size_exactly(ulong bytes, string text) =>
        Assert.Equal(text, SizeText.Exact(bytes));

    [Fact]
    public void Exact_kib_reaches_past_64_bits_of_bytes()
    {
        Assert.Equal("16 EiB", SizeText.ExactKib(1UL << 54));   // 2^64 bytes
        Assert.Equal("1 ZiB", SizeText.ExactKib(1UL << 60));
    }

    [Theory]
    [InlineData(16_318_412UL, "15.6 GiB")]
    [InlineData(524_288UL, "512 MiB")]
    [InlineData(1UL, "1 KiB")]
    public void Rounded_gives_one_decimal_below_100(ulong kib, string text) =>
        Assert.Equal(text, SizeText.RoundedKib(kib));

    [Property]
    public bool Exact_reads_back_to_the_same_bytes(ulong bytes)
    {
        string[] parts = SizeText.Exact(bytes).Split(' ');
        int shift = 10 * Array.IndexOf(["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"], parts[1]);
        return decimal.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * (1UL << shift) == bytes;
    }
}
