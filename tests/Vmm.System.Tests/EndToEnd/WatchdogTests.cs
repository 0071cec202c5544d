// hostd's watchdog (spec §15.3) as a process, with a plain file for the device (each pet is a byte written to it):
// pets come while the controller renews the lease, stop while hostd is frozen (SIGSTOP), stop when the lease runs
// short once the controller is gone and come back once hostd has fenced, and a clean stop ends with the magic close.
namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
public sealed class WatchdogTests
{
    [Fact]
    public async Task Pets_stop_while_hostd_is_frozen_and_while_its_lease_runs_out_and_a_clean_stop_disarms()
    {
        await using var c = new Cluster();
        c.StartController();
        string device = Path.Combine(Path.GetTempPath(), $"vmm-watchdog-{Guid.NewGuid():N}");
        File.WriteAllBytes(device, []);
        try
        {
            c.StartHost("hv1", extra: ["--watchdog-device", device, "--watchdog-timeout", "3s"]);
            c.Eventually(() => c.Log("hv1").Contains("lapses in"), "the controller renews hv1's lease");
            c.Eventually(() => Grows(device), "pets while the lease is renewed");

            c.FreezeHost("hv1", true);
            try
            {
                Thread.Sleep(300);
                Assert.False(Grows(device, TimeSpan.FromSeconds(1)), "a frozen hostd pets its watchdog");
            }
            finally
            {
                c.FreezeHost("hv1", false);
            }
            c.Eventually(() => Grows(device), "pets again once thawed");

            // No controller: the lease runs short (pets stop), lapses, hostd fences (nothing HA runs), and pets again.
            c.StopController(kill: true);
            c.Eventually(() => c.Log("hv1").Contains("no longer petted: the lease of controller"), "pets stop as the lease runs short");
            c.Eventually(() => After(c.Log("hv1"), "no longer petted: the lease of controller").Contains("petted again: the HA VMs are fenced"),
                "pets again once hostd has fenced");
            Assert.True(Grows(device));

            c.StopHost("hv1");
            var written = File.ReadAllBytes(device);
            Assert.Equal((byte)'V', written[^1]);
        }
        finally
        {
            File.Delete(device);
        }
    }

    [Fact]
    public async Task A_device_that_cannot_be_opened_stops_the_start_with_one_line()
    {
        await using var c = new Cluster();
        string none = Path.Combine(Path.GetTempPath(), $"vmm-none-{Guid.NewGuid():N}.toml");
        File.WriteAllText(none, "");
        var (code, _, err) = Cluster.Run(Cluster.Bin("vmm-hostd"), ["--config", none, "--libvirt-uri", "test:///default", "--host-name", "hv1",
            "--key-file", c.HostKeyPath("hv1"), "--listen", "127.0.0.1:0", "--lease-file", "", "--watchdog-device", "/nonexistent/watchdog"]);
        File.Delete(none);
        Assert.Equal(1, code);
        Assert.Equal("vmm-hostd: watchdog-device /nonexistent/watchdog: cannot open it: No such file or directory", err.Trim().Split('\n')[^1]);
    }

    private static string After(string log, string line) => log[log.IndexOf(line, StringComparison.Ordinal)..];

    // Whether the file grows within the time (default half a second: ten pet periods).
    private static bool Grows(string path, TimeSpan? within = null)
    {
        long before = new FileInfo(path).Length;
        Thread.Sleep(within ?? TimeSpan.FromMilliseconds(500));
        return new FileInfo(path).Length > before;
    }
}
