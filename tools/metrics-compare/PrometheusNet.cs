// prometheus-net: its registry, counters and histogram, and its MetricServer (HttpListener).
using Prometheus;

var log = NLog.LogManager.GetLogger("compare");
log.Info("prometheus-net");
Metrics.SuppressDefaultMetrics();
var things = Metrics.CreateCounter("vmm_things_total", "Things.", new CounterConfiguration { LabelNames = ["host", "power"] });
var calls = Metrics.CreateHistogram("vmm_call_duration_seconds", "Calls.", new HistogramConfiguration
{
    LabelNames = ["code"],
    Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
});
var up = Metrics.CreateGauge("vmm_up", "Up.");
up.Set(1);
for (int i = 0; i < Driver.Series; i++) things.WithLabels(Driver.Hosts[i / 4], Driver.Powers[i % 4]).Inc(i);
for (int c = 0; c < Driver.Codes; c++) calls.WithLabels(Driver.CodeNames[c]).Observe(c * 0.003);
var server = new MetricServer("127.0.0.1", Driver.Port);
server.Start();
Driver.Measure("prometheus-net 8.2.1 (MetricServer)");
