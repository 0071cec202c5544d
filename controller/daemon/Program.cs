// vmm-controller entry point (being built: issue 4).
namespace Vmm.Controller;

internal static class Program
{
    private static int Main() => 0;
}
