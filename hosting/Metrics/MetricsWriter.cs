// The Prometheus text exposition format, version 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats):
//   # HELP name text            (text escapes \ and newline)
//   # TYPE name counter|gauge|histogram
//   name{label="value",...} 1234          (label values escape \, " and newline)
// UTF-8 straight into an IBufferWriter: no string is built per sample, so a scrape of a large fleet costs the
// bytes of its exposition and nothing per series.
using System.Buffers;
using System.Globalization;
using System.Text;

namespace Vmm.Hosting.Metrics;

/// <summary>What a metric family is, as its TYPE line says.</summary>
public enum MetricType : byte { Counter, Gauge, Histogram }

/// <summary>
/// Writes one exposition. Each family is <see cref="Family"/> (HELP and TYPE), then its samples: <see cref="Sample"/>,
/// any <see cref="Label"/>s, then <see cref="Value(long)"/> ends the line. Names are the caller's constants
/// (prefix <c>vmm_</c>, base units, <c>_total</c> on counters: prometheus.io/docs/practices/naming).
/// </summary>
public sealed class MetricsWriter(IBufferWriter<byte> output)
{
    private bool _labelsOpen;

    /// <summary>The HELP and TYPE lines of a family; its samples follow.</summary>
    public void Family(string name, MetricType type, string help)
    {
        Ascii("# HELP ");
        Ascii(name);
        Byte((byte)' ');
        Escaped(help, quote: false);
        Ascii("\n# TYPE ");
        Ascii(name);
        Ascii(type switch { MetricType.Counter => " counter\n", MetricType.Gauge => " gauge\n", _ => " histogram\n" });
    }

    /// <summary>Starts a sample line with its metric name.</summary>
    public MetricsWriter Sample(string name)
    {
        Ascii(name);
        _labelsOpen = false;
        return this;
    }

    /// <summary>Adds a label to the sample being written.</summary>
    public MetricsWriter Label(string name, string value)
    {
        Byte(_labelsOpen ? (byte)',' : (byte)'{');
        _labelsOpen = true;
        Ascii(name);
        Ascii("=\"");
        Escaped(value, quote: true);
        Byte((byte)'"');
        return this;
    }

    /// <summary>Ends the sample with a whole number.</summary>
    public void Value(long value)
    {
        CloseLabels();
        var span = output.GetSpan(21);
        value.TryFormat(span, out int n, default, CultureInfo.InvariantCulture);
        span[n] = (byte)'\n';
        output.Advance(n + 1);
    }

    /// <summary>Ends the sample with a number (NaN and the infinities as the format spells them).</summary>
    public void Value(double value)
    {
        CloseLabels();
        Number(value);
        Byte((byte)'\n');
    }

    /// <summary>A family of one sample without labels.</summary>
    public void Single(string name, MetricType type, string help, long value)
    {
        Family(name, type, help);
        Sample(name).Value(value);
    }

    /// <summary>A family of one sample without labels.</summary>
    public void Single(string name, MetricType type, string help, double value)
    {
        Family(name, type, help);
        Sample(name).Value(value);
    }

    /// <summary>
    /// The samples of one histogram series: <c>name_bucket{...,le="b"}</c> for each bound and <c>+Inf</c> (cumulative),
    /// then <c>name_sum</c> and <c>name_count</c>; with one label (<paramref name="label"/>) or none. The family's HELP and
    /// TYPE come first, from <see cref="Family"/>, once for all its series.
    /// </summary>
    public void Histogram(string name, LatencyHistogram histogram, string? label = null, string? labelValue = null)
    {
        // Read bucket by bucket while others observe: _count is the sum of the buckets read, so it equals +Inf.
        long cumulative = 0;
        var bounds = histogram.Bounds;
        for (int i = 0; i <= bounds.Length; i++)
        {
            cumulative += histogram.CountAt(i);
            Ascii(name);
            Ascii("_bucket");
            _labelsOpen = false;
            if (label is not null) Label(label, labelValue ?? "");
            Byte(_labelsOpen ? (byte)',' : (byte)'{');
            Ascii("le=\"");
            if (i < bounds.Length) Number(bounds[i]);
            else Ascii("+Inf");
            Byte((byte)'"');
            _labelsOpen = true;
            Value(cumulative);
        }
        Ascii(name);
        Ascii("_sum");
        _labelsOpen = false;
        if (label is not null) Label(label, labelValue ?? "");
        Value(histogram.SumSeconds);
        Ascii(name);
        Ascii("_count");
        _labelsOpen = false;
        if (label is not null) Label(label, labelValue ?? "");
        Value(cumulative);
    }

    /// <summary>Lines written by another writer (samples of a family gathered apart), as they are.</summary>
    public void Raw(ReadOnlySpan<byte> lines)
    {
        lines.CopyTo(output.GetSpan(lines.Length));
        output.Advance(lines.Length);
    }

    private void CloseLabels()
    {
        Ascii(_labelsOpen ? "} " : " ");
        _labelsOpen = false;
    }

    private void Number(double value)
    {
        if (double.IsNaN(value)) Ascii("NaN");
        else if (double.IsPositiveInfinity(value)) Ascii("+Inf");
        else if (double.IsNegativeInfinity(value)) Ascii("-Inf");
        else
        {
            var span = output.GetSpan(32);
            value.TryFormat(span, out int n, "R", CultureInfo.InvariantCulture);
            output.Advance(n);
        }
    }

    private void Byte(byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    // Names and fixed text: ASCII by construction.
    private void Ascii(string text)
    {
        var span = output.GetSpan(text.Length);
        for (int i = 0; i < text.Length; i++) span[i] = (byte)text[i];
        output.Advance(text.Length);
    }

    /// <summary>UTF-8 of <paramref name="text"/> with \ and newline escaped, and " too inside a label value.</summary>
    private void Escaped(string text, bool quote)
    {
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            string? escape = c switch { '\\' => "\\\\", '\n' => "\\n", '"' when quote => "\\\"", _ => null };
            if (escape is null) continue;
            Utf8(text.AsSpan(start, i - start));
            Ascii(escape);
            start = i + 1;
        }
        Utf8(text.AsSpan(start));
    }

    private void Utf8(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
