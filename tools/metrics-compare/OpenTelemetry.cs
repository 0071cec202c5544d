// System.Diagnostics.Metrics instruments, exported by OpenTelemetry's Prometheus exporter on its HttpListener.
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

var log = NLog.LogManager.GetLogger("compare");
log.Info("opentelemetry");
using var meter = new Meter("vmm");
using var provider = Sdk.CreateMeterProviderBuilder()
    .AddMeter("vmm")
    .AddView("vmm_call_duration_seconds", new ExplicitBucketHistogramConfiguration
    {
        Boundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    })
    .AddPrometheusHttpListener(o =>
    {
        o.Host = "127.0.0.1";
        o.Port = Driver.Port;
        // No cached answer between scrapes: every scrape renders, as every other variant does.
        o.ScrapeResponseCacheDurationMilliseconds = 0;
    })
    .Build();
var things = meter.CreateCounter<long>("vmm_things", description: "Things.");
var calls = meter.CreateHistogram<double>("vmm_call_duration_seconds", unit: null, description: "Calls.");
meter.CreateObservableGauge("vmm_up", () => 1, description: "Up.");
for (int i = 0; i < Driver.Series; i++)
    things.Add(i, new KeyValuePair<string, object?>("host", Driver.Hosts[i / 4]), new KeyValuePair<string, object?>("power", Driver.Powers[i % 4]));
for (int c = 0; c < Driver.Codes; c++) calls.Record(c * 0.003, new KeyValuePair<string, object?>("code", Driver.CodeNames[c]));
Driver.Measure("OpenTelemetry + Prometheus.HttpListener 1.20.1-beta.1");
