using Vmm.Hosting.Systemd;
using Vmm.Hosting.Tests.Support;

namespace Vmm.Hosting.Tests.Systemd;

public sealed class ServiceNotifierTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Each_call_is_one_datagram_of_newline_terminated_assignments()
    {
        using var systemd = new NotifyReceiver(_dir["notify"]);
        var notifier = new ServiceNotifier(systemd.Address);

        notifier.Ready("3 hosts up");
        Assert.Equal("READY=1\nSTATUS=3 hosts up\n", systemd.Receive());
        notifier.SetStatus("4 hosts up");
        Assert.Equal("STATUS=4 hosts up\n", systemd.Receive());
        notifier.Watchdog();
        Assert.Equal("WATCHDOG=1\n", systemd.Receive());
        notifier.Stopping("stopping: 2 requests in flight");
        Assert.Equal("STOPPING=1\nSTATUS=stopping: 2 requests in flight\n", systemd.Receive());
    }

    [Fact]
    public void Reloading_carries_the_monotonic_clock_in_microseconds()
    {
        using var systemd = new NotifyReceiver(_dir["notify"]);
        long before = ServiceNotifier.MonotonicMicroseconds();
        new ServiceNotifier(systemd.Address).Reloading("reloading");
        long after = ServiceNotifier.MonotonicMicroseconds();

        var lines = systemd.Receive().Split('\n');
        Assert.Equal("RELOADING=1", lines[0]);
        Assert.StartsWith("MONOTONIC_USEC=", lines[1]);
        long usec = long.Parse(lines[1]["MONOTONIC_USEC=".Length..]);
        Assert.InRange(usec, before, after);
        Assert.Equal("STATUS=reloading", lines[2]);
    }

    [Fact]
    public void Monotonic_microseconds_follow_clock_monotonic_which_proc_uptime_bounds()
    {
        // /proc/uptime is CLOCK_BOOTTIME: never behind CLOCK_MONOTONIC (it adds the time suspended).
        double uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        long usec = ServiceNotifier.MonotonicMicroseconds();
        Assert.InRange(usec, 1, (long)((uptime + 1) * 1_000_000));
    }

    [Fact]
    public void An_abstract_address_is_written_with_a_leading_at()
    {
        string name = "@vmm-notify-test-" + Guid.NewGuid().ToString("N");
        using var systemd = new NotifyReceiver(name);
        new ServiceNotifier(name).Ready("up");
        Assert.Equal("READY=1\nSTATUS=up\n", systemd.Receive());
    }

    [Fact]
    public void A_status_is_sent_only_when_it_changed_and_stays_one_line()
    {
        using var systemd = new NotifyReceiver(_dir["notify"]);
        var notifier = new ServiceNotifier(systemd.Address);
        notifier.SetStatus("a");
        notifier.SetStatus("a");
        notifier.SetStatus("b\nWATCHDOG=1");
        Assert.Equal("STATUS=a\n", systemd.Receive());
        Assert.Equal("STATUS=b WATCHDOG=1\n", systemd.Receive());
        Assert.Equal("b WATCHDOG=1", notifier.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("vsock:2:1234")]
    public void Without_a_unix_notify_socket_every_call_does_nothing(string? socket)
    {
        var notifier = new ServiceNotifier(socket);
        Assert.False(notifier.Enabled);
        notifier.Ready("x");
        notifier.Watchdog();
        notifier.Stopping("y");
        Assert.Equal("y", notifier.Status);
    }

    [Fact]
    public void A_socket_that_is_gone_does_not_throw()
    {
        var notifier = new ServiceNotifier(_dir["nobody-listens"]);
        Assert.True(notifier.Enabled);
        notifier.Ready("x");
        notifier.Watchdog();
    }

    [Theory]
    [InlineData("30000000", null, 30.0)]
    [InlineData("30000000", "4242", 30.0)]
    [InlineData("500000", "", 0.5)]
    [InlineData("30000000", "4243", null)]   // another process's watchdog
    [InlineData("30000000", "x", null)]
    [InlineData("0", null, null)]
    [InlineData("", null, null)]
    [InlineData(null, null, null)]
    [InlineData("-5", null, null)]
    public void The_watchdog_is_ours_when_WATCHDOG_PID_is_unset_or_our_pid(string? usec, string? pid, double? seconds) =>
        Assert.Equal(seconds is double s ? TimeSpan.FromSeconds(s) : null, ServiceNotifier.WatchdogFrom(usec, pid, 4242));

    [Fact]
    public void From_environment_reads_all_three_variables()
    {
        using var systemd = new NotifyReceiver(_dir["notify"]);
        var notifier = ServiceNotifier.FromEnvironment(new Dictionary<string, string?>
        {
            ["NOTIFY_SOCKET"] = systemd.Address,
            ["WATCHDOG_USEC"] = "2000000",
            ["WATCHDOG_PID"] = Environment.ProcessId.ToString(),
        });
        Assert.Equal(TimeSpan.FromSeconds(2), notifier.WatchdogInterval);
        notifier.Watchdog();
        Assert.Equal("WATCHDOG=1\n", systemd.Receive());
    }
}
