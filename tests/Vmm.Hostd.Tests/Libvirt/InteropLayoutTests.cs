// The C structs hostd reads, laid out as libvirt's headers lay them out on LP64 Linux. Offsets are those of the
// headers (libvirt-host.h, libvirt-domain.h, libvirt-storage.h, virterror.h); the live tests read known values.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vmm.Hostd.Interop;
using Vmm.Hostd.Tests.Support;

namespace Vmm.Hostd.Tests.Libvirt;

public sealed class InteropLayoutTests
{
    [Fact]
    public void VirNodeInfo_matches_libvirt_host_h()
    {
        Assert.Equal(64, Unsafe.SizeOf<VirNodeInfo>());
        Assert.Equal(32, (int)Marshal.OffsetOf<VirNodeInfo>(nameof(VirNodeInfo.Memory)));
        Assert.Equal(40, (int)Marshal.OffsetOf<VirNodeInfo>(nameof(VirNodeInfo.Cpus)));
        Assert.Equal(60, (int)Marshal.OffsetOf<VirNodeInfo>(nameof(VirNodeInfo.Threads)));
    }

    [Fact]
    public void VirDomainInfo_matches_libvirt_domain_h()
    {
        Assert.Equal(40, Unsafe.SizeOf<VirDomainInfo>());
        Assert.Equal(8, (int)Marshal.OffsetOf<VirDomainInfo>(nameof(VirDomainInfo.MaxMem)));
        Assert.Equal(16, (int)Marshal.OffsetOf<VirDomainInfo>(nameof(VirDomainInfo.Memory)));
        Assert.Equal(24, (int)Marshal.OffsetOf<VirDomainInfo>(nameof(VirDomainInfo.NrVirtCpu)));
        Assert.Equal(32, (int)Marshal.OffsetOf<VirDomainInfo>(nameof(VirDomainInfo.CpuTime)));
    }

    [Fact]
    public void VirTypedParameter_and_VirDomainStatsRecord_match_libvirt_common_h_and_libvirt_domain_h()
    {
        Assert.Equal(96, Unsafe.SizeOf<VirTypedParameter>());
        Assert.Equal(80, (int)Marshal.OffsetOf<VirTypedParameter>(nameof(VirTypedParameter.Type)));
        Assert.Equal(88, (int)Marshal.OffsetOf<VirTypedParameter>(nameof(VirTypedParameter.Value)));
        Assert.Equal(24, Unsafe.SizeOf<VirDomainStatsRecord>());
        Assert.Equal(8, (int)Marshal.OffsetOf<VirDomainStatsRecord>(nameof(VirDomainStatsRecord.Params)));
        Assert.Equal(16, (int)Marshal.OffsetOf<VirDomainStatsRecord>(nameof(VirDomainStatsRecord.NParams)));
    }

    [Fact]
    public void A_typed_parameter_is_a_count_by_its_type()
    {
        var p = new VirTypedParameter { Type = VirTypedParameter.ULLong, Value = ulong.MaxValue };
        Assert.Equal(ulong.MaxValue, p.Count);
        p = new VirTypedParameter { Type = VirTypedParameter.Int, Value = 0xFFFF_FFFF_0000_0007 };   // the union's high bytes are not the int's
        Assert.Equal(7UL, p.Count);
        p = new VirTypedParameter { Type = VirTypedParameter.LLong, Value = unchecked((ulong)-5L) };
        Assert.Equal(0UL, p.Count);
        p = new VirTypedParameter { Type = VirTypedParameter.String, Value = 1 };
        Assert.Null(p.Count);
    }

    [Fact]
    public void VirError_matches_virterror_h()
    {
        Assert.Equal(80, Unsafe.SizeOf<VirError>());
        Assert.Equal(8, (int)Marshal.OffsetOf<VirError>(nameof(VirError.Message)));
        Assert.Equal(16, (int)Marshal.OffsetOf<VirError>(nameof(VirError.Level)));
        Assert.Equal(40, (int)Marshal.OffsetOf<VirError>(nameof(VirError.Str1)));
        Assert.Equal(64, (int)Marshal.OffsetOf<VirError>(nameof(VirError.Int1)));
        Assert.Equal(72, (int)Marshal.OffsetOf<VirError>(nameof(VirError.Net)));
    }

    [Fact]
    public void Block_and_volume_info_match_their_headers()
    {
        Assert.Equal(24, Unsafe.SizeOf<VirDomainBlockInfo>());
        Assert.Equal(24, Unsafe.SizeOf<VirStorageVolInfo>());
        Assert.Equal(8, (int)Marshal.OffsetOf<VirStorageVolInfo>(nameof(VirStorageVolInfo.Capacity)));
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public void Node_info_of_the_default_test_node_reads_its_known_values()
    {
        using var conn = LibvirtApi.Open("test:///default");
        var info = LibvirtApi.GetNodeInfo(conn);
        Assert.Equal(16u, info.Cpus);
        Assert.Equal(3145728ul, (ulong)info.Memory.Value);
        Assert.Equal(1400u, info.Mhz);
        Assert.Equal(2u, info.Threads);
        var bytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref info, 1))[..32];
        Assert.Equal("i686", System.Text.Encoding.UTF8.GetString(bytes[..bytes.IndexOf((byte)0)]));
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public void Domain_info_of_the_default_test_domain_reads_its_known_values()
    {
        // test:///default is shared by overlapping connections of the process: nothing here changes it.
        using var conn = LibvirtApi.Open("test:///default");
        using var dom = LibvirtApi.LookupDomain(conn, TestNode.DefaultDomain)!;
        var info = LibvirtApi.GetInfo(dom);
        Assert.Equal(8388608ul, (ulong)info.MaxMem.Value);
        Assert.Equal(2097152ul, (ulong)info.Memory.Value);
        Assert.Equal(2, info.NrVirtCpu);
        Assert.Equal("test", LibvirtApi.GetName(dom));
        Assert.Equal(TestNode.DefaultDomain, LibvirtApi.GetUuid(dom));
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public void A_child_handle_keeps_its_connection_open_until_released()
    {
        var conn = LibvirtApi.Open("test:///default");
        var dom = LibvirtApi.LookupDomain(conn, TestNode.DefaultDomain)!;
        conn.Dispose();
        Assert.False(conn.IsClosed);   // the domain still holds it
        Assert.Equal("test", LibvirtApi.GetName(dom));
        dom.Dispose();
        Assert.True(conn.IsClosed);
    }
}
