using System.Buffers;
using System.Text;
using Vmm.Hosting.Metrics;
using Vmm.Protocol;

namespace Vmm.Hosting.Tests.Metrics;

/// <summary>The text exposition format 0.0.4 as MetricsWriter writes it: HELP and TYPE, escaping, numbers, histograms.</summary>
public sealed class MetricsWriterTests
{
    private static string Write(Action<MetricsWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new MetricsWriter(buffer));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void A_family_starts_with_its_HELP_and_TYPE_lines()
    {
        var text = Write(w => w.Single("vmm_things_total", MetricType.Counter, "Things counted.", 42));
        Assert.Equal("# HELP vmm_things_total Things counted.\n# TYPE vmm_things_total counter\nvmm_things_total 42\n", text);
    }

    [Fact]
    public void Gauge_and_histogram_types_are_named_as_the_format_spells_them()
    {
        Assert.Contains("# TYPE g gauge\n", Write(w => w.Family("g", MetricType.Gauge, "h")));
        Assert.Contains("# TYPE h histogram\n", Write(w => w.Family("h", MetricType.Histogram, "h")));
    }

    [Fact]
    public void Label_values_escape_backslash_quote_and_newline_and_keep_other_text()
    {
        var text = Write(w => w.Sample("m").Label("a", "x\\y\"z\nw").Label("b", "héllo, wörld {}=").Value(1));
        Assert.Equal("m{a=\"x\\\\y\\\"z\\nw\",b=\"héllo, wörld {}=\"} 1\n", text);
    }

    [Fact]
    public void Help_text_escapes_backslash_and_newline_but_not_quotes()
    {
        var text = Write(w => w.Family("m", MetricType.Gauge, "a \"quoted\" back\\slash\nnext"));
        Assert.StartsWith("# HELP m a \"quoted\" back\\\\slash\\nnext\n", text);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(0.25, "0.25")]
    [InlineData(1e21, "1E+21")]
    [InlineData(-3.0, "-3")]
    public void Numbers_are_written_as_Go_parses_them(double value, string expected)
    {
        Assert.Equal($"m {expected}\n", Write(w => w.Sample("m").Value(value)));
    }

    [Fact]
    public void Whole_numbers_are_written_without_separators_or_exponents()
    {
        Assert.Equal("m{k=\"v\"} 9223372036854775807\n", Write(w => w.Sample("m").Label("k", "v").Value(long.MaxValue)));
    }

    [Fact]
    public void A_histogram_has_cumulative_buckets_ending_in_Inf_then_sum_and_count()
    {
        var h = new LatencyHistogram([0.1, 1]);
        h.Observe(TimeSpan.FromMilliseconds(50));
        h.Observe(TimeSpan.FromMilliseconds(100));   // on a bound: counted in it (le is "less or equal")
        h.Observe(TimeSpan.FromMilliseconds(500));
        h.Observe(TimeSpan.FromSeconds(3));
        var text = Write(w => w.Histogram("vmm_x_seconds", h, "code", "start"));
        Assert.Equal(
            "vmm_x_seconds_bucket{code=\"start\",le=\"0.1\"} 2\n" +
            "vmm_x_seconds_bucket{code=\"start\",le=\"1\"} 3\n" +
            "vmm_x_seconds_bucket{code=\"start\",le=\"+Inf\"} 4\n" +
            "vmm_x_seconds_sum{code=\"start\"} 3.65\n" +
            "vmm_x_seconds_count{code=\"start\"} 4\n", text);
    }

    [Fact]
    public void A_histogram_without_labels_has_le_alone()
    {
        var h = new LatencyHistogram([1]);
        var text = Write(w => w.Histogram("x", h));
        Assert.Equal("x_bucket{le=\"1\"} 0\nx_bucket{le=\"+Inf\"} 0\nx_sum 0\nx_count 0\n", text);
    }

    [Fact]
    public void Histogram_bounds_must_ascend()
    {
        Assert.Throws<ArgumentException>(() => new LatencyHistogram([1, 0.5]));
    }

    [Fact]
    public void Requests_are_counted_by_code_and_outcome_and_timed_by_code()
    {
        var requests = new RequestMetrics();
        requests.Record(RequestCode.Start, AckCode.Success, TimeSpan.FromMilliseconds(3));
        requests.Record(RequestCode.Start, AckCode.Success, TimeSpan.FromMilliseconds(3));
        requests.Record(RequestCode.Start, AckCode.Busy, TimeSpan.FromMilliseconds(1));
        requests.Record((RequestCode)200, (AckCode)99, TimeSpan.Zero);
        var text = Write(w => requests.Write(w, "vmm_r_total", "Requests.", "vmm_r_duration_seconds", "Durations."));
        Assert.Contains("vmm_r_total{code=\"start\",outcome=\"success\"} 2\n", text);
        Assert.Contains("vmm_r_total{code=\"start\",outcome=\"busy\"} 1\n", text);
        Assert.Contains("vmm_r_total{code=\"other\",outcome=\"other\"} 1\n", text);
        Assert.Contains("vmm_r_duration_seconds_count{code=\"start\"} 3\n", text);
        Assert.DoesNotContain("code=\"stop\"", text);
        Assert.Contains("# TYPE vmm_r_duration_seconds histogram\n", text);
    }

    [Fact]
    public void Every_assigned_request_code_has_its_own_series()
    {
        var requests = new RequestMetrics();
        foreach (var code in Enum.GetValues<RequestCode>()) requests.Record(code, AckCode.Success, TimeSpan.FromMilliseconds(1));
        var text = Write(w => requests.Write(w, "vmm_r_total", "Requests.", "vmm_r_duration_seconds", "Durations."));
        foreach (var code in Enum.GetValues<RequestCode>())
            Assert.Contains($"vmm_r_total{{code=\"{Vmm.Protocol.Text.Names.Of(code)}\",outcome=\"success\"}} 1\n", text);
    }

    [Fact]
    public void Writing_samples_allocates_nothing()
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        var w = new MetricsWriter(buffer);
        var h = new LatencyHistogram();
        void Round()
        {
            buffer.ResetWrittenCount();
            for (int i = 0; i < 100; i++) w.Sample("vmm_vms").Label("host", "kvm-00001.fra1").Label("power", "running").Value(100L);
            w.Sample("m").Value(0.5);
            w.Histogram("x", h, "code", "start");
        }
        for (int i = 0; i < 50; i++) Round();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Round();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
