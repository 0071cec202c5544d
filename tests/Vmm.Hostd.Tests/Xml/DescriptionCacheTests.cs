// DescriptionCache: a domain's XML is parsed again only when its bytes change, and the cache holds only the
// domains that are still there.
using System.Text;
using Vmm.Hostd.Libvirt;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Xml;

public sealed class DescriptionCacheTests
{
    private static readonly Guid A = Guid.Parse("6d6d7600-0000-4000-8000-00000000000a"), B = Guid.Parse("6d6d7600-0000-4000-8000-00000000000b");

    private static byte[] Xml(int vcpus) => Encoding.UTF8.GetBytes($"<domain type='test'><name>a</name><vcpu>{vcpus}</vcpu><devices/></domain>");

    [Fact]
    public void The_same_bytes_give_the_description_parsed_before_and_new_bytes_are_parsed()
    {
        var cache = new DescriptionCache();
        var first = cache.Get(A, Xml(2));
        Assert.Same(first, cache.Get(A, Xml(2)));
        var changed = cache.Get(A, Xml(4));
        Assert.NotSame(first, changed);
        Assert.Equal(4, changed.MaxVcpus);
        Assert.Equal(2, cache.Get(B, Xml(2)).MaxVcpus);
    }

    [Fact]
    public void Xml_that_does_not_parse_is_not_kept_and_fails_again()
    {
        var cache = new DescriptionCache();
        var bad = Encoding.UTF8.GetBytes("<domain><vcpu>many</vcpu></domain>");
        Assert.Throws<FormatException>(() => cache.Get(A, bad));
        Assert.Throws<FormatException>(() => cache.Get(A, bad));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Domains_missing_from_a_complete_listing_and_forgotten_ones_are_dropped()
    {
        var cache = new DescriptionCache();
        cache.Get(A, Xml(1));
        cache.Get(B, Xml(1));
        cache.Retain([new VmState { Uuid = B, Name = "b", Attributes = [] }]);
        Assert.Equal(1, cache.Count);
        cache.Forget(B);
        Assert.Equal(0, cache.Count);
    }
}
