// vmmctl vm top: the VMs sorted by what they use (spec §16), refreshed like top. In a terminal it draws full-screen on the
// alternate screen and restores the terminal on q, Ctrl-C or SIGTERM; elsewhere (a pipe, --once) it prints the table once
// per refresh; with --json it prints one document and ends.
using System.Runtime.InteropServices;
using Vmm.Ctl.Admin;
using Vmm.Ctl.Input;
using Vmm.Ctl.Output;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Commands;

internal static class VmTopCommand
{
    public static readonly Verb Verb = new("top", "vmmctl vm top [--host H] [--sort cpu|mem|disk|net] [--interval DURATION] [--once] [--count N]",
        """
        Shows the running VMs sorted by their use of CPU (default), memory, disk or network, and refreshes every
        --interval (default 2s) until q or Ctrl-C, like top. Keys: c, m, d, n sort by CPU, memory, disk, network;
        q quits. CPU% is of the VM's vCPUs; rates are over the controller's two newest usage samples of the VM
        (hostd's usage-interval, 10s by default), so - means none yet. --once prints the table once; --count N
        stops after N tables; --json prints one document {"vms": [...]} and ends. Not in a terminal, each refresh
        prints the table again.
        """, ["--host H", "--sort KEY", "--interval DURATION", "--once", "--count N"], Run);

    private enum Sort { Cpu, Mem, Disk, Net }

    private static int Run(Call call)
    {
        call.Operands(0, 0);
        var filters = new AttrList();
        if (call.Args.Value("--host") is { } host) filters.Add(AttrType.Host, Checks.Name(host, "host"));
        var sort = ParseSort(call.Args.Value("--sort") ?? "cpu");
        uint intervalMs = call.Args.Value("--interval") is { } i ? Sizes.ParseDurationMs(i, "--interval") : 2000;
        if (intervalMs < 100) throw new UsageException("--interval must be at least 100ms");
        int count = call.Args.Has("--once") || call.Json ? 1 : call.Args.Value("--count") is { } c ? Count(c) : int.MaxValue;

        if (call.Json)
        {
            var vms = Running(call, filters);
            Json.Write(w => Document(w, Sorted(vms, sort)));
            return Exit.Ok;
        }
        bool screen = !Console.IsOutputRedirected && !Console.IsInputRedirected && count > 1;
        return screen ? Interactive(call, filters, sort, intervalMs, count) : Plain(call, filters, sort, intervalMs, count);
    }

    private static int Count(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1
            ? n : throw new UsageException($"--count: '{Validation.Shorten(text)}' is not a positive number");

    private static int Plain(Call call, AttrList filters, Sort sort, uint intervalMs, int count)
    {
        for (int n = 0; n < count; n++)
        {
            if (n > 0)
            {
                Thread.Sleep((int)intervalMs);
                Console.Out.Write("\n");
            }
            Table(Sorted(Running(call, filters), sort), Console.Out, int.MaxValue);
            Console.Out.Flush();
        }
        return Exit.Ok;
    }

    private static int Interactive(Call call, AttrList filters, Sort sort, uint intervalMs, int count)
    {
        using var quit = new CancellationTokenSource();
        void Stop(PosixSignalContext c)
        {
            c.Cancel = true;
            quit.Cancel();
        }
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        Console.TreatControlCAsInput = true;   // Ctrl-C as a key, so that the terminal is restored here too
        Console.Out.Write("\x1b[?1049h\x1b[?25l");   // the alternate screen, cursor hidden
        try
        {
            for (int n = 0; n < count && !quit.IsCancellationRequested; n++)
            {
                var vms = Running(call, filters);
                var frame = new StringWriter();
                int rows = Height();
                frame.Write($"vmmctl vm top: {vms.Count} running VM{(vms.Count == 1 ? "" : "s")}, sorted by {Name(sort)}, every {intervalMs / 1000.0:0.#}s " +
                    "(c m d n: sort, q: quit)\n\n");
                Table(Sorted(vms, sort), frame, rows - 3);
                Console.Out.Write("\x1b[H\x1b[2J" + frame.ToString().Replace("\n", "\x1b[K\r\n", StringComparison.Ordinal));
                Console.Out.Flush();
                if (n + 1 == count) break;
                var due = Environment.TickCount64 + intervalMs;
                while (Environment.TickCount64 < due && !quit.IsCancellationRequested)
                {
                    if (!Console.KeyAvailable)
                    {
                        Thread.Sleep(50);
                        continue;
                    }
                    var key = Console.ReadKey(intercept: true);
                    if (key.KeyChar is 'q' or 'Q' or '\x03' || key.Key == ConsoleKey.Escape) quit.Cancel();
                    else if (key.KeyChar is 'c' or 'm' or 'd' or 'n')
                    {
                        sort = ParseSort(key.KeyChar switch { 'c' => "cpu", 'm' => "mem", 'd' => "disk", _ => "net" });
                        break;
                    }
                }
            }
        }
        finally
        {
            Console.Out.Write("\x1b[?25h\x1b[?1049l");   // cursor shown, the screen as it was
            Console.Out.Flush();
            Console.TreatControlCAsInput = false;
        }
        return Exit.Ok;
    }

    private static int Height()
    {
        try
        {
            return Math.Max(Console.WindowHeight, 5);
        }
        catch (IOException)
        {
            return 24;
        }
    }

    private static List<AdminVmPdu> Running(Call call, AttrList filters) =>
        [.. call.Query(QueryKind.Vms, filters, "vm top").Vms.Where(v => v.Vm.Power is PowerState.Running or PowerState.Blocked or PowerState.Paused)];

    private static Sort ParseSort(string key) => key switch
    {
        "cpu" => Sort.Cpu,
        "mem" => Sort.Mem,
        "disk" => Sort.Disk,
        "net" => Sort.Net,
        _ => throw new UsageException($"--sort: '{Validation.Shorten(key)}' is not cpu, mem, disk or net"),
    };

    private static string Name(Sort s) => s switch { Sort.Cpu => "CPU", Sort.Mem => "memory", Sort.Disk => "disk", _ => "network" };

    private static double? Key(Usage u, Sort s) => s switch
    {
        Sort.Cpu => u.CpuPercent,
        Sort.Mem => u.MemUsedKib,
        Sort.Disk => u.DiskBps,
        _ => u.NetBps,
    };

    // Largest first; VMs without the figure last; then by name and host.
    private static List<(AdminVmPdu Vm, Usage Usage)> Sorted(IEnumerable<AdminVmPdu> vms, Sort sort) =>
        [.. vms.Select(v => (Vm: v, Usage: Usage.Of(v)))
            .OrderBy(x => Key(x.Usage, sort) is null)
            .ThenByDescending(x => Key(x.Usage, sort) ?? 0)
            .ThenBy(x => x.Vm.Vm.Name, StringComparer.Ordinal).ThenBy(x => x.Vm.Host, StringComparer.Ordinal)];

    private static void Table(List<(AdminVmPdu Vm, Usage Usage)> vms, TextWriter output, int maxLines)
    {
        var table = new Table("NAME", "HOST", "POWER", "VCPUS", "CPU%", "MEM-USED", "MEMORY", "DISK-R/S", "DISK-W/S", "NET-RX/S", "NET-TX/S");
        foreach (var (v, u) in vms.Take(Math.Max(maxLines - 1, 0)))
            table.Add(v.Vm.Name.Length == 0 ? "-" : v.Vm.Name, v.Host, Vmm.Protocol.Text.Names.Of(v.Vm.Power), v.Vm.Vcpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
                u.Cpu, u.Memory, Human.Kib(v.Vm.MemoryKib), Usage.PerSecond(u.DiskReadBps), Usage.PerSecond(u.DiskWriteBps),
                Usage.PerSecond(u.NetRxBps), Usage.PerSecond(u.NetTxBps));
        table.Write(output);
    }

    private static void Document(System.Text.Json.Utf8JsonWriter w, List<(AdminVmPdu Vm, Usage Usage)> vms)
    {
        w.WriteStartObject();
        w.WriteStartArray("vms");
        foreach (var (v, u) in vms)
        {
            w.WriteStartObject();
            w.WriteString("name", v.Vm.Name);
            w.WriteString("uuid", v.Vm.Uuid.ToString());
            w.WriteString("host", v.Host);
            w.WriteString("power", Vmm.Protocol.Text.Names.Of(v.Vm.Power));
            w.WriteNumber("vcpus", v.Vm.Vcpus);
            w.WriteNumber("memory", v.Vm.MemoryKib * 1024);
            u.Write(w, v.Attributes);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
