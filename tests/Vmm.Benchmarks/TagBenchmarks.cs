// The authentication tag (spec §3.3) by both HMAC-SHA-256 implementations a ClusterKey can use: the platform's
// (OpenSSL, which the controller keeps for ingest) and our own managed code (hostd's, so that it never loads
// OpenSSL). 1,200 bytes is a full STATE datagram; 100 bytes an ACK.
//   dotnet run -c Release --project tests/Vmm.Benchmarks -- --filter '*Tag*'
using BenchmarkDotNet.Attributes;
using Vmm.Protocol;

namespace Vmm.Benchmarks;

[MemoryDiagnoser]
public class TagBenchmarks
{
    private byte[] _pdu = [];
    private ClusterKey _platform = null!, _managed = null!;

    [Params(1200, 100)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pdu = new byte[Bytes];
        new Random(3_3).NextBytes(_pdu);
        _platform = ClusterKey.Generate();
        _managed = _platform.With(HmacImplementation.Managed);
        _platform.Sign(_pdu);
        // Same key, same tag: the rows measure the same work.
        if (!_managed.Verify(_pdu)) throw new InvalidOperationException("the managed HMAC disagrees with the platform's");
    }

    [Benchmark(Baseline = true, Description = "Sign, platform (OpenSSL)")]
    public void SignPlatform() => _platform.Sign(_pdu);

    [Benchmark(Description = "Sign, managed")]
    public void SignManaged() => _managed.Sign(_pdu);
}
