// Vmm's writer (OwnSource) served by the SDK's HttpListener instead of MetricsServer: what the SDK's server costs.
using System.Net;
using Vmm.Hosting.Metrics;

var log = NLog.LogManager.GetLogger("compare");
log.Info("own over HttpListener");
var source = new OwnSource();
var listener = new HttpListener();
listener.Prefixes.Add($"http://127.0.0.1:{Driver.Port}/metrics/");
listener.Start();
_ = Task.Run(async () =>
{
    while (true)
    {
        var context = await listener.GetContextAsync();
        using var buffer = new PooledBufferWriter();
        source.Write(new MetricsWriter(buffer));
        context.Response.ContentType = MetricsServer.ContentType;
        context.Response.ContentLength64 = buffer.Length;
        await context.Response.OutputStream.WriteAsync(buffer.Written);
        context.Response.Close();
    }
});
Driver.Measure("own writer + HttpListener (SDK)");
