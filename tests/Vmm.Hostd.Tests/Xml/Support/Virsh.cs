// Runs virsh against libvirt's test driver. test:///default lives inside the virsh process and starts afresh
// for every connection, so a define and the dumpxml that checks it must be one virsh invocation.
using System.Diagnostics;
using Xunit.Sdk;

namespace Vmm.Hostd.Tests.Xml.Support;

internal static class Virsh
{
    public const string TestUri = "test:///default";

    /// <summary>Runs the ';'-separated <paramref name="commands"/> in one virsh session; fails the test with
    /// virsh's error text unless every command succeeded (virsh's exit code only tells of the last one).</summary>
    public static string Run(string commands)
    {
        var psi = new ProcessStartInfo("virsh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-q");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(TestUri);
        psi.ArgumentList.Add(commands);
        using var p = Process.Start(psi) ?? throw new XunitException("virsh did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new XunitException($"virsh '{commands}' did not finish within 60 s");
        }
        var errors = stderr.Result.Trim();
        if (p.ExitCode != 0 || errors.Length > 0) throw new XunitException($"virsh '{commands}' exited {p.ExitCode}: {errors}");
        return stdout;
    }

    /// <summary>Writes <paramref name="content"/> to a fresh file whose path needs no quoting in a virsh command line.</summary>
    public static TempFile File(string content) => new(content);

    internal sealed class TempFile : IDisposable
    {
        public TempFile(string content)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vmm-xml-{Guid.NewGuid():N}.xml");
            System.IO.File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => System.IO.File.Delete(Path);
    }
}
