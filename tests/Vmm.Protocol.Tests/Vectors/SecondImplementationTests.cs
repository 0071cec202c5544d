// The spec is meant to be enough for a second implementation: spec/second-implementation/ is one, in Python,
// written from PROTOCOL.md alone. Both implementations must agree on every vector.
using System.Diagnostics;

namespace Vmm.Protocol.Tests.Vectors;

public sealed class SecondImplementationTests
{
    [Fact]
    public async Task The_Python_implementation_written_from_the_spec_passes_every_vector()
    {
        var script = Path.Combine(SpecVectorTests.RepoRoot(), "spec", "second-implementation", "check_vectors.py");
        var psi = new ProcessStartInfo("python3") { ArgumentList = { script }, RedirectStandardOutput = true, RedirectStandardError = true };
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException("python3 is needed (make test installs it): " + e.Message); }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = await p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(120_000), "check_vectors.py did not finish in 2 minutes");
            string errors = await stderr;
            string last = stdout.TrimEnd('\n').Split('\n')[^1];
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}:\n{stdout}\n{errors}");
            Assert.Matches(@"^[1-9]\d* passed, 0 failed$", last);
            int vectors = Directory.GetFiles(SpecVectorTests.VectorDir, "*.vec").Length;
            Assert.StartsWith($"{vectors} passed", last);
        }
    }
}
