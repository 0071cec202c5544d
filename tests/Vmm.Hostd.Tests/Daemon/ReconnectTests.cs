// hostd against a real libvirtd that goes away and comes back (issue 3: "when libvirtd goes away hostd keeps
// running, reports hypervisor unreachable in its heartbeats, answers requests with a failure ack that says so,
// and reconnects without a restart"). The libvirtd is private: its own mount namespace, its sockets in a
// temporary folder, stopped by pid.
using Vmm.Benchmarks.RoundTrip;
using Vmm.Hostd.Libvirt;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

[Trait("Needs", "libvirt")]
[Trait("Needs", "libvirtd")]
[Trait("Needs", "root")]
public sealed class ReconnectTests
{
    [Fact]
    public async Task Hostd_reports_unreachable_while_libvirtd_is_gone_and_reconnects_without_a_restart()
    {
        string dir = Directory.CreateTempSubdirectory("vmm-libvirtd-").FullName;
        var node = TestNode.PrivateOptions();   // a private copy of single.xml: its path is what libvirtd loads
        string nodePath = node.Uri["test://".Length..];
        var libvirtd = PrivateLibvirtd.Start(dir);
        try
        {
            var hypervisor = new LibvirtHypervisor(node with { Uri = libvirtd.TestUri(nodePath) }, NLog.LogManager.GetLogger("test"));
            await using var f = new DaemonFixture(heartbeat: TimeSpan.FromMilliseconds(200), hypervisor: hypervisor);
            f.ReceiveStateUntil(s => s.Pages > 0 && s.Vms.Any(v => v.Uuid == TestNode.DefaultDomain));

            libvirtd.Dispose();   // libvirtd goes away under hostd
            var down = f.ReceiveStateUntil(s => s.Status.HasFlag(HostStatus.Unreachable));
            Assert.Empty(down.Vms);
            using (var c = f.Connect())
            {
                var ack = c.Call(new RequestPdu { RequestId = 0x0B00000001, BootId = f.Boot, Code = RequestCode.Pause, Vm = TestNode.DefaultDomain });
                Assert.Equal(AckCode.Failure, ack.Code);
                Assert.Contains("unreachable", ack.Results.First(r => r.Type == AttrType.Message).Text);
            }

            libvirtd = PrivateLibvirtd.Start(dir);   // back, at the same socket: hostd reconnects by itself
            var back = f.ReceiveStateUntil(s => s.Pages > 0 && !s.Status.HasFlag(HostStatus.Unreachable) && s.Vms.Count > 0);
            Assert.Equal(f.Boot, back.BootId);   // the same run of hostd
            using (var c = f.Connect())
            {
                var ack = c.Call(new RequestPdu { RequestId = 0x0B00000002, BootId = f.Boot, Code = RequestCode.Pause, Vm = TestNode.DefaultDomain });
                Assert.Equal(AckCode.Success, ack.Code);
            }
        }
        finally
        {
            libvirtd.Dispose();
            Directory.Delete(dir, recursive: true);
            Directory.Delete(Path.GetDirectoryName(node.PoolPath)!, recursive: true);
        }
    }
}
