// hostd tags with our own HMAC-SHA-256 (ClusterKey with HmacImplementation.Managed) and draws its boot id from
// getrandom(2), so it never initializes .NET's OpenSSL shim, which would load libssl and libcrypto's tables
// (1.1 MB resident in hostd). The shim always loads libssl, which nothing else in hostd links: its absence from
// /proc/PID/maps is the observable effect. libcrypto itself stays mapped: libvirt links it through libssh.
namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
public sealed class HostdOpenSslTests
{
    [Fact]
    public async Task A_hostd_that_has_signed_and_verified_PDUs_has_not_loaded_libssl()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv-01");
        // Its state verified by the controller: hostd signs. A request it verified, answered with an ack it signed.
        c.Eventually(() => c.Host("hv-01")?.GetProperty("state").GetString() == "up", "hv-01 is up");
        var created = c.Ctl("vm", "create", "--name", "probe", "--host", "hv-01", "--memory", "128M");
        Assert.True(created.Code == 0, created.Err + c.Logs());

        var ssl = File.ReadLines($"/proc/{c.HostPid("hv-01")}/maps").Where(l => l.Contains("libssl", StringComparison.Ordinal)).ToList();
        Assert.True(ssl.Count == 0, $"vmm-hostd maps libssl (.NET's OpenSSL shim was initialized):\n{string.Join('\n', ssl)}");
    }
}
