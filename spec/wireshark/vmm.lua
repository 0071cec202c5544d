-- vmm.lua: a Wireshark dissector for Vmm's wire protocol, version 2 (spec/PROTOCOL.md).
--
-- Load it with `wireshark -X lua_script:spec/wireshark/vmm.lua` (tshark alike), or copy it to
-- ~/.local/lib/wireshark/plugins/. It dissects:
--   * UDP port 7400 (STATE and USAGE datagrams, §2) and TCP port 7401 (REQUEST, ACK, ERROR, §2), both settable in the
--     protocol's preferences, and any other TCP or UDP traffic whose first bytes look like a Vmm header
--     (heuristics "vmm_tcp" and "vmm_udp": magic, version, flags, type and length are checked);
--   * every PDU type of §4 (the admin PDUs too, should they be carried over TCP), every attribute of §5.3,
--     VM records, disks and NICs; a PDU split over TCP segments is reassembled, and a segment holding several
--     PDUs shows each;
--   * the key id and the tag, and, given a key in the preferences, whether the tag verifies (§3.3).
-- Input the codec would refuse is shown with the expert info "malformed", naming the error of §9 in the field
-- vmm.fault; the dissector itself never raises a Lua error on any input.
--
-- Field names (display filters):
--   header    vmm.magic vmm.version vmm.type vmm.flags vmm.key_id vmm.length
--   tag       vmm.tag vmm.tag.status ("good", "bad", "wrong-key", "unsigned", "unverified") vmm.tag.host
--             (the host whose key was used) vmm.tag.expected (the tag computed with that key)
--   faults    vmm.fault (the §9 error name a receiver would report: malformed, bad-value, too-large, ...)
--   STATE     vmm.boot_id vmm.sequence vmm.report vmm.page vmm.pages vmm.status(.unreachable .stopping .draining .fenced)
--             vmm.host_len vmm.host vmm.facts_len vmm.facts, then one vmm.vm per record
--   USAGE     vmm.boot_id vmm.usage.sampled_ms vmm.page vmm.pages vmm.usage.interval_ms vmm.usage.flags vmm.host_len vmm.host,
--             then one vmm.usage.vm per record: vmm.usage.vm.length vmm.usage.vm.uuid and its attributes (§16)
--   VM record vmm.vm.length vmm.vm.uuid vmm.vm.power vmm.vm.reason vmm.vm.flags(.tombstone .persistent
--             .autostart .truncated .ha) vmm.vm.vcpus vmm.vm.memory_kib vmm.vm.name_len vmm.vm.name
--   REQUEST   vmm.request_id vmm.boot_id vmm.request.code vmm.request.flags(.force) vmm.uuid
--   ACK       vmm.request_id vmm.boot_id vmm.ack.code vmm.ack.flags(.replayed .unchanged) vmm.uuid
--   ERROR     vmm.error.code
--   QUERY     vmm.query.what;   SUBMIT vmm.request.code vmm.request.flags
--   HOST      vmm.boot_id vmm.sequence vmm.host.state vmm.host_len vmm.host
--   VM        vmm.host_len vmm.host, a vmm.vm record;   RESULT vmm.ack.code vmm.request_id vmm.uuid
--   EVENT     vmm.event.id vmm.event.time_ms vmm.event.kind vmm.uuid
--   attribute vmm.attrs (a list), vmm.attr (one subtree each), vmm.attr.type (bits 0-6), vmm.attr.critical (bit 7),
--             vmm.attr.length, and the value as vmm.attr.NAME, NAME being the registry name with '_' for
--             '-' (vmm.attr.memory_total, vmm.attr.message, ...); vmm.attr.value for an unknown type; a disk
--             is vmm.disk.capacity .bus .flags(.readonly .cdrom .owned) .target, a NIC vmm.nic.mac .model
--             .kind .source; nested attributes (disk-spec, nic-spec) hold their own vmm.attr subtrees; an ACK's
--             state (§7.2, the STATE datagram it carries) is vmm.attr.state, its bytes.
--
-- Preferences (Edit > Preferences > Protocols > VMM, or tshark -o vmm.key:HEX -o vmm.key_kind:master):
--   vmm.key       64 hex digits: a host key (vmmctl key derive) or the cluster master key (vmmctl key generate);
--                 the 64 hex digits of a key file's line, with or without its "host NAME" or "master" prefix
--   vmm.key_kind  "host" (default) or "master". With a master key, a STATE is checked with the key of the host
--                 it names (HKDF-SHA-256, §3.3); a REQUEST, ACK or ERROR, which carries no host name, with the
--                 keys of the hosts whose STATE verified earlier in the capture, picked by key id. A PDU no
--                 known key can check is "unverified".
--   vmm.tcp_port, vmm.udp_port   the ports dissected without heuristics (7401, 7400).
--
-- SHA-256 (FIPS 180-4), HMAC (RFC 2104) and HKDF (RFC 5869) are written here with Lua 5.2's bit32 library:
-- Wireshark's Lua has no HMAC.

local vmm = Proto("vmm", "Vmm wire protocol")

local HEADER, TAG, MIN_PDU = 10, 16, 26
local MAX_STREAM, MAX_DATAGRAM = 65536, 1200

---------------------------------------------------------------------------------------------------------------
-- SHA-256 (FIPS 180-4 §4.1.2, §5, §6.2) and HMAC-SHA-256 (RFC 2104) over Lua strings of bytes.

local band, bor, bxor, bnot = bit32.band, bit32.bor, bit32.bxor, bit32.bnot
local rrotate, rshift = bit32.rrotate, bit32.rshift

-- The constants are the first 32 bits of the fractional parts of the square roots (H0) and cube roots (K)
-- of the first primes (FIPS 180-4 §4.2.2, §5.3.3), computed rather than typed in; the known answers below
-- check them when the script loads.
local function primes(n)
    local list, candidate = {}, 2
    while #list < n do
        local prime = true
        for _, p in ipairs(list) do
            if p * p > candidate then break end
            if candidate % p == 0 then prime = false; break end
        end
        if prime then list[#list + 1] = candidate end
        candidate = candidate + 1
    end
    return list
end

local function fraction_bits(x)
    local f = x - math.floor(x)
    return math.floor(f * 4294967296)
end

-- Exact root: the double-precision estimate, refined so that the 32 fraction bits are those of the true root
-- (x = r + f / 2^32 is below the root while x^k <= p; the estimate is off by at most a unit or two).
local function root_bits(p, k)
    local r = math.floor(p ^ (1 / k))
    local f = fraction_bits(p ^ (1 / k))
    local function below(fr) return ((r * 4294967296 + fr) / 4294967296) ^ k <= p end
    while f > 0 and not below(f) do f = f - 1 end
    while f < 4294967295 and below(f + 1) do f = f + 1 end
    return f
end

local H0, K = {}, {}
do
    local p = primes(64)
    for i = 1, 8 do H0[i] = root_bits(p[i], 2) end
    for i = 1, 64 do K[i] = root_bits(p[i], 3) end
end

local function sha256(message)
    local length = #message
    -- Padding (§5.1.1): a 1 bit, zeros, and the length in bits as a 64-bit big-endian number.
    local bits = length * 8
    local tail = "\128" .. string.rep("\0", (55 - length) % 64)
    local high, low = math.floor(bits / 4294967296), bits % 4294967296
    tail = tail .. string.char(rshift(high, 24), band(rshift(high, 16), 255), band(rshift(high, 8), 255), band(high, 255),
        rshift(low, 24), band(rshift(low, 16), 255), band(rshift(low, 8), 255), band(low, 255))
    local data = message .. tail
    local h = { H0[1], H0[2], H0[3], H0[4], H0[5], H0[6], H0[7], H0[8] }
    local w = {}
    for block = 1, #data, 64 do
        for t = 1, 16 do
            local b1, b2, b3, b4 = data:byte(block + (t - 1) * 4, block + (t - 1) * 4 + 3)
            w[t] = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
        end
        for t = 17, 64 do
            local x, y = w[t - 15], w[t - 2]
            local s0 = bxor(rrotate(x, 7), rrotate(x, 18), rshift(x, 3))
            local s1 = bxor(rrotate(y, 17), rrotate(y, 19), rshift(y, 10))
            w[t] = band(w[t - 16] + s0 + w[t - 7] + s1, 0xFFFFFFFF)
        end
        local a, b, c, d, e, f, g, hh = h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
        for t = 1, 64 do
            local S1 = bxor(rrotate(e, 6), rrotate(e, 11), rrotate(e, 25))
            local ch = bxor(band(e, f), band(bnot(e), g))
            local t1 = hh + S1 + ch + K[t] + w[t]
            local S0 = bxor(rrotate(a, 2), rrotate(a, 13), rrotate(a, 22))
            local maj = bxor(band(a, b), band(a, c), band(b, c))
            hh, g, f, e = g, f, e, band(d + t1, 0xFFFFFFFF)
            d, c, b, a = c, b, a, band(t1 + S0 + maj, 0xFFFFFFFF)
        end
        h[1], h[2], h[3], h[4] = band(h[1] + a, 0xFFFFFFFF), band(h[2] + b, 0xFFFFFFFF), band(h[3] + c, 0xFFFFFFFF), band(h[4] + d, 0xFFFFFFFF)
        h[5], h[6], h[7], h[8] = band(h[5] + e, 0xFFFFFFFF), band(h[6] + f, 0xFFFFFFFF), band(h[7] + g, 0xFFFFFFFF), band(h[8] + hh, 0xFFFFFFFF)
    end
    local out = {}
    for i = 1, 8 do
        out[i] = string.char(rshift(h[i], 24), band(rshift(h[i], 16), 255), band(rshift(h[i], 8), 255), band(h[i], 255))
    end
    return table.concat(out)
end

local function xor_pad(key, byte)
    local out = {}
    for i = 1, 64 do out[i] = string.char(bxor(key:byte(i) or 0, byte)) end
    return table.concat(out)
end

-- RFC 2104 with B = 64; every key here is 32 bytes, shorter than a block, so it is only zero-padded.
local function hmac_sha256(key, message)
    return sha256(xor_pad(key, 0x5C) .. sha256(xor_pad(key, 0x36) .. message))
end

local function tohex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function fromhex(h)
    return (h:gsub("..", function(pair) return string.char(tonumber(pair, 16)) end))
end

-- Known answers: FIPS 180-4's example "abc", the empty message, RFC 4231 test case 2, and messages of 55, 56, 63,
-- 64, 119 and 120 bytes (the padding's edges: one block or two). A wrong constant or padding shows here, not as
-- every tag reading "bad".
local function known_answers()
    local ok = tohex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        and tohex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        and tohex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    local edges = {
        [55] = "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
        [56] = "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
        [63] = "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
        [64] = "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
        [119] = "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
        [120] = "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
    }
    for n, digest in pairs(edges) do ok = ok and tohex(sha256(string.rep("a", n))) == digest end
    return ok
end
-- Checked in pcall: a broken hash must leave the dissector loaded, its tags "not verified".
local crypto_ok = select(2, pcall(known_answers)) == true

-- §3.3: the key id is the first byte of SHA-256("vmm key id" || key), 0 replaced by 1.
local function key_id(key)
    local id = sha256("vmm key id" .. key):byte(1)
    return id == 0 and 1 or id
end

-- §3.3: host_key(H) = HKDF-SHA-256(IKM = master, salt = 32 zero bytes, info = "vmm host key v1" || H, L = 32).
-- With L = 32, HKDF-Expand is its first block: T(1) = HMAC(PRK, info || 0x01).
local function host_key(master, name)
    local prk = hmac_sha256(string.rep("\0", 32), master)
    return hmac_sha256(prk, "vmm host key v1" .. name .. "\1")
end

---------------------------------------------------------------------------------------------------------------
-- Registries (§4, §8, §9).

local pdu_types = {
    [0x01] = "STATE", [0x02] = "REQUEST", [0x03] = "ACK", [0x04] = "ERROR", [0x05] = "USAGE",
    [0x10] = "QUERY", [0x11] = "SUBMIT", [0x12] = "HOST", [0x13] = "VM", [0x14] = "RESULT", [0x15] = "EVENT",
}
local request_codes = {
    [1] = "add", [2] = "remove", [3] = "start", [4] = "stop", [5] = "restart", [6] = "pause", [7] = "resume",
    [8] = "migrate", [9] = "delete", [10] = "add-nic", [11] = "remove-nic", [12] = "update-memory", [13] = "add-cpu",
    [14] = "remove-cpu", [15] = "update-disk", [16] = "snapshot", [17] = "ping", [18] = "drain", [19] = "lease", [20] = "set-ha",
}
local ack_codes = {
    [0] = "success", [1] = "failure", [2] = "unsupported", [3] = "unknown-request", [4] = "busy", [5] = "timeout",
    [6] = "not-found", [7] = "unavailable",
}
local error_codes = {
    [1] = "truncated", [2] = "bad-magic", [3] = "bad-version", [4] = "bad-length", [5] = "too-large",
    [6] = "unknown-type", [7] = "unexpected-type", [8] = "unsigned", [9] = "wrong-key", [10] = "bad-tag",
    [11] = "malformed", [12] = "bad-value", [13] = "unknown-critical", [14] = "replay",
}
local power_states = {
    [0] = "unknown", [1] = "running", [2] = "blocked", [3] = "paused", [4] = "shutting-down", [5] = "off",
    [6] = "crashed", [7] = "suspended",
}
local reasons = {
    [1] = { [0] = "unknown", "booted", "migrated", "restored", "from-snapshot", "unpaused", "migration-canceled",
        "save-canceled", "wakeup", "crashed", "postcopy", "postcopy-failed" },
    [3] = { [0] = "unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from-snapshot",
        "shutting-down", "snapshot", "crashed", "starting-up", "postcopy", "postcopy-failed", "api-error" },
    [4] = { [0] = "unknown", "user" },
    [5] = { [0] = "unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot", "daemon" },
    [6] = { [0] = "unknown", "panicked", "killed" },
}
local buses = { [0] = "default", "virtio", "scsi", "sata", "ide", "usb" }
local models = { [0] = "default", "virtio", "e1000", "rtl8139", "e1000e" }
local nic_kinds = { [0] = "other", "network", "bridge", "user", "direct" }
local snapshot_ops = { [0] = "create", "revert", "delete", "list" }
local disk_ops = { [0] = "attach", "detach", "resize" }
local query_kinds = { [1] = "hosts", [2] = "vms", [3] = "watch", [4] = "forget-host", [5] = "drain", [6] = "undrain", [7] = "events" }
local event_kinds = { [1] = "host", [2] = "vm", [3] = "vm-removed", [4] = "request", [5] = "decision" }
local drain_outcomes = { [0] = "moving", "moved", "not-running", "no-room", "failed", "undrained", "gone" }
local host_states = { [0] = "unknown", "up", "down", "unreachable", "stopped" }
local key_kinds = { host = 1, master = 2 }

-- §5.3: type, name, kind, maximum length (text, name, nested, disk, nic), repeatable, names of the values.
local attr_rows = {
    { 0x01, "cpus", "u32" }, { 0x02, "memory-total", "u64" }, { 0x03, "memory-free", "u64" },
    { 0x04, "port", "u16" }, { 0x05, "migration-uri", "text", 1024 }, { 0x06, "hypervisor", "text", 255 },
    { 0x07, "vm-count", "u32" },
    { 0x10, "disk", "disk", 42, true }, { 0x11, "nic", "nic", 263, true }, { 0x12, "max-vcpus", "u16" },
    { 0x13, "max-memory", "u64" }, { 0x14, "snapshots", "u16" }, { 0x15, "last-request", "u64" },
    { 0x20, "name", "name", 64 }, { 0x21, "vcpus", "u16" }, { 0x22, "memory", "u64" },
    { 0x23, "disk-spec", "nested", 4096, true }, { 0x24, "nic-spec", "nested", 4096, true },
    { 0x25, "timeout-ms", "u32" }, { 0x26, "dest-uri", "text", 1024 }, { 0x27, "snapshot-name", "name", 64, true },
    { 0x28, "snapshot-op", "u8", nil, false, snapshot_ops }, { 0x29, "disk-op", "u8", nil, false, disk_ops },
    { 0x2A, "count", "u16" }, { 0x2B, "target", "name", 32 }, { 0x2C, "size", "u64" }, { 0x2D, "mac", "mac" },
    { 0x2E, "base-image", "text", 1024 }, { 0x2F, "bus", "u8", nil, false, buses },
    { 0x30, "network", "name", 64 }, { 0x31, "bridge", "name", 15 }, { 0x32, "model", "u8", nil, false, models },
    { 0x40, "error-code", "u32" }, { 0x41, "message", "text", 1024 }, { 0x42, "duration-us", "u64" },
    { 0x43, "version", "u8" }, { 0x44, "state", "bytes", 1200 },
    { 0x50, "host", "name", 64 }, { 0x51, "ref", "text", 255 }, { 0x52, "dest-host", "name", 64 },
    { 0x53, "age-ms", "u32" }, { 0x54, "address", "text", 64 }, { 0x55, "last-ack", "u8", nil, false, ack_codes },
    { 0x56, "last-code", "u8", nil, false, request_codes }, { 0x57, "last-power", "u8", nil, false, power_states },
    { 0x58, "accepted", "u64" }, { 0x59, "dropped", "u64" }, { 0x5A, "request-id", "u64" },
    { 0x5B, "ack-flags", "u8" },
    { 0x60, "draining", "u8" }, { 0x61, "parallel", "u16" }, { 0x62, "drain-outcome", "u8", nil, false, drain_outcomes },
    { 0x64, "controller", "name", 64 }, { 0x65, "lease-token", "u64" }, { 0x66, "fence-after-ms", "u32" },
    { 0x67, "ha", "u8" }, { 0x68, "volume", "text", 255 }, { 0x69, "host-status", "u8" }, { 0x6A, "note", "text", 1024 },
    { 0x6B, "since-ms", "u64" }, { 0x6C, "after-event", "u64" }, { 0x6D, "follow", "u8" }, { 0x6E, "uid", "u32" },
    { 0x6F, "host-state", "u8", nil, false, host_states },
    { 0x70, "cpu-time-ns", "u64" }, { 0x71, "mem-used", "u64" }, { 0x72, "mem-balloon", "u64" },
    { 0x73, "disk-read-bytes", "u64" }, { 0x74, "disk-write-bytes", "u64" }, { 0x75, "disk-reads", "u64" },
    { 0x76, "disk-writes", "u64" }, { 0x77, "net-rx-bytes", "u64" }, { 0x78, "net-tx-bytes", "u64" },
    { 0x79, "net-rx-packets", "u64" }, { 0x7A, "net-tx-packets", "u64" }, { 0x7B, "usage-delta", "nested", 255 },
}

---------------------------------------------------------------------------------------------------------------
-- Fields.

local pf = {
    magic = ProtoField.uint16("vmm.magic", "Magic", base.HEX),
    version = ProtoField.uint8("vmm.version", "Version", base.DEC),
    type = ProtoField.uint8("vmm.type", "Type", base.HEX, pdu_types),
    flags = ProtoField.uint8("vmm.flags", "Header flags", base.HEX),
    key_id = ProtoField.uint8("vmm.key_id", "Key id", base.DEC),
    length = ProtoField.uint32("vmm.length", "Length", base.DEC),
    tag = ProtoField.bytes("vmm.tag", "Tag"),
    tag_status = ProtoField.string("vmm.tag.status", "Tag status"),
    tag_host = ProtoField.string("vmm.tag.host", "Checked with the key of host"),
    tag_expected = ProtoField.string("vmm.tag.expected", "Expected tag"),
    fault = ProtoField.string("vmm.fault", "Fault"),

    boot_id = ProtoField.uint64("vmm.boot_id", "Boot id", base.HEX),
    sequence = ProtoField.uint64("vmm.sequence", "Sequence", base.DEC),
    report = ProtoField.uint32("vmm.report", "Report", base.DEC),
    page = ProtoField.uint16("vmm.page", "Page", base.DEC),
    pages = ProtoField.uint16("vmm.pages", "Pages", base.DEC),
    status = ProtoField.uint8("vmm.status", "Status", base.HEX),
    status_unreachable = ProtoField.bool("vmm.status.unreachable", "Unreachable", 8, nil, 0x01),
    status_stopping = ProtoField.bool("vmm.status.stopping", "Stopping", 8, nil, 0x02),
    status_draining = ProtoField.bool("vmm.status.draining", "Draining", 8, nil, 0x04),
    status_fenced = ProtoField.bool("vmm.status.fenced", "Fenced", 8, nil, 0x08),
    host_len = ProtoField.uint8("vmm.host_len", "Host name length", base.DEC),
    host = ProtoField.string("vmm.host", "Host"),
    facts_len = ProtoField.uint16("vmm.facts_len", "Facts length", base.DEC),
    facts = ProtoField.none("vmm.facts", "Host facts"),

    usage_sampled = ProtoField.uint64("vmm.usage.sampled_ms", "Sampled at (ms, hostd's monotonic clock)", base.DEC),
    usage_interval = ProtoField.uint32("vmm.usage.interval_ms", "Usage interval (ms)", base.DEC),
    usage_flags = ProtoField.uint8("vmm.usage.flags", "Usage flags (reserved)", base.HEX),
    usage_vm = ProtoField.none("vmm.usage.vm", "Usage record"),
    usage_vm_length = ProtoField.uint16("vmm.usage.vm.length", "Record length", base.DEC),
    usage_vm_uuid = ProtoField.guid("vmm.usage.vm.uuid", "UUID"),

    vm = ProtoField.none("vmm.vm", "VM record"),
    vm_length = ProtoField.uint16("vmm.vm.length", "Record length", base.DEC),
    vm_uuid = ProtoField.guid("vmm.vm.uuid", "UUID"),
    vm_power = ProtoField.uint8("vmm.vm.power", "Power", base.DEC, power_states),
    vm_reason = ProtoField.uint8("vmm.vm.reason", "Reason", base.DEC),
    vm_flags = ProtoField.uint8("vmm.vm.flags", "VM flags", base.HEX),
    vm_tombstone = ProtoField.bool("vmm.vm.flags.tombstone", "Tombstone", 8, nil, 0x01),
    vm_persistent = ProtoField.bool("vmm.vm.flags.persistent", "Persistent", 8, nil, 0x02),
    vm_autostart = ProtoField.bool("vmm.vm.flags.autostart", "Autostart", 8, nil, 0x04),
    vm_truncated = ProtoField.bool("vmm.vm.flags.truncated", "Truncated", 8, nil, 0x08),
    vm_ha = ProtoField.bool("vmm.vm.flags.ha", "HA", 8, nil, 0x10),
    vm_vcpus = ProtoField.uint16("vmm.vm.vcpus", "vCPUs", base.DEC),
    vm_memory = ProtoField.uint64("vmm.vm.memory_kib", "Memory (KiB)", base.DEC),
    vm_name_len = ProtoField.uint8("vmm.vm.name_len", "Name length", base.DEC),
    vm_name = ProtoField.string("vmm.vm.name", "Name"),

    request_id = ProtoField.uint64("vmm.request_id", "Request id", base.DEC),
    request_code = ProtoField.uint8("vmm.request.code", "Request code", base.DEC, request_codes),
    request_flags = ProtoField.uint8("vmm.request.flags", "Request flags", base.HEX),
    request_force = ProtoField.bool("vmm.request.flags.force", "Force", 8, nil, 0x01),
    uuid = ProtoField.guid("vmm.uuid", "VM"),
    ack_code = ProtoField.uint8("vmm.ack.code", "Ack code", base.DEC, ack_codes),
    ack_flags = ProtoField.uint8("vmm.ack.flags", "Ack flags", base.HEX),
    ack_replayed = ProtoField.bool("vmm.ack.flags.replayed", "Replayed", 8, nil, 0x01),
    ack_unchanged = ProtoField.bool("vmm.ack.flags.unchanged", "Unchanged", 8, nil, 0x02),
    error_code = ProtoField.uint16("vmm.error.code", "Error code", base.DEC, error_codes),
    query_what = ProtoField.uint8("vmm.query.what", "Query", base.DEC, query_kinds),
    host_state = ProtoField.uint8("vmm.host.state", "Host state", base.DEC, host_states),
    event_id = ProtoField.uint64("vmm.event.id", "Event id", base.DEC),
    event_time = ProtoField.uint64("vmm.event.time_ms", "Event time (Unix ms)", base.DEC),
    event_kind = ProtoField.uint8("vmm.event.kind", "Event kind", base.DEC, event_kinds),

    attrs = ProtoField.none("vmm.attrs", "Attributes"),
    attr = ProtoField.none("vmm.attr", "Attribute"),
    attr_type = ProtoField.uint8("vmm.attr.type", "Attribute type", base.HEX, nil, 0x7F),
    attr_critical = ProtoField.bool("vmm.attr.critical", "Critical", 8, nil, 0x80),
    attr_length = ProtoField.uint16("vmm.attr.length", "Attribute length", base.DEC),
    attr_value = ProtoField.bytes("vmm.attr.value", "Value (unknown type)"),

    disk_capacity = ProtoField.uint64("vmm.disk.capacity", "Capacity (bytes)", base.DEC),
    disk_bus = ProtoField.uint8("vmm.disk.bus", "Bus", base.DEC, buses),
    disk_flags = ProtoField.uint8("vmm.disk.flags", "Disk flags", base.HEX),
    disk_readonly = ProtoField.bool("vmm.disk.flags.readonly", "Read-only", 8, nil, 0x01),
    disk_cdrom = ProtoField.bool("vmm.disk.flags.cdrom", "CD-ROM", 8, nil, 0x02),
    disk_owned = ProtoField.bool("vmm.disk.flags.owned", "Owned", 8, nil, 0x04),
    disk_target = ProtoField.string("vmm.disk.target", "Target"),
    nic_mac = ProtoField.ether("vmm.nic.mac", "MAC"),
    nic_model = ProtoField.uint8("vmm.nic.model", "Model", base.DEC, models),
    nic_kind = ProtoField.uint8("vmm.nic.kind", "Kind", base.DEC, nic_kinds),
    nic_source = ProtoField.string("vmm.nic.source", "Source"),
}

-- One value field per registry row: vmm.attr.NAME.
local attrs = {}
local attr_names = {}
for _, row in ipairs(attr_rows) do
    local t, name, kind, max, repeatable, names = row[1], row[2], row[3], row[4], row[5], row[6]
    local abbrev, label = "vmm.attr." .. name:gsub("-", "_"), name
    local field
    if kind == "u8" then field = ProtoField.uint8(abbrev, label, name == "ack-flags" and base.HEX or base.DEC, names)
    elseif kind == "u16" then field = ProtoField.uint16(abbrev, label, base.DEC)
    elseif kind == "u32" then field = ProtoField.uint32(abbrev, label, base.DEC)
    elseif kind == "u64" then field = ProtoField.uint64(abbrev, label, base.DEC)
    elseif kind == "mac" then field = ProtoField.ether(abbrev, label)
    elseif kind == "text" or kind == "name" then field = ProtoField.string(abbrev, label)
    elseif kind == "bytes" then field = ProtoField.bytes(abbrev, label)
    else field = ProtoField.none(abbrev, label) end
    pf["attr_" .. name] = field
    attrs[t] = { type = t, name = name, kind = kind, max = max, repeatable = repeatable, names = names, field = field }
    attr_names[t] = name
end

local field_list = {}
for _, f in pairs(pf) do field_list[#field_list + 1] = f end
vmm.fields = field_list

local ef = {
    malformed = ProtoExpert.new("vmm.malformed", "Malformed Vmm PDU", expert.group.MALFORMED, expert.severity.ERROR),
    tag_good = ProtoExpert.new("vmm.tag.good", "tag: good", expert.group.CHECKSUM, expert.severity.CHAT),
    tag_bad = ProtoExpert.new("vmm.tag.bad", "tag: bad", expert.group.CHECKSUM, expert.severity.ERROR),
    tag_unverified = ProtoExpert.new("vmm.tag.unverified", "tag: not verified", expert.group.CHECKSUM, expert.severity.NOTE),
    unexpected = ProtoExpert.new("vmm.unexpected", "PDU type on an unexpected transport", expert.group.PROTOCOL, expert.severity.WARN),
    bug = ProtoExpert.new("vmm.dissector_bug", "Vmm dissector error", expert.group.UNDECODED, expert.severity.ERROR),
}
vmm.experts = { ef.malformed, ef.tag_good, ef.tag_bad, ef.tag_unverified, ef.unexpected, ef.bug }

vmm.prefs.key = Pref.string("Key (64 hex digits)", "",
    "A host key (vmmctl key derive) or the cluster master key (vmmctl key generate): the 64 hex digits of the key file's line. Empty: tags are shown, not verified.")
vmm.prefs.key_kind = Pref.enum("Key kind", key_kinds.host,
    "host: the key of one host. master: the cluster master key; each host's key is derived from it (spec §3.3).",
    { { 1, "host", key_kinds.host }, { 2, "master", key_kinds.master } }, false)
vmm.prefs.tcp_port = Pref.uint("TCP port", 7401, "hostd's REQUEST port (spec §2)")
vmm.prefs.udp_port = Pref.uint("UDP port", 7400, "the controller's STATE port (spec §2)")

---------------------------------------------------------------------------------------------------------------
-- Keys from the preferences.

local keys = { bytes = nil, kind = key_kinds.host, id = nil, problem = nil }
local derived = {}      -- host name -> { key, id } under the master (bounded)
local derived_count = 0
local heard = {}        -- key id -> { host name = key } of hosts whose STATE verified under the master
-- Tag verdicts by frame and offset: a GUI dissects a packet again and again (and in any order), and must show the
-- verdict of the first pass, when the hosts heard before it were known. Cleared with each new capture.
local verdicts = {}

local function load_key()
    keys.bytes, keys.id, keys.problem = nil, nil, nil
    keys.kind = vmm.prefs.key_kind
    derived, derived_count, heard, verdicts = {}, 0, {}, {}
    local text = (vmm.prefs.key or ""):gsub("^%s*master%s+", ""):gsub("^%s*host%s+%S+%s+", ""):gsub("%s", "")
    if text == "" then return end
    if #text ~= 64 or text:find("[^%x]") then
        keys.problem = "the key preference is not 64 hex digits"
        return
    end
    if not crypto_ok then
        keys.problem = "this Lua's SHA-256 fails its known answers: tags cannot be checked"
        return
    end
    keys.bytes = fromhex(text)
    keys.id = key_id(keys.bytes)
end

local function key_of_host(name)
    local entry = derived[name]
    if entry then return entry end
    if derived_count >= 4096 then derived, derived_count = {}, 0 end
    local k = host_key(keys.bytes, name)
    entry = { key = k, id = key_id(k) }
    derived[name], derived_count = entry, derived_count + 1
    return entry
end

---------------------------------------------------------------------------------------------------------------
-- A cursor over one container (body, record, attribute list); every read checks what is left first, so no
-- input can make a TvbRange out of bounds.

local Cursor = {}
Cursor.__index = Cursor

local function cursor(tvb, offset, length) return setmetatable({ tvb = tvb, pos = offset, stop = offset + length }, Cursor) end

function Cursor:left() return self.stop - self.pos end

-- The next n bytes as a TvbRange (nil for n = 0), or false when fewer are left.
function Cursor:take(n)
    if n > self.stop - self.pos then return false end
    local r = n > 0 and self.tvb(self.pos, n) or nil
    self.pos = self.pos + n
    return r
end

function Cursor:rest() return self:take(self:left()) end

-- The context of one PDU: the tree, and the faults found so far (§9 names).
local function fault(ctx, code, message, range)
    local text = code .. ": " .. message
    if range then ctx.tree:add_tvb_expert_info(ef.malformed, range, text)
    else ctx.tree:add_proto_expert_info(ef.malformed, text) end
    local item = ctx.tree:add(pf.fault, code)
    item:set_generated()
    ctx.faults[#ctx.faults + 1] = code
end

-- Reads a fixed field; a body too short for it is malformed (§9: "a fixed part too short for its fields").
local function field(ctx, c, tree, f, n, what)
    local r = c:take(n)
    if r == false then
        fault(ctx, "malformed", what .. " needs " .. n .. " bytes, " .. c:left() .. " left")
        return nil
    end
    tree:add(f, r)
    return r
end

local function is_name(s, max)
    return #s >= 1 and #s <= (max or 64) and s:find("^[%w][%w%._%-]*$") ~= nil
end

-- §5.2 text: UTF-8 with no C0 or C1 control character and no DEL.
local function is_text(s)
    if s:find("[%z\1-\31\127]") then return false end
    local i, n = 1, #s
    while i <= n do
        local b = s:byte(i)
        local need, min
        if b < 0x80 then need, min = 0, 0
        elseif b >= 0xC2 and b <= 0xDF then need, min = 1, 0x80
        elseif b >= 0xE0 and b <= 0xEF then need, min = 2, 0x800
        elseif b >= 0xF0 and b <= 0xF4 then need, min = 3, 0x10000
        else return false end
        if i + need > n then return false end
        local cp = need == 0 and b or band(b, rshift(0x7F, need + 1))
        for j = 1, need do
            local cb = s:byte(i + j)
            if cb < 0x80 or cb > 0xBF then return false end
            cp = cp * 64 + (cb - 0x80)
        end
        if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) or (cp >= 0x80 and cp <= 0x9F) then return false end
        i = i + need + 1
    end
    return true
end

-- A length-prefixed string field: its length byte (name_len, host_len), then the bytes.
local function str8(ctx, c, tree, len_field, str_field, what)
    local lr = field(ctx, c, tree, len_field, 1, what .. " length")
    if not lr then return nil end
    local n = lr:uint()
    local r = c:take(n)
    if r == false then
        fault(ctx, "malformed", what .. " of " .. n .. " bytes overruns its container", lr)
        return nil
    end
    local s = r and r:raw() or ""
    tree:add(str_field, r or lr, r and r:string(ENC_UTF_8) or "")
    return s, r or lr
end

local function names_of(v, names) return names and names[v] or tostring(v) end

local function mac_text(r) return (tohex(r:raw()):gsub("..", "%0:"):sub(1, -2)) end

-- A uuid's RFC 9562 text form from its 16 bytes.
local function uuid_text(r)
    local h = tohex(r:raw())
    return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-" .. h:sub(17, 20) .. "-" .. h:sub(21)
end

---------------------------------------------------------------------------------------------------------------
-- Attributes (§5).

local dissect_attrs

-- A disk or NIC value shorter than its fixed part is malformed (§5.2).
local function too_short(ctx, r, min, what)
    if r ~= nil and r:len() >= min then return false end
    fault(ctx, "malformed", what .. " value of " .. (r and r:len() or 0) .. " bytes is shorter than " .. min, r)
    return true
end

local function disk_value(ctx, r, item, def)
    -- DiskState { capacity (64), bus (8), flags (8), target (rest) } (§6.3)
    if too_short(ctx, r, 11, "disk") then return "?" end
    item:add(pf.disk_capacity, r(0, 8))
    item:add(pf.disk_bus, r(8, 1))
    local flags = item:add(pf.disk_flags, r(9, 1))
    flags:add(pf.disk_readonly, r(9, 1)); flags:add(pf.disk_cdrom, r(9, 1)); flags:add(pf.disk_owned, r(9, 1))
    local target = r(10):raw()
    item:add(pf.disk_target, r(10), r(10):string(ENC_UTF_8))
    if r:len() > def.max or not is_name(target, 32) then fault(ctx, "bad-value", "disk target is not a valid name of 1-32 bytes", r(10))
    elseif band(r(9, 1):uint(), 0xF8) ~= 0 then fault(ctx, "malformed", "disk flags set reserved bits", r(9, 1)) end
    return "{target=" .. target .. " bus=" .. names_of(r(8, 1):uint(), buses) .. " size=" .. tostring(r(0, 8):uint64()) .. "}"
end

local function nic_value(ctx, r, item, def)
    -- NicState { mac (48), model (8), kind (8), source (rest) } (§6.4)
    if too_short(ctx, r, 8, "nic") then return "?" end
    item:add(pf.nic_mac, r(0, 6))
    item:add(pf.nic_model, r(6, 1))
    item:add(pf.nic_kind, r(7, 1))
    local source = r:len() > 8 and r(8):raw() or ""
    item:add(pf.nic_source, r:len() > 8 and r(8) or r(7, 1), r:len() > 8 and r(8):string(ENC_UTF_8) or "")
    if r:len() > def.max or not is_text(source) then fault(ctx, "bad-value", "nic source is not text of at most 255 bytes", r) end
    return "{mac=" .. mac_text(r(0, 6)) .. " model=" .. names_of(r(6, 1):uint(), models) ..
        " kind=" .. names_of(r(7, 1):uint(), nic_kinds) .. "}"
end

-- One attribute's value by its kind (§5.2); returns a short text for the subtree's label.
local function attr_value(ctx, def, r, len, item, hdr, depth)
    local kind = def.kind
    local sizes = { u8 = 1, u16 = 2, u32 = 4, u64 = 8, mac = 6 }
    if sizes[kind] then
        if len ~= sizes[kind] then
            fault(ctx, "malformed", def.name .. " value is " .. len .. " bytes; it must be " .. sizes[kind], r or hdr)
            return "?"
        end
        item:add(def.field, r)
        if kind == "mac" then return mac_text(r) end
        local v = kind == "u64" and tostring(r:uint64()) or r:uint()
        if def.names then return names_of(v, def.names) end
        return tostring(v)
    elseif kind == "text" or kind == "name" then
        local s = r and r:raw() or ""
        item:add(def.field, r or hdr, r and r:string(ENC_UTF_8) or "")
        if kind == "text" then
            if len > def.max then fault(ctx, "bad-value", def.name .. " is " .. len .. " bytes; the limit is " .. def.max, r)
            elseif not is_text(s) then fault(ctx, "bad-value", def.name .. " is not UTF-8 text without control characters", r) end
        elseif not is_name(s, def.max) then
            fault(ctx, "bad-value", def.name .. " is not a valid name (1-" .. def.max .. " bytes of letters, digits, '.', '_', '-')", r or hdr)
        end
        return '"' .. s .. '"'
    elseif kind == "nested" then
        if depth >= 1 then fault(ctx, "malformed", def.name .. " is nested too deeply", r or hdr); return "?" end
        if len > def.max then fault(ctx, "bad-value", def.name .. " is " .. len .. " bytes; the limit is " .. def.max, r); return "?" end
        if r then dissect_attrs(ctx, cursor(ctx.tvb, r:offset(), len), item, depth + 1) end
        return "{...}"
    elseif kind == "bytes" then
        -- state (§7.2): a whole STATE PDU, shown as its bytes (decode them as a datagram to see it)
        if not r then fault(ctx, "malformed", def.name .. " value is empty", hdr); return "?" end
        item:add(def.field, r)
        if len > def.max then fault(ctx, "bad-value", def.name .. " is " .. len .. " bytes; the limit is " .. def.max, r) end
        return len .. " bytes"
    elseif kind == "disk" then return disk_value(ctx, r, item, def)
    else return nic_value(ctx, r, item, def) end
end

-- An attribute list filling its container (§5.1): ascending types, repeats only where the registry allows,
-- each value of its kind; an unknown critical attribute is unknown-critical (§5.4).
dissect_attrs = function(ctx, c, tree, depth)
    local previous = -1
    while c:left() > 0 do
        if c:left() < 3 then
            fault(ctx, "malformed", "attribute header needs 3 bytes, " .. c:left() .. " left", c:rest())
            return
        end
        local start = c.pos
        local hdr = c.tvb(start, 3)
        local type_byte, len = hdr(0, 1):uint(), hdr(1, 2):uint()
        local t, critical = band(type_byte, 0x7F), band(type_byte, 0x80) ~= 0
        local def = attrs[t]
        if len > c:left() - 3 then
            local item = tree:add(pf.attr, c.tvb(start, c:left()))
            item:add(pf.attr_type, hdr(0, 1)); item:add(pf.attr_critical, hdr(0, 1)); item:add(pf.attr_length, hdr(1, 2))
            item:set_text("Attribute " .. (def and def.name or string.format("0x%02x", t)) .. ": overruns its container")
            fault(ctx, "malformed", string.format("attribute 0x%02x declares %d value bytes, %d left", type_byte, len, c:left() - 3), hdr)
            c:rest()
            return
        end
        c:take(3)
        local r = c:take(len)
        local item = tree:add(pf.attr, c.tvb(start, 3 + len))
        item:add(pf.attr_type, hdr(0, 1))
        item:add(pf.attr_critical, hdr(0, 1))
        item:add(pf.attr_length, hdr(1, 2))
        local label = (critical and "!" or "") .. (def and def.name or string.format("x%02x", t))
        if t < previous then
            fault(ctx, "malformed", "attribute " .. label .. string.format(" follows 0x%02x: attributes must ascend by type", previous), hdr)
        elseif t == previous and def and not def.repeatable then
            fault(ctx, "malformed", "attribute " .. def.name .. " occurs twice", hdr)
        end
        previous = t
        local shown
        if def then
            shown = attr_value(ctx, def, r, len, item, hdr, depth)
        else
            if r then item:add(pf.attr_value, r) end
            shown = r and tohex(r:raw()) or ""
            if critical then fault(ctx, "unknown-critical", string.format("unknown critical attribute 0x%02x", t), hdr) end
        end
        item:set_text("Attribute " .. label .. " = " .. shown)
    end
end

-- The rest of a container as an attribute list, under its own subtree when it holds any.
local function attr_list(ctx, c, tree, label)
    if c:left() == 0 then return end
    local sub = tree:add(pf.attrs, c.tvb(c.pos, c:left()))
    sub:set_text(label)
    dissect_attrs(ctx, c, sub, 0)
end

---------------------------------------------------------------------------------------------------------------
-- Bodies (§6, §7).

-- VmRecord (§6.2) at the cursor; returns the record's name, or nil when it stopped.
local function vm_record(ctx, c, tree)
    if c:left() < 2 then
        fault(ctx, "malformed", "VM record length needs 2 bytes, " .. c:left() .. " left", c:rest())
        return nil
    end
    local lr = c.tvb(c.pos, 2)
    local length = lr:uint()
    local item = tree:add(pf.vm, c.tvb(c.pos, math.min(2 + length, c:left())))
    c:take(2)
    item:add(pf.vm_length, lr)
    if length < 30 then fault(ctx, "malformed", "VM record of " .. length .. " bytes is shorter than 30", lr); c:rest(); return nil end
    if length > c:left() then fault(ctx, "malformed", "VM record of " .. length .. " bytes overruns its container", lr); c:rest(); return nil end
    local rc = cursor(c.tvb, c.pos, length)
    c:take(length)
    local uuid = field(ctx, rc, item, pf.vm_uuid, 16, "uuid")
    local power = field(ctx, rc, item, pf.vm_power, 1, "power"):uint()
    local reason_r = rc:take(1)
    local reason_item = item:add(pf.vm_reason, reason_r)
    local reason = reason_r:uint()
    if reasons[power] and reasons[power][reason] then reason_item:append_text(" (" .. reasons[power][reason] .. ")") end
    local flags_r = rc:take(1)
    local flags_item = item:add(pf.vm_flags, flags_r)
    for _, f in ipairs({ pf.vm_tombstone, pf.vm_persistent, pf.vm_autostart, pf.vm_truncated, pf.vm_ha }) do flags_item:add(f, flags_r) end
    local flags = flags_r:uint()
    local vcpus = rc:take(2); item:add(pf.vm_vcpus, vcpus)
    local memory = rc:take(8); item:add(pf.vm_memory, memory)
    local name, name_r = str8(ctx, rc, item, pf.vm_name_len, pf.vm_name, "VM name")
    if name == nil then return nil end
    if band(flags, 0xE0) ~= 0 then fault(ctx, "malformed", string.format("VM record flags 0x%02x set reserved bits", flags), flags_r) end
    if not is_text(name) then fault(ctx, "bad-value", "VM name is not UTF-8 text without control characters", name_r) end
    if band(flags, 1) ~= 0 and (flags ~= 1 or power ~= 0 or reason ~= 0 or vcpus:uint() ~= 0 or memory:raw() ~= string.rep("\0", 8) or rc:left() > 0) then
        fault(ctx, "malformed", "a tombstone carries only uuid and name: every other field must be zero and it has no attributes", flags_r)
    end
    dissect_attrs(ctx, rc, item, 0)
    item:set_text(string.format("VM %s %s, %s%s", name ~= "" and name or "(no name)", uuid_text(uuid),
        band(flags, 1) ~= 0 and "tombstone" or names_of(power, power_states), band(flags, 8) ~= 0 and ", truncated" or ""))
    return name
end

local function flags_field(ctx, c, tree, f, bits, allowed, what)
    local r = c:take(1)
    if not r then
        fault(ctx, "malformed", what .. " needs 1 byte, 0 left")
        return nil
    end
    local item = tree:add(f, r)
    for _, b in ipairs(bits) do item:add(b, r) end
    if band(r:uint(), bnot(allowed)) ~= 0 then fault(ctx, "malformed", string.format("%s 0x%02x set reserved bits", what, r:uint()), r) end
    return r:uint()
end

-- State (§6.1).
local function body_state(ctx, c, tree)
    local boot = field(ctx, c, tree, pf.boot_id, 8, "boot_id")
    local seq = boot and field(ctx, c, tree, pf.sequence, 8, "sequence")
    local report = seq and field(ctx, c, tree, pf.report, 4, "report")
    local page = report and field(ctx, c, tree, pf.page, 2, "page")
    local pages = page and field(ctx, c, tree, pf.pages, 2, "pages")
    local status_r = pages and field(ctx, c, tree, pf.status, 1, "status")
    if not status_r then return end
    tree:add(pf.status_unreachable, status_r); tree:add(pf.status_stopping, status_r); tree:add(pf.status_draining, status_r); tree:add(pf.status_fenced, status_r)
    local name, name_r = str8(ctx, c, tree, pf.host_len, pf.host, "host name")
    if name == nil then return end
    local facts_len_r = field(ctx, c, tree, pf.facts_len, 2, "facts_len")
    if not facts_len_r then return end
    local facts_r = c:take(facts_len_r:uint())
    if facts_r == false then fault(ctx, "malformed", "facts of " .. facts_len_r:uint() .. " bytes overrun the body", facts_len_r); return end
    local zero8 = string.rep("\0", 8)
    if boot:raw() == zero8 then fault(ctx, "bad-value", "state boot_id is 0", boot) end
    if seq:raw() == zero8 then fault(ctx, "bad-value", "state sequence is 0; sequences start at 1", seq) end
    if band(status_r:uint(), 0xF0) ~= 0 then fault(ctx, "malformed", "state status sets reserved bits", status_r) end
    local p, ps = page:uint(), pages:uint()
    if ps == 0 and (report:uint() ~= 0 or p ~= 0) then fault(ctx, "bad-value", "an event datagram (pages 0) must have report 0 and page 0", pages)
    elseif ps ~= 0 and p >= ps then fault(ctx, "bad-value", "page " .. p .. " is not below pages " .. ps, page) end
    if not is_name(name) then fault(ctx, "bad-value", "state host name is not a valid name", name_r) end
    if facts_r then
        local sub = tree:add(pf.facts, facts_r)
        dissect_attrs(ctx, cursor(ctx.tvb, facts_r:offset(), facts_r:len()), sub, 0)
    end
    local count = 0
    while c:left() > 0 do
        if vm_record(ctx, c, tree) == nil then break end
        count = count + 1
    end
    local info = string.format("STATE %s seq=%s", name, tostring(seq:uint64()))
    if ps > 0 then info = info .. string.format(" report=%d page=%d/%d", report:uint(), p, ps) end
    if band(status_r:uint(), 1) ~= 0 then info = info .. " unreachable" end
    if band(status_r:uint(), 2) ~= 0 then info = info .. " stopping" end
    if band(status_r:uint(), 4) ~= 0 then info = info .. " draining" end
    if band(status_r:uint(), 8) ~= 0 then info = info .. " fenced" end
    ctx.info = info .. string.format(" (%d VM%s)", count, count == 1 and "" or "s")
end

-- Usage (§16.1): fixed fields, then UsageRecord { length (16), uuid (128), attributes }*.
local function body_usage(ctx, c, tree)
    local boot = field(ctx, c, tree, pf.boot_id, 8, "boot_id")
    local sampled = boot and field(ctx, c, tree, pf.usage_sampled, 8, "sampled_ms")
    local page = sampled and field(ctx, c, tree, pf.page, 2, "page")
    local pages = page and field(ctx, c, tree, pf.pages, 2, "pages")
    local interval = pages and field(ctx, c, tree, pf.usage_interval, 4, "interval_ms")
    local flags_r = interval and field(ctx, c, tree, pf.usage_flags, 1, "flags")
    if not flags_r then return end
    if flags_r:uint() ~= 0 then fault(ctx, "malformed", "usage flags set reserved bits", flags_r) end
    local name, name_r = str8(ctx, c, tree, pf.host_len, pf.host, "host name")
    if name == nil then return end
    if boot:raw() == string.rep("\0", 8) then fault(ctx, "bad-value", "usage boot_id is 0", boot) end
    local p, ps = page:uint(), pages:uint()
    if p >= ps then fault(ctx, "bad-value", "usage page " .. p .. " is not below pages " .. ps, pages) end
    if not is_name(name) then fault(ctx, "bad-value", "usage host name is not a valid name", name_r) end
    local count = 0
    while c:left() > 0 do
        if c:left() < 2 then fault(ctx, "malformed", "usage record length needs 2 bytes, " .. c:left() .. " left", c:rest()); break end
        local lr = c.tvb(c.pos, 2)
        local length = lr:uint()
        local item = tree:add(pf.usage_vm, c.tvb(c.pos, math.min(2 + length, c:left())))
        c:take(2)
        item:add(pf.usage_vm_length, lr)
        if length < 16 then fault(ctx, "malformed", "usage record of " .. length .. " bytes is shorter than 16", lr); c:rest(); break end
        if length > c:left() then fault(ctx, "malformed", "usage record of " .. length .. " bytes overruns its container", lr); c:rest(); break end
        local rc = cursor(c.tvb, c.pos, length)
        c:take(length)
        local uuid = field(ctx, rc, item, pf.usage_vm_uuid, 16, "uuid")
        dissect_attrs(ctx, rc, item, 0)
        item:set_text("Usage of VM " .. uuid_text(uuid))
        count = count + 1
    end
    ctx.info = string.format("USAGE %s sampled=%s page=%d/%d (%d VM%s)", name, tostring(sampled:uint64()), p, ps, count, count == 1 and "" or "s")
end

-- Request (§7.1) and Ack (§7.2) share their fixed part.
local function body_exchange(ctx, c, tree, is_request)
    local id = field(ctx, c, tree, pf.request_id, 8, "request_id")
    local boot = id and field(ctx, c, tree, pf.boot_id, 8, "boot_id")
    local code = boot and field(ctx, c, tree, is_request and pf.request_code or pf.ack_code, 1, "code")
    local flags = code and flags_field(ctx, c, tree, is_request and pf.request_flags or pf.ack_flags,
        is_request and { pf.request_force } or { pf.ack_replayed, pf.ack_unchanged }, is_request and 0x01 or 0x03, "flags")
    local uuid = flags and field(ctx, c, tree, pf.uuid, 16, "uuid")
    if not uuid then return end
    if is_request and id:raw() == string.rep("\0", 8) then fault(ctx, "bad-value", "request request_id is 0", id) end
    attr_list(ctx, c, tree, is_request and "Parameters" or "Results")
    ctx.info = string.format("%s id=%s %s", is_request and "REQUEST" or "ACK", tostring(id:uint64()),
        names_of(code:uint(), is_request and request_codes or ack_codes))
end

-- Error (§7.3) and Query (§7.4): one code, then an attribute list.
local function code_then_attributes(keyword, f, size, names, label)
    return function(ctx, c, tree)
        local code = field(ctx, c, tree, f, size, keyword:lower() .. " code")
        if not code then return end
        attr_list(ctx, c, tree, label)
        ctx.info = keyword .. " " .. names_of(code:uint(), names)
    end
end
local body_error = code_then_attributes("ERROR", pf.error_code, 2, error_codes, "Attributes")
local body_query = code_then_attributes("QUERY", pf.query_what, 1, query_kinds, "Filters")

local function body_submit(ctx, c, tree)
    local code = field(ctx, c, tree, pf.request_code, 1, "submit code")
    local flags = code and flags_field(ctx, c, tree, pf.request_flags, { pf.request_force }, 0x01, "submit flags")
    if not flags then return end
    attr_list(ctx, c, tree, "Parameters")
    ctx.info = "SUBMIT " .. names_of(code:uint(), request_codes)
end

local function body_host(ctx, c, tree)
    local boot = field(ctx, c, tree, pf.boot_id, 8, "host boot_id")
    local seq = boot and field(ctx, c, tree, pf.sequence, 8, "host sequence")
    local state = seq and field(ctx, c, tree, pf.host_state, 1, "host state")
    if not state then return end
    local name, name_r = str8(ctx, c, tree, pf.host_len, pf.host, "host name")
    if name == nil then return end
    if not is_name(name) then fault(ctx, "bad-value", "host name is not a valid name", name_r) end
    attr_list(ctx, c, tree, "Attributes")
    ctx.info = "HOST " .. name .. " " .. names_of(state:uint(), host_states)
end

local function body_vm(ctx, c, tree)
    local host, host_r = str8(ctx, c, tree, pf.host_len, pf.host, "vm host")
    if host == nil then return end
    if not is_name(host) then fault(ctx, "bad-value", "vm host is not a valid name", host_r) end
    local name = vm_record(ctx, c, tree)
    if name == nil then return end
    attr_list(ctx, c, tree, "Attributes")
    ctx.info = "VM " .. host .. " " .. name
end

local function body_result(ctx, c, tree)
    local code = field(ctx, c, tree, pf.ack_code, 1, "result code")
    local id = code and field(ctx, c, tree, pf.request_id, 8, "result request_id")
    local uuid = id and field(ctx, c, tree, pf.uuid, 16, "result uuid")
    if not uuid then return end
    attr_list(ctx, c, tree, "Attributes")
    ctx.info = "RESULT " .. names_of(code:uint(), ack_codes)
end

-- EVENT (§7.7): one event of the controller's history.
local function body_event(ctx, c, tree)
    local id = field(ctx, c, tree, pf.event_id, 8, "event id")
    local time = id and field(ctx, c, tree, pf.event_time, 8, "event time_ms")
    local kind = time and field(ctx, c, tree, pf.event_kind, 1, "event kind")
    local uuid = kind and field(ctx, c, tree, pf.uuid, 16, "event uuid")
    if not uuid then return end
    attr_list(ctx, c, tree, "Attributes")
    ctx.info = "EVENT " .. tostring(id:uint64()) .. " " .. names_of(kind:uint(), event_kinds)
end

local bodies = {
    [0x01] = body_state, [0x02] = function(ctx, c, tree) body_exchange(ctx, c, tree, true) end,
    [0x03] = function(ctx, c, tree) body_exchange(ctx, c, tree, false) end, [0x04] = body_error, [0x05] = body_usage,
    [0x10] = body_query, [0x11] = body_submit, [0x12] = body_host, [0x13] = body_vm, [0x14] = body_result, [0x15] = body_event,
}

---------------------------------------------------------------------------------------------------------------
-- The tag (§3.3).

-- The STATE's (or USAGE's, §16.1) host name, read as a controller does before authenticating: name_len at body
-- offset 25.
local function state_host(tvb, offset, length)
    local body = length - HEADER - TAG
    if body < 26 then return nil end
    local n = tvb(offset + HEADER + 25, 1):uint()
    if 26 + n > body then return nil end
    return tvb(offset + HEADER + 26, n):raw()
end

-- The tag's verdict (§3.3) for the PDU at offset: { status, text, host, expected, fault = error name or nil }.
local function verdict(tvb, offset, length, ptype, kid)
    if kid == 0 then
        -- Admin PDUs travel unsigned by design; any other is refused.
        if ptype >= 0x10 then return { status = "unsigned" } end
        return { status = "unsigned", text = "tag: unsigned (key id 0)", fault = "unsigned" }
    end
    if keys.problem then return { status = "unverified", text = "tag: not verified: " .. keys.problem } end
    if not keys.bytes then return { status = "unverified", text = "tag: not verified (no key in the preferences)" } end

    local candidates = {}   -- { host name or false, key, key id }
    if keys.kind == key_kinds.host then
        candidates[1] = { false, keys.bytes, keys.id }
    elseif ptype == 0x01 or ptype == 0x05 then
        local name = state_host(tvb, offset, length)
        if name == nil then return { status = "unverified", text = "tag: not verified: the " .. pdu_types[ptype] .. " body is too short to name its host" } end
        local entry = key_of_host(name)
        candidates[1] = { name, entry.key, entry.id }
    else
        for name, key in pairs(heard[kid] or {}) do candidates[#candidates + 1] = { name, key, kid } end
        if #candidates == 0 then
            return { status = "unverified", text = string.format(
                "tag: not verified: key id %d is that of no host whose STATE verified earlier in the capture under the master key", kid) }
        end
    end

    local signed = tvb(offset, length - TAG):raw()
    local tag = tvb(offset + length - TAG, TAG):raw()
    for _, cand in ipairs(candidates) do
        local name, key, id = cand[1], cand[2], cand[3]
        if id == kid then
            local expected = hmac_sha256(key, signed):sub(1, TAG)
            local whose = name and (" (key of host " .. name .. ")") or ""
            if expected == tag then
                if name and ptype == 0x01 then
                    heard[kid] = heard[kid] or {}
                    heard[kid][name] = key
                end
                return { status = "good", text = "tag: good" .. whose, host = name or nil }
            end
            return { status = "bad", text = "tag: bad: expected " .. tohex(expected) .. whose, host = name or nil, expected = tohex(expected), fault = "bad-tag" }
        end
    end
    local name, id = candidates[1][1], candidates[1][3]
    return { status = "wrong-key", fault = "wrong-key",
        text = string.format("tag: wrong key: key id %d, the key %s has id %d", kid, name and ("of host " .. name) or "given", id) }
end

local function check_tag(ctx, pinfo, tvb, offset, length, ptype, kid, tree)
    -- The tag in the slot too: should two PDUs of one frame be dissected at one offset of different buffers (a
    -- reassembled one and the segment's own), they still never share a verdict.
    local tag_r = tvb(offset + length - TAG, TAG)
    local slot = pinfo.number .. ":" .. offset .. ":" .. tag_r:raw()
    local v = verdicts[slot]
    if not v then
        v = verdict(tvb, offset, length, ptype, kid)
        verdicts[slot] = v
    end
    tree:add(pf.tag_status, v.status):set_generated()
    ctx.tag = v.status
    if v.host then tree:add(pf.tag_host, v.host):set_generated() end
    if v.expected then tree:add(pf.tag_expected, v.expected):set_generated() end
    if v.fault then
        local messages = { unsigned = "key id 0 on a PDU that must be signed", ["bad-tag"] = "the tag does not verify", ["wrong-key"] = v.text }
        fault(ctx, v.fault, messages[v.fault], v.fault == "bad-tag" and tag_r or tvb(offset + 5, 1))
    end
    if v.text then
        local e = v.status == "good" and ef.tag_good or v.status == "unverified" and ef.tag_unverified or ef.tag_bad
        tree:add_tvb_expert_info(e, tag_r, v.text)
    end
end

---------------------------------------------------------------------------------------------------------------
-- One PDU, and the framing of datagrams and streams (§3.2, §3.4, §3.5).

-- The header check of §3.2 on 10 bytes at offset: nil when good, else the error name and message.
local function header_problem(tvb, offset, max)
    local magic = tvb(offset, 2):uint()
    if magic ~= 0x564D then return "bad-magic", string.format("magic is 0x%04x, expected 0x564d", magic) end
    local version = tvb(offset + 2, 1):uint()
    if version ~= 2 then return "bad-version", "PDU version " .. version .. " is not supported; this dissector reads version 2" end
    if tvb(offset + 4, 1):uint() ~= 0 then return "malformed", "reserved header flags must be zero" end
    local length = tvb(offset + 6, 4):uint()
    if length < MIN_PDU then return "bad-length", "declared length " .. length .. " is below the minimum of 26" end
    if length > max then return "too-large", "declared length " .. length .. " exceeds this transport's limit of " .. max end
    local t = tvb(offset + 3, 1):uint()
    if not pdu_types[t] then return "unknown-type", string.format("unknown PDU type 0x%02x", t) end
    return nil
end

local function add_info(pinfo, text)
    if pinfo.private.vmm_info then
        pinfo.cols.info:append(" | " .. text)
    else
        pinfo.cols.info:set(text)
        pinfo.private.vmm_info = "1"
    end
end

-- Dissects what is at offset (available bytes: avail) as one PDU; transport is "udp" or "tcp".
-- Returns the bytes it used.
local function dissect_pdu(tvb, pinfo, root, offset, avail, transport)
    local max = transport == "udp" and MAX_DATAGRAM or MAX_STREAM
    local length = avail >= HEADER and tvb(offset + 6, 4):uint() or avail
    local shown = math.min(avail, math.max(length, HEADER))
    local tree = root:add(vmm, tvb(offset, shown))
    local ctx = { tree = tree, tvb = tvb, faults = {} }
    if avail < HEADER then
        -- A datagram too short for a header; on a stream, only a bad magic is shown before 10 bytes (§3.4).
        local code = transport == "udp" and "truncated" or "bad-magic"
        fault(ctx, code, transport == "udp" and ("a datagram of " .. avail .. " bytes is shorter than a PDU header (10)")
            or string.format("magic is 0x%04x, expected 0x564d", tvb(offset, 2):uint()), tvb(offset, avail))
        add_info(pinfo, "Vmm: " .. code)
        return avail
    end
    local t = tvb(offset + 3, 1):uint()
    tree:add(pf.magic, tvb(offset, 2))
    tree:add(pf.version, tvb(offset + 2, 1))
    tree:add(pf.type, tvb(offset + 3, 1))
    tree:add(pf.flags, tvb(offset + 4, 1))
    tree:add(pf.key_id, tvb(offset + 5, 1))
    tree:add(pf.length, tvb(offset + 6, 4))
    local code, message = header_problem(tvb, offset, max)
    if code then
        fault(ctx, code, message, tvb(offset, HEADER))
        tree:append_text(": " .. code)
        add_info(pinfo, "Vmm: " .. code)
        return avail   -- nothing after a broken header can be delimited
    end
    if transport == "udp" and avail ~= length then
        local c = avail < length and "truncated" or "bad-length"
        fault(ctx, c, "datagram holds " .. avail .. " bytes but its PDU declares " .. length, tvb(offset + 6, 4))
        tree:append_text(": " .. c)
        add_info(pinfo, "Vmm: " .. c)
        return avail
    end
    if (transport == "udp") ~= (t == 0x01 or t == 0x05) and t < 0x10 then
        tree:add_tvb_expert_info(ef.unexpected, tvb(offset + 3, 1), string.format("unexpected-type: %s does not travel on %s (spec §2)",
            pdu_types[t], transport == "udp" and "UDP" or "TCP"))
    end
    check_tag(ctx, pinfo, tvb, offset, length, t, tvb(offset + 5, 1):uint(), tree)
    local c = cursor(tvb, offset + HEADER, length - HEADER - TAG)
    bodies[t](ctx, c, tree)
    tree:add(pf.tag, tvb(offset + length - TAG, TAG))
    local info = ctx.info or pdu_types[t]
    if ctx.tag and ctx.tag ~= "good" and ctx.tag ~= "unsigned" and ctx.tag ~= "unverified" then info = info .. " [tag " .. ctx.tag .. "]" end
    if #ctx.faults > 0 and not (#ctx.faults == 1 and (ctx.faults[1] == "bad-tag" or ctx.faults[1] == "wrong-key")) then
        info = info .. " [" .. ctx.faults[#ctx.faults] .. "]"
    end
    tree:append_text(", " .. info)
    add_info(pinfo, info)
    return length
end

-- Any Lua error is a bug of this file, never the input's: it is shown, and the packet goes on.
local function guarded(fn, tvb, pinfo, tree, ...)
    local ok, result = pcall(fn, tvb, pinfo, tree, ...)
    if ok then return result end
    tree:add_proto_expert_info(ef.bug, "Vmm dissector error (please report): " .. tostring(result))
    return tvb:len()
end

local function dissect_udp(tvb, pinfo, tree)
    pinfo.cols.protocol = "VMM"
    return dissect_pdu(tvb, pinfo, tree, 0, tvb:len(), "udp")
end

local function dissect_tcp(tvb, pinfo, tree)
    pinfo.cols.protocol = "VMM"
    local offset, total = 0, tvb:len()
    while offset < total do
        local avail = total - offset
        if avail < HEADER then
            -- §3.4: a bad magic shows in 2 bytes; anything else waits for the rest of the header.
            if avail >= 2 and tvb(offset, 2):uint() ~= 0x564D then
                return offset + dissect_pdu(tvb, pinfo, tree, offset, avail, "tcp")
            end
            pinfo.desegment_offset = offset
            pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
            return total
        end
        if header_problem(tvb, offset, MAX_STREAM) then
            return offset + dissect_pdu(tvb, pinfo, tree, offset, avail, "tcp")
        end
        local length = tvb(offset + 6, 4):uint()
        if avail < length then
            pinfo.desegment_offset = offset
            pinfo.desegment_len = length - avail
            return total
        end
        offset = offset + dissect_pdu(tvb, pinfo, tree, offset, length, "tcp")
    end
    return offset
end

function vmm.dissector(tvb, pinfo, tree)
    pinfo.private.vmm_info = nil
    if pinfo.port_type == 2 then return guarded(dissect_tcp, tvb, pinfo, tree) end
    return guarded(dissect_udp, tvb, pinfo, tree)
end

-- Heuristics (§3.2 in brief): magic, version 2, flags 0, a known type, a length in range; on UDP the length is
-- the datagram's. A TCP conversation that matched is then handed to this dissector for good.
local function looks_like_vmm(tvb, max)
    if tvb:len() < HEADER then return false end
    return header_problem(tvb, 0, max) == nil
end

local function heuristic_udp(tvb, pinfo, tree)
    if not looks_like_vmm(tvb, MAX_DATAGRAM) or tvb(6, 4):uint() ~= tvb:len() then return false end
    guarded(dissect_udp, tvb, pinfo, tree)
    return true
end

-- A stream's first segment may end inside the header: magic, version and a known type (4 bytes), and a zero flags
-- byte if it is there, are enough to take the conversation; the rest of the header is checked once it arrives.
local function looks_like_vmm_stream(tvb)
    local n = tvb:len()
    if n >= HEADER then return looks_like_vmm(tvb, MAX_STREAM) end
    if n < 4 or tvb(0, 2):uint() ~= 0x564D or tvb(2, 1):uint() ~= 2 or not pdu_types[tvb(3, 1):uint()] then return false end
    return n < 5 or tvb(4, 1):uint() == 0
end

local function heuristic_tcp(tvb, pinfo, tree)
    if not looks_like_vmm_stream(tvb) then return false end
    pinfo.conversation = vmm
    pinfo.private.vmm_info = nil
    guarded(dissect_tcp, tvb, pinfo, tree)
    return true
end

vmm:register_heuristic("udp", heuristic_udp)
vmm:register_heuristic("tcp", heuristic_tcp)

local registered = {}
local function register_ports()
    local tcp, udp = DissectorTable.get("tcp.port"), DissectorTable.get("udp.port")
    if registered.tcp then tcp:remove(registered.tcp, vmm) end
    if registered.udp then udp:remove(registered.udp, vmm) end
    registered.tcp, registered.udp = vmm.prefs.tcp_port, vmm.prefs.udp_port
    if registered.tcp > 0 then tcp:add(registered.tcp, vmm) end
    if registered.udp > 0 then udp:add(registered.udp, vmm) end
end

function vmm.prefs_changed()
    load_key()
    register_ports()
end

function vmm.init()
    -- A new capture, or the same dissected again after a change of preferences: forget the hosts heard and the
    -- verdicts.
    heard, verdicts = {}, {}
end

load_key()
register_ports()
