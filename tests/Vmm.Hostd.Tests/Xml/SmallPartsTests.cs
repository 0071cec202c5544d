// MAC text, libvirt's memory units and disk names: the conversions the XML layer rests on.
using FsCheck.Xunit;
using Vmm.Hostd.Libvirt.Xml;

namespace Vmm.Hostd.Tests.Xml;

public sealed class SmallPartsTests
{
    [Property]
    public bool Mac_TryParse_of_Format_is_identity(ulong raw)
    {
        ulong mac = raw & MacText.Max;
        return MacText.TryParse(MacText.Format(mac), out ulong back) && back == mac;
    }

    [Theory]
    [InlineData("52:54:00:12:34:56", 0x525400123456UL)]
    [InlineData("FF:ff:00:00:00:01", 0xFFFF00000001UL)]
    public void Mac_text_reads_either_case(string text, ulong mac)
    {
        Assert.True(MacText.TryParse(text, out ulong v));
        Assert.Equal(mac, v);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("52:54:00:12:34")]
    [InlineData("52-54-00-12-34-56")]
    [InlineData("52:54:00:12:34:5g")]
    [InlineData("52:54:00:12:34:+5")]
    public void Mac_text_refuses_anything_else(string? text)
    {
        Assert.False(MacText.TryParse(text, out _));
    }

    [Theory]
    [InlineData("1024", null, 1024UL)]
    [InlineData("1024", "KiB", 1024UL)]
    [InlineData("1024", "k", 1024UL)]
    [InlineData("2", "MiB", 2048UL)]
    [InlineData("2", "M", 2048UL)]
    [InlineData("1", "GiB", 1048576UL)]
    [InlineData("1", "TiB", 1073741824UL)]
    [InlineData("1", "PiB", 1099511627776UL)]
    [InlineData("1", "EiB", 1125899906842624UL)]
    [InlineData("1", "g", 1048576UL)]
    [InlineData("1000", "KB", 977UL)]
    [InlineData("1", "MB", 977UL)]
    [InlineData("1", "GB", 976563UL)]
    [InlineData("1", "b", 1UL)]
    [InlineData("4096", "Byte", 4UL)]
    [InlineData("1", "Kib", 1UL)]
    [InlineData("1024", "kb", 1000UL)]
    [InlineData("2048", "bytes", 2UL)]
    [InlineData(" 7 ", "KiB", 7UL)]
    public void Memory_units_convert_to_KiB_rounding_up(string value, string? unit, ulong kib)
    {
        Assert.Equal(kib, MemoryUnits.ToKib(value, unit, "KiB", "memory"));
    }

    [Theory]
    [InlineData("-1", "KiB")]
    [InlineData("1.5", "GiB")]
    [InlineData("1", "KiBs")]
    [InlineData("1", "xB")]
    public void Memory_units_refuse_what_libvirt_refuses(string value, string unit)
    {
        Assert.Throws<FormatException>(() => MemoryUnits.ToKib(value, unit, "KiB", "memory"));
    }

    [Theory]
    [InlineData(0, "vda")]
    [InlineData(25, "vdz")]
    [InlineData(26, "vdaa")]
    [InlineData(51, "vdaz")]
    [InlineData(701, "vdzz")]
    [InlineData(702, "vdaaa")]
    public void Disk_names_count_like_libvirt(int index, string name)
    {
        Assert.Equal(name, DiskTargets.Name(index));
    }

    [Fact]
    public void Next_target_is_the_first_gap()
    {
        Assert.Equal("vda", DiskTargets.Next([]));
        Assert.Equal("vdb", DiskTargets.Next(["vda", "sda", "hdb"]));
        Assert.Equal("vdc", DiskTargets.Next(["vdb", "vda", "vdd"]));
        Assert.Equal("vdaa", DiskTargets.Next(Enumerable.Range(0, 26).Select(DiskTargets.Name)));
    }
}
