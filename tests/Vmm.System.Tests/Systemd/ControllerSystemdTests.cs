// The AOT vmm-controller as systemd runs it: Type=notify messages on a stand-in NOTIFY_SOCKET, SIGHUP reloads
// (the level applied, other changes named, a broken file survived), the log file let go for logrotate, SIGTERM.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Vmm.System.Tests.EndToEnd;

namespace Vmm.System.Tests.Systemd;

public sealed class ControllerSystemdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmm-systemd-").FullName;

    private string this[string name] => Path.Combine(_dir, name);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Config(string extra = "") =>
        $"listen = \"127.0.0.1:0\"\nadmin-socket = \"{this["c.sock"]}\"\nkey-file = \"{this["k.key"]}\"\n{extra}";

    private DaemonProcess Start(NotifySocket systemd)
    {
        using (var keygen = Process.Start(Cluster.Bin("vmmctl"), ["key", "generate", this["k.key"]])!) keygen.WaitForExit();
        return new DaemonProcess(Cluster.Bin("vmm-controller"),
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = systemd.Path, ["WATCHDOG_USEC"] = "1000000" },
            "--config", this["c.toml"]);
    }

    [Fact]
    public void Ready_once_both_sockets_are_bound_then_watchdog_pings_and_stopping_on_SIGTERM()
    {
        File.WriteAllText(this["c.toml"], Config());
        using var systemd = new NotifySocket(this["notify"]);
        using var controller = Start(systemd);

        systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY", () => controller.Log);
        Assert.True(File.Exists(this["c.sock"]), "the admin socket exists when READY is sent");
        Assert.Contains("READY=1\nSTATUS=0 hosts up, 0 down, 0 VMs\n", systemd.Seen);
        systemd.WaitFor(m => m == "WATCHDOG=1\n", "a watchdog ping", () => controller.Log);

        controller.Signal("TERM");
        systemd.WaitFor(m => m.StartsWith("STOPPING=1\n", StringComparison.Ordinal), "STOPPING", () => controller.Log);
        Assert.Equal(0, controller.WaitForExit());
        Assert.False(File.Exists(this["c.sock"]), "the admin socket file is removed");
    }

    [Fact]
    public void SIGHUP_applies_the_log_level_names_what_needs_a_restart_and_survives_a_broken_file()
    {
        File.WriteAllText(this["c.toml"], Config("log-level = \"info\"\n"));
        using var systemd = new NotifySocket(this["notify"]);
        using var controller = Start(systemd);
        systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY", () => controller.Log);

        File.WriteAllText(this["c.toml"], Config("log-level = \"warn\"\ndown-after = 5\n"));
        controller.Signal("HUP");
        var reloading = systemd.WaitFor(m => m.StartsWith("RELOADING=1\n", StringComparison.Ordinal), "RELOADING", () => controller.Log);
        Assert.Matches(@"^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=", reloading);
        systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY after the reload", () => controller.Log);
        Assert.Contains("needs a restart: down-after (now 5, running with 3)", controller.WaitForLine("needs a restart"));

        // A broken file: one error line, the daemon goes on. At warn, the reload's own info line is not written.
        File.WriteAllText(this["c.toml"], Config("log-level = \"warn\"\ndown-after = [\n"));
        controller.Signal("HUP");
        systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY after the failed reload", () => controller.Log);
        var error = controller.WaitForLine("reload failed");
        Assert.Contains($"still running with the settings loaded before: {this["c.toml"]}:", error);
        Assert.Single(controller.Lines, l => l.Contains("SIGHUP: reading the configuration again", StringComparison.Ordinal));
        Assert.False(controller.HasExited);

        controller.Signal("TERM");
        Assert.Equal(0, controller.WaitForExit());
    }

    [Fact]
    public void Started_under_nohup_SIGHUP_still_reloads_and_says_it_took_the_signal_back()
    {
        // nohup(1) starts the daemon with SIGHUP ignored, and .NET installs no handler for an ignored signal: without
        // the daemon taking it back, kill -HUP would reload nothing, silently.
        File.WriteAllText(this["c.toml"], Config("log-level = \"info\"\n"));
        using (var keygen = Process.Start(Cluster.Bin("vmmctl"), ["key", "generate", this["k.key"]])!) keygen.WaitForExit();
        using var controller = new DaemonProcess("nohup", new Dictionary<string, string>(), Cluster.Bin("vmm-controller"), "--config", this["c.toml"]);
        controller.WaitForLine("taken back, so SIGHUP reloads");
        controller.Signal("HUP");
        controller.WaitForLine("SIGHUP: reading the configuration again");
        Assert.False(controller.HasExited);
        controller.Signal("TERM");
        Assert.Equal(0, controller.WaitForExit());
    }

    [Fact]
    public void The_log_file_is_let_go_on_SIGHUP_so_logrotate_can_move_it()
    {
        string log = this["controller.log"];
        File.WriteAllText(this["c.toml"], Config($"log-file = \"{log}\"\n"));
        using var systemd = new NotifySocket(this["notify"]);
        using var controller = Start(systemd);
        systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY", () => controller.Log);
        Assert.Contains("admin socket listening on", File.ReadAllText(log));

        File.Move(log, log + ".1");
        File.WriteAllText(this["c.toml"], Config($"log-file = \"{log}\"\nlog-level = \"debug\"\n"));
        controller.Signal("HUP");
        systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY after the reload", () => controller.Log);
        controller.WaitForLine("log level now");

        Assert.Contains("SIGHUP: reading the configuration again", File.ReadAllText(log + ".1"));
        Assert.Contains("log level now Debug", File.ReadAllText(log));
        Assert.DoesNotContain("log level now", File.ReadAllText(log + ".1"));
        controller.Signal("TERM");
        Assert.Equal(0, controller.WaitForExit());
    }

    /// <summary>Runs the controller to its exit (it is expected to refuse to start).</summary>
    private (int Code, string Error) RunToExit()
    {
        using (var keygen = Process.Start(Cluster.Bin("vmmctl"), ["key", "generate", this["k.key"]])!) keygen.WaitForExit();
        var psi = new ProcessStartInfo(Cluster.Bin("vmm-controller")) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(this["c.toml"]);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(20000))
        {
            p.Kill();
            Assert.Fail("the controller did not exit");
        }
        p.WaitForExit();
        _ = output.Result;
        return (p.ExitCode, error.Result);
    }

    // Exit 2 (a configuration error), as --check-config finds it too: the start checks look at the log file's folder.
    [Fact]
    public void A_log_file_that_cannot_be_opened_is_one_stderr_line_and_exit_2()
    {
        string log = this["no-such-folder/c.log"];
        File.WriteAllText(this["c.toml"], Config($"log-file = \"{log}\"\n"));
        var (code, error) = RunToExit();

        Assert.Equal(2, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("vmm-controller: ", line);
        Assert.Contains(log, line);
        Assert.False(File.Exists(this["c.sock"]), "no admin socket: the controller did not start");
    }

    [Fact]
    public void A_STATE_port_in_use_is_one_stderr_line_naming_it_and_exit_2()
    {
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        File.WriteAllText(this["c.toml"], Config().Replace("127.0.0.1:0", $"127.0.0.1:{port}"));
        var (code, error) = RunToExit();

        Assert.Equal(2, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"vmm-controller: listen 127.0.0.1:{port}: ", line);
        Assert.False(File.Exists(this["c.sock"]), "no admin socket: the controller did not start");
    }
}
