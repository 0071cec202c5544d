// Vmm's own: plain counters and a writer (OwnSource), served by MetricsServer.
using System.Net;
using Vmm.Hosting.Metrics;

var log = NLog.LogManager.GetLogger("compare");
log.Info("own");
var server = new MetricsServer(new IPEndPoint(IPAddress.Loopback, Driver.Port), [new OwnSource()], log: log);
_ = server.RunAsync(CancellationToken.None);
Driver.Measure("own writer + MetricsServer");
