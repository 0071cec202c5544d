// A LibvirtHypervisor over libvirt's test driver, connected and ready. The test driver keeps its state per
// connection, so every TestNode is a private node: tests cannot see each other's VMs.
using System.Runtime.CompilerServices;
using NLog;
using Vmm.Hostd.Libvirt;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Support;

internal sealed class TestNode : IDisposable
{
    /// <summary>The uuid of the running "test" domain of test:///default (and of Support/single.xml).</summary>
    public static readonly Guid DefaultDomain = Guid.Parse("6695eb01-f6a4-8304-79aa-97f2502e193f");

    public static readonly Guid Web = Guid.Parse("0f3c2a3e-5a1b-4c7d-9e21-6b8f0d4a1c01");
    public static readonly Guid Db = Guid.Parse("0f3c2a3e-5a1b-4c7d-9e21-6b8f0d4a1c02");
    public static readonly Guid Crashy = Guid.Parse("0f3c2a3e-5a1b-4c7d-9e21-6b8f0d4a1c03");

    private readonly CancellationTokenSource _stop = new();
    private readonly string? _dir;
    private ulong _nextRequestId = 1;

    private TestNode(LibvirtOptions options, string? dir)
    {
        Options = options;
        _dir = dir;
        Hypervisor = new LibvirtHypervisor(options, LogManager.GetLogger("test"));
        Run = Hypervisor.RunAsync(_stop.Token);
    }

    public LibvirtOptions Options { get; }
    public LibvirtHypervisor Hypervisor { get; }
    public Task Run { get; }

    /// <summary>The pool's directory (a temporary one; the test driver never writes to it).</summary>
    public string PoolPath => Options.PoolPath;

    /// <summary>Support/single.xml, test:///default's node: one running domain "test", no storage pool (Vmm
    /// defines its own on first use).</summary>
    public static TestNode Default(string? migrationUri = null) => Load("single.xml", migrationUri);

    /// <summary>Like <see cref="Default"/>, with an image-paths directory of its own (<see cref="ImageDir"/>) beside the pool.</summary>
    public static TestNode WithImageDir()
    {
        var options = PrivateOptions("single.xml", null);
        string dir = Path.GetDirectoryName(options.PoolPath)!;
        string images = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
        return new TestNode(options with { ImagePaths = [images] }, dir);
    }

    /// <summary>The node's image-paths directory (<see cref="WithImageDir"/> only).</summary>
    public string ImageDir => Options.ImagePaths![0];

    /// <summary>test:///default itself, shared with every overlapping connection of the process: only for tests
    /// that change nothing.</summary>
    public static TestNode Shared() => new(new LibvirtOptions("test:///default", "vmm", "/nonexistent/pool", null), null);

    /// <summary>Support/node.xml: web (off), db (running), crashy (crashed), and the pool "vmm".</summary>
    public static TestNode FromFixture() => Load("node.xml", null);

    private static TestNode Load(string fixture, string? migrationUri)
    {
        var options = PrivateOptions(fixture, migrationUri);
        return new TestNode(options, Path.GetDirectoryName(options.PoolPath));
    }

    /// <summary>Options for a private copy of a fixture node in a new temporary folder: the folder of
    /// <see cref="LibvirtOptions.PoolPath"/>, which the caller deletes.</summary>
    public static LibvirtOptions PrivateOptions(string fixture = "single.xml", string? migrationUri = null)
    {
        string dir = Directory.CreateTempSubdirectory("vmm-libvirt-").FullName;
        string pool = Path.Combine(dir, "pool");
        string node = Path.Combine(dir, fixture);
        File.WriteAllText(node, File.ReadAllText(Fixture(fixture)).Replace("@POOL@", pool));
        return new LibvirtOptions($"test://{node}", "vmm", pool, migrationUri);
    }

    /// <summary>A node whose URI cannot be opened.</summary>
    public static TestNode Unreachable(string uri) => new(new LibvirtOptions(uri, "vmm", "/nonexistent/pool", null), null);

    // The fixtures sit next to this file; tests run on the machine that built them.
    private static string Fixture(string name, [CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, name);

    public Outcome Execute(RequestCode code, Guid vm, AttrList? parameters = null, RequestFlags flags = RequestFlags.None) =>
        Hypervisor.Execute(new RequestPdu { RequestId = _nextRequestId++, BootId = 1, Code = code, Flags = flags, Vm = vm, Parameters = parameters ?? [] });

    /// <summary>Executes and insists on success, showing the message when it is not.</summary>
    public Outcome Succeed(RequestCode code, Guid vm, AttrList? parameters = null, RequestFlags flags = RequestFlags.None)
    {
        var o = Execute(code, vm, parameters, flags);
        Assert.True(o.Code == AckCode.Success, $"{code}: {o.Code}: {o.Results.Text(AttrType.Message)}");
        return o;
    }

    public VmState ReadVm(Guid uuid) => Hypervisor.Read(uuid) ?? throw new Xunit.Sdk.XunitException($"no VM {uuid}");

    /// <summary>Polls until <paramref name="condition"/> holds, for up to 20 s.</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        Run.Wait(TimeSpan.FromSeconds(20));
        Hypervisor.Dispose();
        _stop.Dispose();
        if (_dir is not null) Directory.Delete(_dir, recursive: true);
    }
}
