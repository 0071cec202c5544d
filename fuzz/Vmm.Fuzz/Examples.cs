namespace Vmm.Fuzz;

/// <summary>
/// Example PDUs in the text form, every type and most attributes, from which <see cref="Seeds"/> makes the seed
/// corpus. Edit here and run <c>Vmm.Fuzz --make-seeds</c> to remake fuzz/corpus/.
/// </summary>
internal static class Examples
{
    private const string Boot = "0x1122334455667788";
    private const string Vm1 = "0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20";
    private const string Vm2 = "6f1d2c3b-4a59-4e68-8f7a-1b2c3d4e5f60";

    /// <summary>Name (the seed's file name) and line.</summary>
    public static readonly (string Name, string Line)[] Lines =
    [
        ("state-report", $"state host=h1 boot={Boot} seq=1 report=3 pages=2 cpus=8 memory-total=16777216 memory-free=8388608 port=7411 "
            + $"migration-uri=qemu+tcp://h1/system hypervisor=QEMU vm-count=2 "
            + $"vm={{uuid={Vm1} name=web1 power=running reason=booted flags=persistent,autostart vcpus=2 memory=2097152 "
            + "disk={target=vda bus=virtio flags=owned size=10737418240} disk={target=sda bus=sata flags=readonly,cdrom size=0} "
            + "nic={mac=52:54:00:12:34:56 model=virtio kind=network source=default} nic={mac=52:54:00:ab:cd:ef model=e1000 kind=user} "
            + "max-vcpus=4 max-memory=4194304 snapshots=1 last-request=42} "
            + $"vm={{uuid={Vm2} name=\"db \\xc3\\xa9t\\xc3\\xa9\" power=paused reason=user vcpus=1 memory=1048576}}"),
        ("state-event", $"state host=h1 boot={Boot} seq=7 vm={{uuid={Vm2} name=gone power=unknown flags=tombstone}}"),
        ("state-stopping", $"state host=h1.example boot={Boot} seq=8 status=unreachable,stopping cpus=8 port=7411"),
        ("request-add", $"request id=1 boot={Boot} code=add uuid={Vm1} name=web1 vcpus=2 memory=2097152 "
            + "disk-spec={target=vda size=10737418240 base-image=/var/lib/vmm/images/debian-12.qcow2 bus=virtio} "
            + "nic-spec={mac=52:54:00:12:34:56 network=default model=virtio} nic-spec={bridge=br0 model=e1000} timeout-ms=30000"),
        ("request-stop", $"request id=2 boot={Boot} code=stop flags=force uuid={Vm1} timeout-ms=60000"),
        ("request-migrate", $"request id=3 boot={Boot} code=migrate uuid={Vm1} dest-uri=qemu+tcp://h2/system timeout-ms=600000"),
        ("request-snapshot", $"request id=4 boot={Boot} code=snapshot uuid={Vm1} snapshot-name=before-upgrade snapshot-op=create"),
        ("request-update-disk", $"request id=5 boot={Boot} code=update-disk uuid={Vm1} disk-op=resize target=vda size=21474836480"),
        ("request-update-memory", $"request id=6 boot={Boot} code=update-memory uuid={Vm1} memory=4194304"),
        ("request-add-nic", $"request id=7 boot={Boot} code=add-nic uuid={Vm1} count=1 mac=52:54:00:00:00:01 network=default model=virtio"),
        ("request-ping", "request id=8 code=ping"),
        ("request-unknown-attr", $"request id=9 boot={Boot} code=start uuid={Vm1} x7f=deadbeef"),
        ("request-critical-unknown", $"request id=10 boot={Boot} code=start uuid={Vm1} !x7e=00"),
        ("ack-success", $"ack id=1 boot={Boot} code=success uuid={Vm1} duration-us=1500"),
        ("ack-failure", $"ack id=2 boot={Boot} code=failure flags=replayed uuid={Vm1} error-code=38 message=\"domain not found: \\\"web1\\\"\""),
        ("ack-snapshots", $"ack id=4 boot={Boot} code=success uuid={Vm1} snapshot-name=a snapshot-name=b.2 duration-us=900"),
        ("ack-unreadable", "ack id=0 code=unknown-request message=\"request body does not parse\""),
        ("ack-tagged", $"ack id=11 boot={Boot} code=busy uuid={Vm1} tag=5a:000102030405060708090a0b0c0d0e0f"),
        ("error-version", "error code=bad-version message=\"PDU version 2 is not supported; this end speaks version 1\" version=1"),
        ("error-tag", "error code=bad-tag message=\"authentication tag does not verify\""),
        ("query-vms", "query what=vms host=h1"),
        ("query-hosts", "query what=hosts"),
        ("query-watch", $"query what=watch ref={Vm1}"),
        ("submit-migrate", "submit code=migrate ref=web1 dest-host=h2 timeout-ms=600000"),
        ("submit-stop", "submit code=stop flags=force ref=web1 host=h1"),
        ("submit-add", "submit code=add name=web2 vcpus=1 memory=1048576 disk-spec={target=vda size=1073741824} host=h1"),
        ("host-up", $"host name=h1 boot={Boot} seq=42 state=up cpus=8 memory-total=16777216 memory-free=8388608 hypervisor=QEMU "
            + "address=192.0.2.1:7411 age-ms=120 accepted=1000 dropped=2"),
        ("host-down", "host name=h2 state=down"),
        ("vm-paused", $"vm host=h1 vm={{uuid={Vm1} name=web1 power=paused reason=user flags=persistent vcpus=2 memory=2097152 "
            + "disk={target=vda bus=virtio size=10737418240}} age-ms=5 last-request=42 last-power=running last-code=pause last-ack=success"),
        ("result-success", $"result code=success id=17 uuid={Vm1} host=h1 duration-us=2500"),
        ("result-not-found", "result code=not-found message=\"no VM named web9\""),
        ("result-timeout", $"result code=timeout id=18 uuid={Vm1} error-code=5 message=\"no ack within 30 s\""),
    ];
}
