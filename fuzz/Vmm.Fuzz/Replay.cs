using System.Runtime.InteropServices;
using Vmm.Fuzz.Targets;

namespace Vmm.Fuzz;

/// <summary>Runs a target on files outside afl-fuzz and says what each did: the first step of triaging a crash.</summary>
internal static class Replay
{
    public static int Run(FuzzTarget target, IEnumerable<string> files, bool quiet = false)
    {
        GiveCoverageMap();
        int failed = 0;
        foreach (var file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
                if (!quiet) Console.WriteLine($"ok    {file}");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"CRASH {file}\n{e}");
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// Code that sharpfuzz instrumented records each branch in afl's coverage map; outside afl-fuzz there is none, and
    /// every instrumented method would fail with a NullReferenceException. A private map makes fuzz/out/bin replay
    /// exactly as the fuzzer ran it (an uninstrumented build gives line numbers: dotnet run --project fuzz/Vmm.Fuzz).
    /// </summary>
    private static unsafe void GiveCoverageMap()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null) SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);
    }
}
