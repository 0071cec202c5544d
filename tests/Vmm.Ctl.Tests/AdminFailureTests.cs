using System.Net.Sockets;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Tests;

/// <summary>What vmmctl does when the controller cannot be reached, breaks the stream, or the command line is wrong.</summary>
public sealed class AdminFailureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmmctl-unreachable-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_missing_socket_exits_9_naming_the_path()
    {
        var path = Path.Combine(_dir, "controller.sock");
        var r = Vmmctl.Run("host", "list", "--socket", path);
        Assert.Equal(9, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains($"no socket at {path}", r.Stderr);
    }

    [Fact]
    public void The_default_socket_is_the_packaged_path()
    {
        if (File.Exists("/run/vmm/controller.sock")) return; // a real controller runs here: nothing to learn
        var r = Vmmctl.Run("vm", "list");
        Assert.Equal(9, r.Exit);
        Assert.Contains("/run/vmm/controller.sock", r.Stderr);
    }

    [Fact]
    public void A_socket_nobody_listens_on_exits_9_saying_connection_refused()
    {
        var path = Path.Combine(_dir, "stale.sock");
        // Bound but not listening, as a crashed controller's socket file is (.NET would unlink it on Dispose).
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path));
        var r = Vmmctl.Run("vm", "start", "web-01", "--socket", path);
        Assert.Equal(9, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains($"connection refused on {path}", r.Stderr);
    }

    [Fact]
    public void A_socket_the_user_may_not_open_exits_9_saying_permission_denied()
    {
        // The packaged socket is mode 0660, root and group vmm: an operator outside the group is refused. Root is
        // refused nothing, so as root (CI) vmmctl runs as nobody, through setpriv (util-linux: no login needed).
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        var path = Path.Combine(_dir, "controller.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        bool root = Environment.IsPrivilegedProcess;
        File.SetUnixFileMode(path, root ? (UnixFileMode)0b110_110_000 : UnixFileMode.None);
        var r = root
            ? Vmmctl.RunUnder(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], "host", "list", "--socket", path)
            : Vmmctl.Run("host", "list", "--socket", path);
        Assert.Equal(9, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains($"permission denied on {path}", r.Stderr);
    }

    [Fact]
    public void An_error_from_the_controller_exits_1_with_its_message()
    {
        using var controller = new FakeController { Answer = _ => ["error code=malformed message=\"submit flags 0x80 set reserved bits\""] };
        var r = Vmmctl.Run("vm", "start", "web-01", "--socket", controller.SocketPath);
        Assert.Equal(1, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("malformed: submit flags 0x80 set reserved bits", r.Stderr);
    }

    [Fact]
    public void Garbage_from_the_controller_is_answered_with_an_error_and_exits_1()
    {
        using var controller = new FakeController { Handler = (_, c) => c.SendRaw("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray()) };
        var r = Vmmctl.Run("host", "list", "--socket", controller.SocketPath);
        Assert.Equal(1, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("bad-magic", r.Stderr);
        var error = Assert.IsType<ErrorPdu>(controller.WaitForReceived(2)[1]);
        Assert.Equal(ProtocolErrorCode.BadMagic, error.Code);
    }

    [Fact]
    public void A_pdu_a_controller_never_sends_is_refused_as_unexpected()
    {
        using var controller = new FakeController { Answer = _ => [AdminQueryTests.Hv01] };
        var r = Vmmctl.Run("vm", "start", "web-01", "--socket", controller.SocketPath);
        Assert.Equal(1, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("unexpected-type", r.Stderr);
        var error = Assert.IsType<ErrorPdu>(controller.WaitForReceived(2)[1]);
        Assert.Equal(ProtocolErrorCode.UnexpectedType, error.Code);
    }

    [Fact]
    public void A_vm_in_the_answer_to_a_hosts_query_is_refused()
    {
        using var controller = new FakeController { Answer = _ => [AdminQueryTests.Web01, "result code=success"] };
        var r = Vmmctl.Run("host", "list", "--socket", controller.SocketPath);
        Assert.Equal(1, r.Exit);
        Assert.Contains("unexpected-type", r.Stderr);
    }

    [Fact]
    public void A_controller_that_closes_with_a_request_in_flight_is_exit_6_as_its_outcome_is_unknown()
    {
        // Exit 1 would read "not done", and a script would do it again: the controller may have sent it to the host.
        using var controller = new FakeController { Answer = _ => [] };
        var r = Vmmctl.Run("vm", "start", "web-01", "--socket", controller.SocketPath);
        Assert.Equal(6, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("closed the connection before it answered: the request may have taken effect", r.Stderr);
    }

    [Fact]
    public void A_controller_that_closes_before_answering_a_query_is_unreachable_exit_9()
    {
        using var controller = new FakeController { Answer = _ => [] };
        var r = Vmmctl.Run("vm", "list", "--socket", controller.SocketPath);
        Assert.Equal(9, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("controller unreachable", r.Stderr);
    }

    [Fact]
    public void A_controller_that_closes_inside_a_pdu_leaves_the_outcome_unknown()
    {
        var result = PduCodec.ToBytes(FakeController.Parse("result code=success"));
        using var controller = new FakeController { Handler = (_, c) => c.SendRaw(result[..20]) };
        var r = Vmmctl.Run("vm", "start", "web-01", "--socket", controller.SocketPath);
        Assert.Equal(6, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("inside a PDU", r.Stderr);
    }

    [Fact]
    public void A_result_split_over_many_writes_is_put_back_together()
    {
        var reply = PduCodec.ToBytes(FakeController.Parse(AdminQueryTests.Web01))
            .Concat(PduCodec.ToBytes(FakeController.Parse("result code=success"))).ToArray();
        using var controller = new FakeController
        {
            Handler = (_, c) =>
            {
                foreach (var chunk in reply.Chunk(7))
                {
                    c.SendRaw(chunk);
                    Thread.Sleep(1);
                }
            },
        };
        var r = Vmmctl.Run("vm", "show", "web-01", "--socket", controller.SocketPath);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Contains("name:          web-01", r.Text);
    }

    [Fact]
    public void A_long_answer_grows_the_buffer()
    {
        // 300 VMs: about 40 KB, far beyond vmmctl's first read buffer.
        var vms = Enumerable.Range(0, 300).Select(i =>
            $"vm host=hv-01 vm={{uuid={new Guid(i, 0, 0, new byte[8])} name=vm-{i:d3} power=running vcpus=1 memory=1048576 " +
            $"disk={{target=vda bus=virtio size=10737418240}} nic={{mac=52:54:00:00:{i / 256:x2}:{i % 256:x2} model=virtio kind=bridge source=br0}}}} age-ms=5").ToList();
        using var controller = new FakeController { Answer = _ => [.. vms, "result code=success"] };
        var r = Vmmctl.Run("vm", "list", "--socket", controller.SocketPath);
        Assert.True(r.Exit == 0, r.Stderr);
        var lines = r.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(301, lines.Length);
        Assert.StartsWith("vm-299 ", lines[^1]);
    }

    public static TheoryData<string> BadCommandLines() => new()
    {
        "vm frobnicate web-01",
        "vm start",
        "vm start web-01 web-02",
        "vm start web-01 --force",
        "vm stop web-01 --timeout soon",
        "vm stop web-01 --timeout -1s",
        "vm migrate web-01",
        "vm migrate web-01 --to bad/host",
        "vm create",
        "vm create --name bad/name",
        "vm create --name web --memory 2048",
        "vm create --name web --memory 2Q",
        "vm create --name web --vcpus 0",
        "vm create --name web --vcpus 4 --max-vcpus 2",
        "vm create --name web --memory 4G --max-memory 2G",
        "vm create --name web --disk bus=virtio",
        "vm create --name web --disk base=relative.qcow2",
        "vm create --name web --disk 10G,size=20G",
        "vm create --name web --disk 10G,colour=red",
        "vm create --name web --disk 10G,bus=floppy",
        "vm create --name web --nic model=virtio",
        "vm create --name web --nic network=a,bridge=b",
        "vm create --name web --nic default,mac=52:54:00",
        "vm create --name web --nic bridge=a-very-long-bridge-name",
        "vm nic",
        "vm nic add web-01",
        "vm nic add web-01 --network default --bridge br0",
        "vm nic remove web-01",
        "vm nic remove web-01 --mac zz:54:00:12:34:56",
        "vm memory set web-01",
        "vm memory set web-01 1000B",
        "vm cpu add web-01 0",
        "vm cpu add web-01 70000",
        "vm cpu set web-01",
        "vm cpu set web-01 many",
        "vm disk add web-01",
        "vm disk add web-01 10G --bus floppy",
        "vm disk add web-01 10G,target=vdb --target vdc",
        "vm disk resize web-01 vda",
        "vm disk resize web-01 vda 10",
        "vm disk remove web-01 ../vda",
        "vm snapshot create web-01",
        "vm snapshot create web-01 not/a/name",
        "vm snapshot",
        "vm list --host",
        "vm list --host bad/host",
        "host list extra",
        "watch now",
        "watch --host .bad",
        "--socket",
        "--json",
        "--bogus host list",
    };

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public void A_bad_command_line_exits_2_with_one_line_before_connecting(string command)
    {
        // The socket does not exist: a command that tried to connect would exit 9.
        var r = Vmmctl.Run([.. command.Split(' '), "--socket", Path.Combine(_dir, "absent.sock")]);
        Assert.True(r.Exit == 2, $"exit {r.Exit}: {r.Stderr}");
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.StartsWith("vmmctl: ", r.Stderr);
    }
}
