using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>Spec §6.6: an authenticated ACK of a new boot replaces the current boot at once, without waiting
/// for the old one to be silent for down-after; a competing datagram asks for the probe that finds it.</summary>
public sealed class AdoptBootTests
{
    [Fact]
    public void A_boot_an_ack_proves_replaces_the_live_boot_at_once_and_its_datagrams_are_accepted()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        for (int i = 0; i < 50; i++) fleet.Send(hv, hv.Event()); // the old boot's sequence is well ahead of the new one's
        var late = hv.Event(Vms.Vm(1, PowerState.Off));
        var restarted = hv.Restart();
        Assert.Equal(DropReason.CompetingBoot, fleet.Send(restarted, restarted.Event(Vms.Vm(2))));

        Assert.True(fleet.Inventory.AdoptBoot("hv-01", restarted.Boot));

        Assert.Equal(restarted.Boot, fleet.HostView("hv-01").BootId);
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        Assert.Equal(1, fleet.Inventory.Counters.BootsAdopted);
        Assert.Equal(DropReason.None, fleet.Send(restarted, restarted.Event(Vms.Vm(2))));
        Assert.NotNull(fleet.Vm(2));
        // The old boot is retired: its datagrams are replays now, and it cannot be adopted back.
        Assert.Equal(DropReason.RetiredBoot, fleet.Send(hv, late));
        Assert.False(fleet.Inventory.AdoptBoot("hv-01", hv.Boot));
        Assert.Equal(restarted.Boot, fleet.HostView("hv-01").BootId);
    }

    [Fact]
    public void Adopting_the_current_boot_changes_nothing_and_an_unknown_host_is_refused()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event(Vms.Vm(1)));
        ulong sequence = fleet.HostView("hv-01").Sequence;

        Assert.True(fleet.Inventory.AdoptBoot("hv-01", hv.Boot));
        Assert.False(fleet.Inventory.AdoptBoot("hv-99", 42));
        Assert.False(fleet.Inventory.AdoptBoot("hv-01", 0));

        Assert.Equal(sequence, fleet.HostView("hv-01").Sequence);
        Assert.Equal(0, fleet.Inventory.Counters.BootsAdopted);
    }

    [Fact]
    public void A_competing_datagram_names_its_host_to_the_probe()
    {
        var fleet = new Fleet();
        var heard = new List<string>();
        fleet.Inventory.CompetingBootHeard = heard.Add;
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event());
        var restarted = hv.Restart();

        fleet.Send(restarted, restarted.Event());
        fleet.Send(hv, hv.Event()); // the live boot: no probe

        Assert.Equal(["hv-01"], heard);
    }
}

/// <summary>The probe a competing datagram asks for: a ping with boot 0 to the host's endpoint, at most one a
/// second per host, so a host whose old boot keeps its name does not make the controller ping it per datagram.</summary>
public sealed class BootProbeTests
{
    [Fact]
    public async Task A_competing_boot_is_pinged_for_any_boot_once_however_many_datagrams_it_sends()
    {
        var fleet = new Fleet();
        var dispatcher = new FakeDispatcher();
        var probe = new BootProbe(fleet.Inventory, dispatcher, NLog.LogManager.GetLogger("test"));
        probe.Attach();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event());
        var restarted = hv.Restart();

        for (int i = 0; i < 20; i++) fleet.Send(restarted, restarted.Event());

        await Eventually.True(() => { lock (dispatcher.Calls) return dispatcher.Calls.Count == 1; }, "the probe's ping");
        var ping = dispatcher.Calls[0];
        Assert.Equal((RequestCode.Ping, 0UL, "hv-01"), (ping.Code, ping.Host.BootId, ping.Host.Name));
        Assert.Equal(1, probe.Sent);
    }

    [Fact]
    public async Task A_stop_cancels_the_probes_out_and_returns_once_they_have_ended()
    {
        var fleet = new Fleet();
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new FakeDispatcher
        {
            // A host that never answers: only the probe's cancellation ends the ping.
            AnswerAsync = async (_, cancel) =>
            {
                try { await Task.Delay(Timeout.Infinite, cancel); }
                finally { ended.TrySetResult(); }
                throw new InvalidOperationException("unreachable");
            },
        };
        var probe = new BootProbe(fleet.Inventory, dispatcher, NLog.LogManager.GetLogger("test"));
        probe.Attach();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event());
        var restarted = hv.Restart();
        fleet.Send(restarted, restarted.Event());
        await Eventually.True(() => { lock (dispatcher.Calls) return dispatcher.Calls.Count == 1; }, "the probe's ping");

        await probe.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(ended.Task.IsCompleted, "the ping was cancelled, and had ended, when the stop returned");
    }
}
