// vmm-hostd entry point (being built: issue 3).
namespace Vmm.Hostd;

internal static class Program
{
    private static int Main() => 0;
}
