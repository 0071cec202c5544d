#!/usr/bin/env python3
"""Writes the spec's test vectors (spec/vectors/*.vec) from the text forms below.

Positive vectors are encoded by `vmmctl pdu encode`; negative ones are made by editing the bytes of a
positive one, exactly as each entry says. The committed .vec files are the contract: if running this
script changes one, the wire format changed, and spec/PROTOCOL.md must say so.

Usage: spec/vectors/generate.py PATH-TO-VMMCTL
"""
import hashlib, hmac, os, struct, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
MASTER = bytes(range(32)).hex()              # the vectors' cluster master key: 00 01 02 ... 1f
OTHER_MASTER = bytes(range(32, 64)).hex()    # another cluster's master key, for wrong-key


def host_key(name, master=MASTER):
    """§3.3: HKDF-SHA-256 (RFC 5869), no salt, info = "vmm host key v1" || name, 32 bytes."""
    prk = hmac.new(bytes(32), bytes.fromhex(master), hashlib.sha256).digest()
    return hmac.new(prk, b"vmm host key v1" + name.encode() + b"\x01", hashlib.sha256).digest().hex()


HOST = "hv-01"                               # the host every TCP vector is to or from
KEY = host_key(HOST)
U1 = "0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20"
U2 = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
BOOT = "0x8c1f2e3d4c5b6a79"
VMMCTL = None


def encode(text, key=KEY):
    keyfile = os.path.join(HERE, ".key.tmp")
    args = [VMMCTL, "pdu", "encode", text, "--hex"]
    if key:
        with open(keyfile, "w") as f:
            f.write(f"host {HOST} {key}\n")   # a host key file signs every PDU with its key
        args += ["--key-file", keyfile]
    try:
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()
    finally:
        if os.path.exists(keyfile):
            os.remove(keyfile)
    return bytes.fromhex(out)


def decode_text(data, key):
    args = [VMMCTL, "pdu", "decode"]
    keyfile = os.path.join(HERE, ".key.tmp")
    if key:
        with open(keyfile, "w") as f:
            f.write(f"host {HOST} {key}\n")
        args += ["--verify", "--key-file", keyfile]
    try:
        return subprocess.run(args, input=data.hex(), check=True, capture_output=True, text=True).stdout.strip()
    finally:
        if os.path.exists(keyfile):
            os.remove(keyfile)


def write(name, note, data, text=None, key=KEY, transport="stream", error=None, host=HOST):
    lines = [f"note: {note}", f"transport: {transport}"]
    if key:
        lines += [f"master: {MASTER}", f"host: {host}", f"key: {key}"]
    if text is not None:
        lines.append(f"text: {text}")
    h = data.hex()
    lines.append("hex: " + h[:64])
    for i in range(64, len(h), 64):
        lines.append("     " + h[i:i + 64])
    if error:
        lines.append(f"error: {error}")
    with open(os.path.join(HERE, name + ".vec"), "w") as f:
        f.write("\n".join(lines) + "\n")


def positive(name, note, text, key=KEY, transport="stream", host=HOST):
    if key and host != HOST:
        key = host_key(host)
    data = encode(text, key)
    canonical = decode_text(data, key)   # the text form as the codec writes it, tag included
    write(name, note, data, canonical, key, transport, host=host)
    return data


def resign(data, key=KEY):
    """Recomputes the tag of edited bytes, so that a body fault is reached behind a valid tag."""
    tag = hmac.new(bytes.fromhex(key), data[:-16], hashlib.sha256).digest()[:16]
    return data[:-16] + tag


def main():
    global VMMCTL
    VMMCTL = sys.argv[1]
    for f in os.listdir(HERE):
        if f.endswith(".vec"):
            os.remove(os.path.join(HERE, f))

    vm1 = (f"vm={{uuid={U1} name=web-01 power=running reason=booted flags=persistent vcpus=2 memory=2097152 "
           "disk={target=vda bus=virtio flags=owned size=21474836480} "
           "nic={mac=52:54:00:12:34:56 model=virtio kind=network source=default} snapshots=1 last-request=0x5a17c0de00000007}")
    vm2 = (f"vm={{uuid={U2} name=db-01 power=paused reason=user flags=persistent,autostart vcpus=4 memory=8388608 "
           "max-vcpus=8 max-memory=16777216 disk={target=vda bus=virtio size=53687091200} "
           "disk={target=sda bus=sata flags=readonly,cdrom size=0} nic={mac=52:54:00:ab:cd:ef model=e1000 kind=bridge source=br0}}")
    positive("state-report-page", "a complete report's first page: host facts and two VMs", 
             f"state host=hv-01 boot={BOOT} seq=41 report=7 pages=2 cpus=16 memory-total=67108864 memory-free=33554432 "
             f"port=7401 migration-uri=qemu+tcp://10.0.0.1/system hypervisor=\"QEMU 7.2.0\" vm-count=3 {vm1} {vm2}",
             transport="datagram")
    positive("state-report-last-page", "the last page of the same report: no facts, one crashed VM",
             f"state host=hv-01 boot={BOOT} seq=42 report=7 page=1 pages=2 "
             f"vm={{uuid=11111111-2222-4333-8444-555555555555 name=batch-9 power=crashed reason=killed flags=persistent vcpus=1 memory=1048576}}",
             transport="datagram")
    positive("state-event-tombstone", "an event datagram: a VM was undefined",
             f"state host=hv-01 boot={BOOT} seq=43 vm={{uuid={U2} name=db-01 power=unknown flags=tombstone}}", transport="datagram")
    positive("state-liveness", "a liveness datagram: an event datagram without records or facts (§6.5)",
             f"state host=hv-01 boot={BOOT} seq=44", transport="datagram")
    positive("state-unreachable", "hypervisor unreachable: a one-page report with no VM records",
             f"state host=hv-02 boot=0x0123456789abcdef seq=1 report=1 pages=1 status=unreachable cpus=8 port=7401 vm-count=0",
             transport="datagram", host="hv-02")
    positive("state-stopping", "the last datagram of a stopping hostd", f"state host=hv-02 boot=0x0123456789abcdef seq=2 status=stopping",
             transport="datagram", host="hv-02")

    rq = f"boot={BOOT}"
    requests = {
        "add": f"request id=0x5a17c0de00000001 {rq} code=add uuid={U1} name=web-01 vcpus=2 max-vcpus=4 memory=2097152 max-memory=4194304 "
               "disk-spec={target=vda size=21474836480 bus=virtio} disk-spec={target=vdb base-image=/var/lib/vmm/images/debian-12.qcow2 bus=virtio} "
               "nic-spec={mac=52:54:00:12:34:56 network=default model=virtio} nic-spec={bridge=br0 model=e1000}",
        "remove": f"request id=0x5a17c0de00000002 {rq} code=remove uuid={U1}",
        "start": f"request id=0x5a17c0de00000003 {rq} code=start uuid={U1}",
        "stop": f"request id=0x5a17c0de00000004 {rq} code=stop flags=force uuid={U1} timeout-ms=60000",
        "restart": f"request id=0x5a17c0de00000005 {rq} code=restart uuid={U1}",
        "pause": f"request id=0x5a17c0de00000006 {rq} code=pause uuid={U1}",
        "resume": f"request id=0x5a17c0de00000007 {rq} code=resume uuid={U1}",
        "migrate": f"request id=0x5a17c0de00000008 {rq} code=migrate uuid={U1} dest-uri=qemu+tcp://10.0.0.2/system",
        "delete": f"request id=0x5a17c0de00000009 {rq} code=delete uuid={U1}",
        "add-nic": f"request id=0x5a17c0de0000000a {rq} code=add-nic uuid={U1} nic-spec={{mac=52:54:00:00:00:02 network=internal model=virtio}}",
        "remove-nic": f"request id=0x5a17c0de0000000b {rq} code=remove-nic uuid={U1} mac=52:54:00:00:00:02",
        "update-memory": f"request id=0x5a17c0de0000000c {rq} code=update-memory uuid={U1} memory=3145728",
        "add-cpu": f"request id=0x5a17c0de0000000d {rq} code=add-cpu uuid={U1} count=1",
        "remove-cpu": f"request id=0x5a17c0de0000000e {rq} code=remove-cpu uuid={U1} count=1",
        "update-disk": f"request id=0x5a17c0de0000000f {rq} code=update-disk uuid={U1} disk-op=resize target=vda size=42949672960",
        "snapshot": f"request id=0x5a17c0de00000010 {rq} code=snapshot uuid={U1} snapshot-name=before-upgrade snapshot-op=create",
        "ping": "request id=1 code=ping",
        "lease": f"request id=0x5a17c0de00000017 {rq} code=lease timeout-ms=2000 controller=ctl-1 lease-token=0x3a5c00000a1b2c3d fence-after-ms=5000",
        "set-ha": f"request id=0x5a17c0de00000018 {rq} code=set-ha uuid={U1} ha=1",
    }
    for code, text in requests.items():
        positive(f"request-{code}", f"request {code}", text)
    positive("request-update-disk-attach", "update-disk attaching a new blank volume",
             f"request id=0x5a17c0de00000011 {rq} code=update-disk uuid={U1} disk-spec={{target=vdc size=10737418240 bus=virtio}} disk-op=attach")
    positive("request-unknown-code", "a request code this version does not know: decodes; hostd answers unknown-request",
             f"request id=0x5a17c0de00000012 {rq} code=200 uuid={U1}")
    positive("request-unknown-attribute", "an unknown non-critical attribute (0x7e) is carried and skipped by receivers that do not know it",
             f"request id=0x5a17c0de00000013 {rq} code=start uuid={U1} x7e=c0ffee")

    positive("request-lease-first", "a controller's first renewal: no token yet (§15.2)",
             f"request id=0x5a17c0de00000019 {rq} code=lease controller=ctl-1 fence-after-ms=5000")
    positive("request-add-ha-restart", "an HA restart: the VM defined again with its uuid, on the volume its first host made (§15.4)",
             f"request id=0x5a17c0de0000001a {rq} code=add uuid={U1} name=web-01 vcpus=2 memory=2097152 "
             "disk-spec={target=vda bus=virtio volume=web-01-vda.qcow2} nic-spec={mac=52:54:00:12:34:56 network=default model=virtio} ha=1")
    positive("ack-lease-granted", "a renewal granted: the holder and the token for the next one (§15.2)",
             f"ack id=0x5a17c0de00000017 boot={BOOT} code=success message=\"lapses in 4.012 s\" duration-us=41 controller=ctl-1 lease-token=0x3a5c00000a1b3025")
    positive("ack-lease-first-granted", "a first renewal granted: nothing extended, so 0 ms left; the controller renews again at once (§15.2)",
             f"ack id=0x5a17c0de00000019 boot={BOOT} code=success message=\"taken from no one; no token yet, so the lease is not extended\" "
             "duration-us=38 controller=ctl-1 lease-token=0x3a5c00000a1b2c3d fence-after-ms=0")
    positive("ack-lease-granted-left", "a renewal granted that extended the lease: the ms it has left (§15.2)",
             f"ack id=0x5a17c0de0000001b boot={BOOT} code=success message=\"renewed; lapses in 4.012 s\" duration-us=40 controller=ctl-1 "
             "lease-token=0x3a5c00000a1b3025 fence-after-ms=4012")
    positive("ack-unavailable-ha-start", "a start of an HA VM refused while the lease is not running: nothing done, not cached (§15.3)",
             f"ack id=0x5a17c0de0000001c boot={BOOT} code=unavailable uuid={U1} message=\"web-01 is HA and this host's lease has not been "
             "renewed since hostd started (no controller holds it yet): it would be fenced at once, so nothing was done; try again once "
             "a controller renews the lease (every second)\" duration-us=512")
    positive("ack-lease-refused", "a renewal refused: another controller holds the lease (§15.5)",
             f"ack id=0x5a17c0de00000017 boot={BOOT} code=failure message=\"the lease is held by controller ctl-2 for 3.5 s more\" duration-us=30 controller=ctl-2")
    positive("state-fenced", "a hostd whose lease lapsed: status fenced, its HA VM destroyed (§15.3)",
             f"state host=hv-01 boot={BOOT} seq=46 status=fenced "
             f"vm={{uuid={U1} name=web-01 power=off reason=destroyed flags=persistent,ha vcpus=2 memory=2097152}}", transport="datagram")
    positive("ack-success-add", "add succeeded: the new VM's uuid and the time it took",
             f"ack id=0x5a17c0de00000001 boot={BOOT} code=success uuid={U1} duration-us=18250")
    positive("ack-failure", "libvirt refused: its error code and message",
             f"ack id=0x5a17c0de00000003 boot={BOOT} code=failure uuid={U1} error-code=55 message=\"Requested operation is not valid: domain is already running\"")
    positive("ack-unsupported", "the hypervisor cannot do this", f"ack id=0x5a17c0de0000000a boot={BOOT} code=unsupported uuid={U1} error-code=3 message=\"this function is not supported by the connection driver: virDomainAttachDeviceFlags\"")
    positive("ack-unknown-request", "hostd does not know the code", f"ack id=0x5a17c0de00000012 boot={BOOT} code=unknown-request uuid={U1} message=\"unknown request code 200\"")
    positive("ack-busy", "another operation on the VM is in flight", f"ack id=42 code=busy")
    positive("ack-replayed", "a retransmitted request answered from the cache", f"ack id=0x5a17c0de00000003 boot={BOOT} code=success flags=replayed uuid={U1} duration-us=1210")
    positive("ack-unchanged", "start of a VM that was running already: success, nothing done",
             f"ack id=0x5a17c0de00000015 boot={BOOT} code=success flags=unchanged uuid={U1} message=\"web-01 is already running\" duration-us=85")
    carried = encode(f"state host=hv-01 boot={BOOT} seq=45 vm={{uuid={U1} name=web-01 power=paused reason=user flags=persistent "
                     "vcpus=2 memory=2097152 last-request=0x5a17c0de00000006}")
    positive("ack-success-state", "pause succeeded; the ACK carries the event datagram that showed it (§7.2 state), a whole STATE PDU with its own tag",
             f"ack id=0x5a17c0de00000006 boot={BOOT} code=success uuid={U1} duration-us=912 state={carried.hex()}")
    positive("ack-snapshot-list", "snapshot list: one snapshot-name per snapshot", f"ack id=0x5a17c0de00000014 boot={BOOT} code=success uuid={U1} snapshot-name=before-upgrade snapshot-name=nightly")
    positive("ack-ping", "ping answered: the host's boot id", f"ack id=1 boot={BOOT} code=success")

    positive("error-bad-tag", "the last PDU before a stream is closed", "error code=bad-tag message=\"authentication tag does not verify: the PDU was altered or forged\"")
    positive("error-bad-version", "a version 1 peer is told which version this end speaks",
             "error code=bad-version message=\"PDU version 1 is not supported; this end speaks version 2 (per-host keys)\" version=2")

    positive("query-hosts", "vmmctl host list", "query what=hosts", key=None)
    positive("query-vms-host", "vmmctl vm list --host hv-01", "query what=vms host=hv-01", key=None)
    positive("query-watch", "vmmctl watch", "query what=watch", key=None)
    positive("query-forget-host", "vmmctl host forget hv-01", "query what=forget-host host=hv-01", key=None)
    positive("submit-add", "vmmctl vm create, placed by the controller",
             "submit code=add name=web-02 vcpus=2 memory=2097152 disk-spec={size=21474836480} nic-spec={network=default}", key=None)
    positive("submit-migrate", "vmmctl vm migrate web-01 --to hv-02", "submit code=migrate ref=web-01 dest-host=hv-02", key=None)
    positive("submit-stop", "vmmctl vm stop web-01 --force --timeout 30", "submit code=stop flags=force ref=web-01 timeout-ms=30000", key=None)
    positive("host-up", "one host of vmmctl host list",
             f"host name=hv-01 boot={BOOT} seq=43 state=up cpus=16 memory-total=67108864 memory-free=33554432 port=7401 "
             "migration-uri=qemu+tcp://10.0.0.1/system vm-count=3 age-ms=212 address=10.0.0.1 accepted=43 dropped=2", key=None)
    positive("vm-unknown", "a VM whose host is down: power unknown, last-power remembers",
             f"vm host=hv-01 vm={{uuid={U1} name=web-01 power=unknown flags=persistent vcpus=2 memory=2097152}} age-ms=9000 last-power=running",
             key=None)
    positive("submit-set-ha", "vmmctl vm ha web-01 on", "submit code=set-ha ref=web-01 ha=1", key=None)
    positive("host-fenced-note", "a watched host that fenced itself, with the controller's note (§15.6)",
             f"host name=hv-01 boot={BOOT} seq=50 state=up age-ms=120 accepted=50 dropped=0 host-status=fenced "
             "note=\"host hv-01 fenced itself: its lease lapsed, and it destroyed or paused its HA VMs\"", key=None)
    positive("vm-note", "a watched VM and the controller's HA decision about it (§15.6)",
             f"vm host=hv-02 vm={{uuid={U1} name=web-01 power=running reason=booted flags=persistent,ha vcpus=2 memory=2097152}} age-ms=40 "
             "note=\"HA: web-01 runs on hv-02, restarted from down host hv-01 7.4 s after it went silent\"", key=None)
    positive("result-success", "a submit that succeeded", f"result code=success id=0x5a17c0de00000001 uuid={U1} host=hv-01", key=None)
    positive("result-unchanged", "a submit whose request changed nothing, answered again from the controller's recent requests",
             f"result code=success id=0x5a17c0de00000015 uuid={U1} message=\"web-01 is already running\" host=hv-01 ack-flags=replayed,unchanged", key=None)
    positive("submit-request-id", "vmmctl vm cpu add web-01 --request-id 5a17c0de:22: send request 0x5a17c0de00000016 again",
             "submit code=add-cpu ref=web-01 !request-id=0x5a17c0de00000016", key=None)
    positive("result-not-found", "no VM by that name", "result code=not-found message=\"no VM named web-99\"", key=None)

    # Negative vectors: each edits the bytes of a positive one.
    start = encode(requests["start"])
    flipped = bytearray(start); flipped[30] ^= 0x01
    write("neg-bad-tag", "request-start with bit 0 of byte 30 flipped", bytes(flipped), error="bad-tag")
    write("neg-wrong-key", "request-start signed with hv-01's key under another cluster's master key",
          encode(requests["start"], host_key(HOST, OTHER_MASTER)), error="wrong-key")
    write("neg-request-other-host", "request-start signed with hv-02's key, arriving at hv-01: never acted on",
          encode(requests["start"], host_key("hv-02")), error="wrong-key")
    write("neg-state-other-host", "a STATE naming hv-02 signed with hv-01's key: the controller checks it with hv-02's",
          encode(f"state host=hv-02 boot={BOOT} seq=9 status=stopping", KEY), transport="datagram", host="hv-02",
          key=host_key("hv-02"), error="wrong-key")
    write("neg-unsigned", "request-start sent unsigned where the key is required", encode(requests["start"], None), error="unsigned")
    bad = bytearray(start); bad[0:2] = b"GE"
    write("neg-bad-magic", "an HTTP request line where a PDU belongs", bytes(bad), error="bad-magic")
    bad = bytearray(start); bad[2] = 1
    write("neg-bad-version", "request-start from a version 1 peer (one shared cluster key)", bytes(bad), error="bad-version")
    bad = bytearray(start); bad[3] = 0x3f
    write("neg-unknown-type", "request-start with PDU type 0x3f", bytes(bad), error="unknown-type")
    bad = bytearray(start); bad[4] = 0x80
    write("neg-header-flags", "request-start with a reserved header flag set", resign(bytes(bad)), error="malformed")
    bad = bytearray(start); bad[6:10] = struct.pack(">I", 16)
    write("neg-length-below-minimum", "a declared length of 16, below header plus tag", bytes(bad), error="bad-length")
    bad = bytearray(start[:10]); bad[6:10] = struct.pack(">I", 70000)
    write("neg-too-large", "a header declaring 70000 bytes: refused before any body is read", bytes(bad), error="too-large")
    page = encode(f"state host=hv-01 boot={BOOT} seq=44 status=stopping")
    big = bytearray(page[:10]); big[6:10] = struct.pack(">I", 1300)
    write("neg-datagram-too-large", "a datagram header declaring 1300 bytes", bytes(big) + bytes(1290), transport="datagram", error="too-large")
    write("neg-datagram-truncated", "a datagram cut 5 bytes short", page[:-5], transport="datagram", error="truncated")
    write("neg-datagram-trailing", "a datagram with a byte after its PDU", page + b"\x00", transport="datagram", error="bad-length")
    write("neg-stream-need-more", "a stream holding all but the last byte of a PDU: wait for more", start[:-1], error="need-more")
    write("neg-stream-header-only", "a stream holding only 6 bytes of a header: wait for more", start[:6], error="need-more")

    def body_edit(text, edit, key=KEY):
        data = bytearray(encode(text, key))
        edit(data)
        return resign(bytes(data), key) if key else bytes(data)

    # request-remove-nic: header(10) id(8) boot(8) code(1) flags(1) uuid(16) then mac attribute at offset 44.
    write("neg-int-wrong-size", "a mac attribute whose value is 5 bytes instead of 6 (length field edited, last byte dropped)",
          body_edit(requests["remove-nic"], lambda d: (d.__setitem__(slice(45, 47), b"\x00\x05"), d.__delitem__(52), d.__setitem__(slice(6, 10), struct.pack(">I", len(d))))),
          error="malformed")
    two = f"request id=9 {rq} code=stop uuid={U1} timeout-ms=1 count=1"
    bad = bytearray(encode(two))
    # rebuild explicitly: count=1 (u16) then timeout-ms=1 (u32)
    body = bad[:44] + bytes([0x2a, 0, 2, 0, 1, 0x25, 0, 4, 0, 0, 0, 1]) + bad[-16:]
    write("neg-attr-out-of-order", "count (0x2a) before timeout-ms (0x25): attributes must ascend", resign(bytes(body)), error="malformed")
    body = bad[:44] + bytes([0x25, 0, 4, 0, 0, 0, 1, 0x25, 0, 4, 0, 0, 0, 2]) + bad[-16:]
    body = bytearray(body); body[6:10] = struct.pack(">I", len(body))
    write("neg-attr-repeated", "timeout-ms twice: it is not repeatable", resign(bytes(body)), error="malformed")
    body = bytearray(bad[:44] + bytes([0xfe, 0, 1, 0xaa]) + bad[-16:]); body[6:10] = struct.pack(">I", len(body))
    write("neg-unknown-critical", "an unknown attribute 0x7e with the critical bit set (type byte 0xfe)", resign(bytes(body)), error="unknown-critical")
    body = bytearray(bad[:44] + bytes([0x25, 0, 9, 0, 0]) + bad[-16:]); body[6:10] = struct.pack(">I", len(body))
    write("neg-attr-overrun", "an attribute declaring 9 value bytes with 2 left before the tag", resign(bytes(body)), error="malformed")
    add = bytearray(encode(f"request id=10 {rq} code=add name=web-01"))
    add[50] = ord(" ")
    write("neg-bad-name", "add with name 'web 01': a space is not allowed in a name", resign(bytes(add)), error="bad-value")
    st = bytearray(encode(f"state host=hv-01 boot={BOOT} seq=45 vm={{uuid={U1} name=x power=unknown flags=tombstone}}"))
    # the record's power byte: header 10 + fixed 26 + name 1+5 + facts_len 2 + record length 2 + uuid 16 = offset 62
    st[62] = 1
    write("neg-tombstone-with-power", "a tombstone whose power is running: a tombstone carries only uuid and name",
          resign(bytes(st)), transport="datagram", error="malformed")
    st = bytearray(encode(f"state host=hv-01 boot={BOOT} seq=1"))
    st[18:26] = bytes(8)
    write("neg-state-sequence-zero", "a state datagram with sequence 0: sequences start at 1", resign(bytes(st)), transport="datagram", error="bad-value")
    st = bytearray(encode(f"state host=hv-01 boot={BOOT} seq=47"))
    st[34] = 0x10   # status: header 10 + boot 8 + seq 8 + report 4 + page 2 + pages 2
    write("neg-state-status-reserved", "a state datagram with status bit 4 set (bits 4-7 are reserved)", resign(bytes(st)), transport="datagram", error="malformed")
    st = bytearray(encode(f"state host=hv-01 boot={BOOT} seq=48 vm={{uuid={U1} name=x power=off flags=ha}}"))
    st[63] = 0x30   # the record's flags: header 10 + fixed 26 + name 5 + facts_len 2 + length 2 + uuid 16 = power 61, reason 62, flags 63
    write("neg-vm-flags-reserved", "a VM record with flags bit 5 set, which is reserved", resign(bytes(st)), transport="datagram", error="malformed")
    ok = encode(requests["ping"])
    z = bytearray(ok); z[10:18] = bytes(8)
    write("neg-request-id-zero", "a request with id 0", resign(bytes(z)), error="bad-value")

    drain_vectors()
    event_vectors()
    usage_vectors()


def event_vectors():
    """The event history (§7.7): the query with every filter, and one EVENT of each kind."""
    t = 1796277600000                        # 2026-12-03T06:00:00Z
    positive("query-events", "vmmctl events --host hv-01 --vm web-01 --since 10m --after 41 --follow",
             "query what=events host=hv-01 ref=web-01 !since-ms=600000 !after-event=41 !follow=1", key=None)
    positive("event-host", "hv-01 is up again: it was down",
             f"event id=42 time={t} kind=host host=hv-01 note=\"was down\" host-state=up", key=None)
    positive("event-vm", "web-01 changed: it runs now",
             f"event id=43 time={t + 5} kind=vm uuid={U1} name=web-01 host=hv-01 last-power=running", key=None)
    positive("event-vm-removed", "db-01 left hv-01's inventory",
             f"event id=44 time={t + 10} kind=vm-removed uuid={U2} name=db-01 host=hv-01", key=None)
    positive("event-request", "uid 1000 started web-01: success in 182 ms",
             f"event id=45 time={t + 200} kind=request uuid={U1} name=web-01 duration-us=182000 host=hv-01 last-ack=success "
             "last-code=start request-id=0x5a17c0de00000001 uid=1000", key=None)
    positive("event-request-failed", "root's migrate of web-01 failed, with the host's message",
             f"event id=46 time={t + 900} kind=request uuid={U1} name=web-01 message=\"migration failed: no route to host\" "
             "duration-us=2500000 host=hv-01 last-ack=failure last-code=migrate request-id=0x5a17c0de00000002 uid=0", key=None)
    positive("event-request-ha", "the controller's own request: an HA restart defines web-01 on hv-02",
             f"event id=47 time={t + 9000} kind=request uuid={U1} name=web-01 duration-us=41000 host=hv-02 last-ack=success "
             "last-code=add request-id=0x5a17c0de00000003", key=None)
    positive("event-decision", "an HA decision: no uid, the controller's own",
             f"event id=48 time={t + 9001} kind=decision uuid={U1} name=web-01 host=hv-02 "
             "note=\"HA: web-01 runs on hv-02, restarted from down host hv-01 8.9 s after it went silent\"", key=None)
    positive("event-decision-drain", "a drain step of uid 1000's drain",
             f"event id=49 time={t + 12000} kind=decision uuid={U2} name=db-01 host=hv-01 "
             "note=\"drain hv-01: db-01 not moved: no host has room\" uid=1000", key=None)


def usage_vectors():
    """Usage (§16): a USAGE page, its faults, and usage as vmmctl receives it (VM, HOST)."""
    all_counters = ("cpu-time-ns=123456789000 mem-used=1572864 mem-balloon=2097152 disk-read-bytes=524288000 "
                    "disk-write-bytes=104857600 disk-reads=12000 disk-writes=3400 net-rx-bytes=987654 net-tx-bytes=123456 "
                    "net-rx-packets=1500 net-tx-packets=900")
    usage = (f"usage host=hv-01 boot={BOOT} sampled=86400000 pages=2 interval=10000 vm={{uuid={U1} {all_counters}}} "
             f"vm={{uuid={U2} cpu-time-ns=5000000000 mem-used=65536}}")
    positive("usage-page", "the first of two pages of a usage sample: one VM with every counter, one the test driver's way "
             "(CPU time and memory only)", usage, transport="datagram")
    positive("usage-last-page", "the last page of the same sample: same sampled_ms, one VM with no counters at all",
             f"usage host=hv-01 boot={BOOT} sampled=86400000 page=1 pages=2 interval=10000 vm={{uuid=00000000-0000-0000-0000-000000000001}}",
             transport="datagram")
    u = bytearray(encode(f"usage host=hv-01 boot={BOOT} sampled=86400000 pages=1 interval=10000"))
    u[28:30] = bytes(2)   # pages: header 10 + boot 8 + sampled 8 + page 2
    write("neg-usage-pages-zero", "a usage datagram with pages 0: a sample has at least one page", resign(bytes(u)),
          transport="datagram", error="bad-value")
    u = bytearray(encode(f"usage host=hv-01 boot={BOOT} sampled=86400000 pages=1 interval=10000 vm={{uuid={U1}}}"))
    u[41:43] = struct.pack(">H", 15)   # the record's length: header 10 + fixed 25 + name 1+5
    write("neg-usage-record-short", "a usage record whose length is 15, below the 16 bytes of its uuid", resign(bytes(u)),
          transport="datagram", error="malformed")
    positive("vm-usage", "a VM with its newest counters and their growth over the last 10 s, as vm show and vm top receive it",
             f"vm host=hv-01 vm={{uuid={U1} name=web-01 power=running reason=booted flags=persistent vcpus=2 memory=2097152}} "
             f"age-ms=120 {all_counters} usage-delta={{duration-us=10000000 cpu-time-ns=5000000000 disk-read-bytes=4096 "
             "disk-write-bytes=1048576 disk-reads=1 disk-writes=64 net-rx-bytes=2000 net-tx-bytes=1000 net-rx-packets=20 net-tx-packets=10}",
             key=None)
    positive("host-usage", "a host whose VMs used 2.5 of its 16 CPUs over 10 s and 3 GiB of memory, as host list receives it",
             f"host name=hv-01 boot={BOOT} seq=60 state=up cpus=16 memory-total=67108864 memory-free=33554432 port=7401 "
             "vm-count=2 age-ms=80 mem-used=3145728 usage-delta={duration-us=10000000 cpu-time-ns=25000000000}", key=None)


def drain_vectors():
    """Maintenance (§6.1 draining, §7.4 drain and undrain, §8.1 drain, §8.9)."""
    rq = f"boot={BOOT}"
    positive("state-draining", "a liveness datagram of a host marked draining (status bit 2)",
             f"state host=hv-01 boot={BOOT} seq=46 status=draining", transport="datagram")
    positive("request-drain", "request drain: mark the host draining",
             f"request id=0x5a17c0de00000020 {rq} code=drain draining=1")
    positive("request-undrain", "request drain with draining 0: clear the mark",
             f"request id=0x5a17c0de00000021 {rq} code=drain draining=0")
    positive("ack-drain-unchanged", "drain of a host marked already: success, nothing done",
             f"ack id=0x5a17c0de00000020 boot={BOOT} code=success flags=unchanged message=\"the host is already marked draining\" duration-us=40")
    positive("query-drain", "vmmctl host drain hv-01 --parallel 3", "query what=drain host=hv-01 parallel=3", key=None)
    positive("query-undrain", "vmmctl host undrain hv-01", "query what=undrain host=hv-01", key=None)
    positive("host-draining", "a host marked draining, as host list shows it",
             f"host name=hv-01 boot={BOOT} seq=50 state=up cpus=16 memory-total=67108864 memory-free=62914560 port=7401 "
             "vm-count=1 age-ms=80 address=10.0.0.1 accepted=50 dropped=0 draining=1", key=None)
    positive("vm-drain-moving", "a drain starts moving web-01 to hv-02",
             f"vm host=hv-01 vm={{uuid={U1} name=web-01 power=running reason=booted flags=persistent vcpus=2 memory=2097152}} "
             "dest-host=hv-02 age-ms=120 drain-outcome=moving", key=None)
    positive("vm-drain-moved", "web-01 runs on hv-02 now: 2.3 s of live migration",
             f"vm host=hv-02 vm={{uuid={U1} name=web-01 power=running reason=migrated flags=persistent vcpus=2 memory=2097152}} "
             "duration-us=2300000 dest-host=hv-02 age-ms=5 last-ack=success last-code=migrate drain-outcome=moved", key=None)
    positive("vm-drain-no-room", "db-01 is not moved: no other host has room; it keeps running on hv-01",
             f"vm host=hv-01 vm={{uuid={U2} name=db-01 power=running reason=booted flags=persistent vcpus=4 memory=8388608}} "
             "message=\"db-01 not moved: no host has room for 4 vCPUs and 8 GiB: largest free is 6 GiB and 12 vCPUs on hv-02\" "
             "age-ms=300 drain-outcome=no-room", key=None)
    positive("result-drain", "the summary of a drain that left one VM running on the host",
             "result code=unavailable message=\"host hv-01 not drained (4.1 s): 4 moved, 1 still running here (1 no room); it stays marked draining\" host=hv-01",
             key=None)


if __name__ == "__main__":
    main()
