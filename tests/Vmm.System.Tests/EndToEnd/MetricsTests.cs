// Issue 17's metrics as an operator meets them: the AOT controller and two AOT hostd of a loopback cluster with
// metrics-listen set, scraped over HTTP; each exposition passes `promtool check metrics`; a real Prometheus server
// (Debian's prometheus package: /usr/bin/prometheus and promtool), started here on a free loopback port with a
// temporary configuration and storage and stopped by its pid, scrapes all three and reports every target up; and
// the Grafana dashboard in packaging/ parses, queries only metrics the expositions hold, and every one of its
// queries is accepted by that Prometheus. The package's own service (started by its init script where systemd is
// not running and no policy-rc.d forbids it) is never used: it listens on 9090, which nothing here touches.
using System.Diagnostics;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
[Trait("Needs", "packages")]
public sealed partial class MetricsTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task Both_daemons_serve_metrics_that_promtool_and_a_real_Prometheus_accept()
    {
        await using var c = new Cluster();
        int controllerPort = Cluster.FreeTcpPort(), hostPortA = Cluster.FreeTcpPort(), hostPortB = Cluster.FreeTcpPort();
        c.StartController("--metrics-listen", $"127.0.0.1:{controllerPort}");
        c.StartHost("hv-a", extra: ["--metrics-listen", $"127.0.0.1:{hostPortA}", "--usage-interval", "1s"]);
        c.StartHost("hv-b", extra: ["--metrics-listen", $"127.0.0.1:{hostPortB}"]);
        c.Eventually(() => c.Hosts().Count(h => h.GetProperty("state").GetString() == "up") == 2, "both hosts are up");
        var created = c.Ctl("vm", "create", "--name", "m1", "--host", "hv-a", "--memory", "128M", "--disk", "1G");
        Assert.True(created.Code == 0, created.Err + c.Logs());
        Assert.Equal(0, c.Ctl("vm", "start", "m1").Code);
        c.Eventually(() => c.Vm("m1") is { } v && v.GetProperty("power").GetString() == "running", "m1 runs");

        // Per-VM usage (spec §16): m1's CPU seconds once hv-a's first usage sample after the start arrived.
        string controller = await ScrapeAsync(controllerPort);
        for (int i = 0; i < 100 && !controller.Contains("vmm_vm_cpu_seconds_total{host=\"hv-a\",vm=\"m1\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            controller = await ScrapeAsync(controllerPort);
        }
        Assert.Contains("vmm_vm_cpu_seconds_total{host=\"hv-a\",vm=\"m1\"", controller);
        Assert.Contains("vmm_vm_usage_series_omitted 0\n", controller);
        string hostA = await ScrapeAsync(hostPortA);
        string hostB = await ScrapeAsync(hostPortB);
        Assert.Contains("vmm_hosts{state=\"up\"} 2\n", controller);
        Assert.Contains("vmm_vms{host=\"hv-a\",power=\"running\"} 1\n", controller);
        Assert.Contains("vmm_controller_requests_total{code=\"start\",outcome=\"success\"} 1\n", controller);
        Assert.Contains("vmm_hostd_requests_total{code=\"start\",outcome=\"success\"} 1\n", hostA);
        Assert.Contains("vmm_hostd_vms{power=\"running\"} 1\n", hostA);
        Assert.Contains("vmm_libvirt_connected 1\n", hostB);
        Assert.Contains("vmm_build_info{daemon=\"hostd\",version=\"", hostB);

        foreach (var (name, text) in new[] { ("controller", controller), ("hv-a", hostA), ("hv-b", hostB) })
        {
            var (code, output) = Run("promtool", ["check", "metrics"], stdin: text);
            Assert.True(code == 0, $"promtool check metrics on {name}'s exposition: exit {code}\n{output}");
        }

        var names = SampleNames(controller).Union(SampleNames(hostA)).ToHashSet();
        var queries = DashboardQueries();
        foreach (var (title, expr) in queries)
            foreach (Match m in MetricName().Matches(expr))
                Assert.True(names.Contains(m.Value), $"the dashboard's panel '{title}' queries {m.Value}, which no exposition has");

        await using var prometheus = new PrometheusServer([$"127.0.0.1:{controllerPort}"], [$"127.0.0.1:{hostPortA}", $"127.0.0.1:{hostPortB}"]);
        await prometheus.WaitForTargetsUpAsync(3);
        var up = await prometheus.QueryAsync("vmm_hosts{state=\"up\"}");
        Assert.Equal("2", up[0].GetProperty("value")[1].GetString());
        // Grafana's variables as the dashboard's defaults set them (the job names this test's Prometheus uses).
        foreach (var (title, expr) in queries)
            await prometheus.QueryAsync(expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                .Replace("$controller", "vmm-controller", StringComparison.Ordinal).Replace("$hostd", "vmm-hostd", StringComparison.Ordinal), title);
    }

    private static async Task<string> ScrapeAsync(int port)
    {
        using var response = await Http.GetAsync($"http://127.0.0.1:{port}/metrics");
        Assert.True(response.IsSuccessStatusCode, $"scrape of port {port}: {(int)response.StatusCode}");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Every metric name a sample line of <paramref name="exposition"/> carries.</summary>
    private static IEnumerable<string> SampleNames(string exposition) =>
        exposition.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l[..l.IndexOfAny(['{', ' '])]);

    /// <summary>The dashboard's queries (panel title, expr), after checking that it parses as a dashboard.</summary>
    private static List<(string Title, string Expr)> DashboardQueries([CallerFilePath] string here = "")
    {
        string path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../../packaging/grafana/vmm-dashboard.json"));
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()));
        Assert.True(root.GetProperty("schemaVersion").GetInt32() > 0);
        var queries = new List<(string, string)>();
        foreach (var panel in root.GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets)) continue;
            string title = panel.GetProperty("title").GetString()!;
            foreach (var t in targets.EnumerateArray()) queries.Add((title, t.GetProperty("expr").GetString()!));
        }
        Assert.True(queries.Count >= 6, $"only {queries.Count} queries in {path}");
        return queries;
    }

    [GeneratedRegex(@"\b(?:vmm|process)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    internal static (int Code, string Output) Run(string exe, string[] args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(60000)) { p.Kill(); throw new TimeoutException($"{exe} did not finish"); }
        return (p.ExitCode, output.Result + error.Result);
    }

    /// <summary>A Prometheus server of our own on a free loopback port, its configuration and storage in a temporary folder.</summary>
    private sealed class PrometheusServer : IAsyncDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("vmm-prometheus-").FullName;
        private readonly Process _process;
        private readonly string _log;
        private readonly int _port = Cluster.FreeTcpPort();

        public PrometheusServer(IEnumerable<string> controllers, IEnumerable<string> hosts)
        {
            string config = Path.Combine(_dir, "prometheus.yml");
            File.WriteAllText(config, $"""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: vmm-controller
                    static_configs:
                      - targets: [{string.Join(", ", controllers.Select(t => $"'{t}'"))}]
                  - job_name: vmm-hostd
                    static_configs:
                      - targets: [{string.Join(", ", hosts.Select(t => $"'{t}'"))}]
                """);
            var (code, output) = Run("promtool", ["check", "config", config]);
            Assert.True(code == 0, output);
            _log = Path.Combine(_dir, "prometheus.log");
            var psi = new ProcessStartInfo("prometheus") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_dir, "data")}",
                         $"--web.listen-address=127.0.0.1:{_port}", "--log.level=warn" })
                psi.ArgumentList.Add(a);
            _process = Process.Start(psi)!;
            var log = new StreamWriter(_log) { AutoFlush = true };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
        }

        private string Logs() => File.Exists(_log) ? File.ReadAllText(_log) : "";

        public async Task WaitForTargetsUpAsync(int count)
        {
            var until = Stopwatch.StartNew();
            string last = "";
            while (until.Elapsed < TimeSpan.FromSeconds(60))
            {
                Assert.False(_process.HasExited, $"prometheus exited: {Logs()}");
                try
                {
                    last = await Http.GetStringAsync($"http://127.0.0.1:{_port}/api/v1/targets");
                    using var doc = JsonDocument.Parse(last);
                    var targets = doc.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().ToList();
                    if (targets.Count == count && targets.All(t => t.GetProperty("health").GetString() == "up")) return;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                await Task.Delay(250);
            }
            Assert.Fail($"Prometheus did not report {count} targets up within 60 s: {last}\n{Logs()}");
        }

        /// <summary>The result vector of an instant query; fails the test when Prometheus refuses the query.</summary>
        public async Task<JsonElement[]> QueryAsync(string query, string? what = null)
        {
            using var response = await Http.GetAsync($"http://127.0.0.1:{_port}/api/v1/query?query={Uri.EscapeDataString(query)}");
            string body = await response.Content.ReadAsStringAsync();
            using var doc = JsonDocument.Parse(body);
            Assert.True(doc.RootElement.GetProperty("status").GetString() == "success", $"{what ?? query}: Prometheus refused '{query}': {body}");
            return [.. doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone())];
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
                if (!_process.WaitForExit(20000)) _process.Kill();
            }
            await _process.WaitForExitAsync();
            _process.Dispose();
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        }
    }
}
