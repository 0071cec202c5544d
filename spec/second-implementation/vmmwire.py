"""An independent implementation of the Vmm wire format, version 2, written from spec/PROTOCOL.md alone.

Section numbers (§) refer to PROTOCOL.md. Standard library only.

Model: a PDU is a dict {'type', 'key_id', 'tag', 'f': {fixed fields by text name}, 'attrs': [Attr]}
(STATE also has 'records'). An Attr is [type, critical, value]; a VM record is a dict like 'f' plus 'attrs'.
"""
import hashlib
import hmac
import struct
import uuid as uuidlib

# ---------------------------------------------------------------- errors (§9)

class VmmError(Exception):
    """A decoding failure; .code is the §9 error name."""
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code

class NeedMore(Exception):
    """§3.4: the stream reader must wait for more bytes."""

class TextError(ValueError):
    """The text form (§10) does not parse."""

def _fail(code, msg):
    raise VmmError(code, msg)

# ---------------------------------------------------------------- constants (§2, §3, §4)

MAGIC, VERSION, HEADER_LEN, TAG_LEN = 0x564D, 2, 10, 16
MIN_LENGTH = HEADER_LEN + TAG_LEN            # §3.1: length >= 26
LIMITS = {'udp': 1200, 'tcp': 65536, 'admin': 65536}   # §2

STATE, REQUEST, ACK, ERROR, USAGE, QUERY, SUBMIT, HOST, VM, RESULT, EVENT = 1, 2, 3, 4, 5, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15
KEYWORDS = {STATE: 'state', REQUEST: 'request', ACK: 'ack', ERROR: 'error', USAGE: 'usage', QUERY: 'query',
            SUBMIT: 'submit', HOST: 'host', VM: 'vm', RESULT: 'result', EVENT: 'event'}
BY_KEYWORD = {v: k for k, v in KEYWORDS.items()}
# §4 transport column; §3.2 step 5
ON_TRANSPORT = {'udp': {STATE, USAGE}, 'tcp': {REQUEST, ACK, ERROR}, 'admin': {ERROR, QUERY, SUBMIT, HOST, VM, RESULT, EVENT}}
# §4 direction column, as the types a receiver in a given role accepts (role is optional)
RECEIVES = {'controller': {STATE, USAGE, ACK, ERROR, QUERY, SUBMIT}, 'hostd': {REQUEST, ERROR},
            'vmmctl': {HOST, VM, RESULT, EVENT, ERROR}}

# ---------------------------------------------------------------- registries (§8, §9)

def _table(s):
    return {i: n for i, n in enumerate(s.split())}

REQ_CODES = {i + 1: n for i, n in enumerate(
    'add remove start stop restart pause resume migrate delete add-nic remove-nic update-memory '
    'add-cpu remove-cpu update-disk snapshot ping drain'.split())}                 # §8.1
REQ_CODES.update({19: 'lease', 20: 'set-ha'})                                     # §8.1, §15
ACK_CODES = _table('success failure unsupported unknown-request busy timeout not-found unavailable')  # §8.2
POWER = _table('unknown running blocked paused shutting-down off crashed suspended')                 # §8.3
REASONS = {  # §8.4, keyed by power value
    1: _table('unknown booted migrated restored from-snapshot unpaused migration-canceled save-canceled '
              'wakeup crashed postcopy postcopy-failed'),
    3: _table('unknown user migration save dump ioerror watchdog from-snapshot shutting-down snapshot '
              'crashed starting-up postcopy postcopy-failed api-error'),
    4: _table('unknown user'),
    5: _table('unknown shutdown destroyed crashed migrated saved failed from-snapshot daemon'),
    6: _table('unknown panicked killed'),
}
OTHER_REASONS = _table('unknown')
BUS = _table('default virtio scsi sata ide usb')                 # §8.5
MODEL = _table('default virtio e1000 rtl8139 e1000e')            # §8.6
KIND = _table('other network bridge user direct')                # §8.6
SNAP_OP = _table('create revert delete list')                    # §8.7
DISK_OP = _table('attach detach resize')                         # §8.7
QUERY_WHAT = {1: 'hosts', 2: 'vms', 3: 'watch', 4: 'forget-host', 5: 'drain', 6: 'undrain', 7: 'events'}  # §8.8
EVENT_KIND = {1: 'host', 2: 'vm', 3: 'vm-removed', 4: 'request', 5: 'decision'}  # §8.10
DRAIN_OUTCOME = _table('moving moved not-running no-room failed undrained gone')  # §8.9
HOST_STATE = _table('unknown up down unreachable stopped')       # §8.8
ERR_CODES = {i + 1: n for i, n in enumerate(
    'truncated bad-magic bad-version bad-length too-large unknown-type unexpected-type unsigned '
    'wrong-key bad-tag malformed bad-value unknown-critical replay'.split())}     # §9
# flag sets: bit -> name; any other bit is reserved (malformed, §11)
STATUS_FLAGS = ['unreachable', 'stopping', 'draining', 'fenced']       # §6.1, §15
RECORD_FLAGS = ['tombstone', 'persistent', 'autostart', 'truncated', 'ha']  # §6.2
DISK_FLAGS = ['readonly', 'cdrom', 'owned']                      # §6.3 / §8.5
REQ_FLAGS = ['force']                                            # §7.1
ACK_FLAGS = ['replayed', 'unchanged']                            # §7.2

# §5.3 attribute registry: type -> (name, kind, max, repeatable, enum table, where)
# "where" tokens: facts, host, vm, record, ack, result, error, query, submit, disk-spec, nic-spec,
# a request code name, or 'request' (any request).
_A = {}
def _reg(t, name, kind, mx=None, rep=False, enum=None, where=''):
    _A[t] = (name, kind, mx, rep, enum, set(where.split()))
for _t, _n, _k in [(1, 'cpus', 'u32'), (2, 'memory-total', 'u64'), (3, 'memory-free', 'u64'), (4, 'port', 'u16'),
                   (7, 'vm-count', 'u32')]:
    _reg(_t, _n, _k, where='facts host')
_reg(0x05, 'migration-uri', 'text', 1024, where='facts host')
_reg(0x06, 'hypervisor', 'text', 255, where='facts host')
_reg(0x10, 'disk', 'disk', 42, True, where='record')
_reg(0x11, 'nic', 'nic', 263, True, where='record')
_reg(0x12, 'max-vcpus', 'u16', where='record add')
_reg(0x13, 'max-memory', 'u64', where='record add')
_reg(0x14, 'snapshots', 'u16', where='record')
_reg(0x15, 'last-request', 'u64', where='record')
_reg(0x20, 'name', 'name', 64, where='add event')
_reg(0x21, 'vcpus', 'u16', where='add')
_reg(0x22, 'memory', 'u64', where='add update-memory')
_reg(0x23, 'disk-spec', 'nested', 4096, True, where='add update-disk')
_reg(0x24, 'nic-spec', 'nested', 4096, True, where='add add-nic')
_reg(0x25, 'timeout-ms', 'u32', where='stop request')
_reg(0x26, 'dest-uri', 'text', 1024, where='migrate')
_reg(0x27, 'snapshot-name', 'name', 64, True, where='snapshot ack result')
_reg(0x28, 'snapshot-op', 'u8', enum=SNAP_OP, where='snapshot')
_reg(0x29, 'disk-op', 'u8', enum=DISK_OP, where='update-disk')
_reg(0x2A, 'count', 'u16', where='add-cpu remove-cpu')
_reg(0x2B, 'target', 'name', 32, where='update-disk disk-spec')
_reg(0x2C, 'size', 'u64', where='disk-spec update-disk')
_reg(0x2D, 'mac', 'mac', where='nic-spec remove-nic')
_reg(0x2E, 'base-image', 'text', 1024, where='disk-spec')
_reg(0x2F, 'bus', 'u8', enum=BUS, where='disk-spec')
_reg(0x30, 'network', 'name', 64, where='nic-spec')
_reg(0x31, 'bridge', 'name', 15, where='nic-spec')
_reg(0x32, 'model', 'u8', enum=MODEL, where='nic-spec')
_reg(0x40, 'error-code', 'u32', where='ack result')
_reg(0x41, 'message', 'text', 1024, where='ack result error vm event')
_reg(0x42, 'duration-us', 'u64', where='ack vm event')
_reg(0x43, 'version', 'u8', where='error')
_reg(0x44, 'state', 'bytes', 1200, where='ack')
_reg(0x50, 'host', 'name', 64, where='query submit result event')
_reg(0x51, 'ref', 'text', 255, where='query submit')
_reg(0x52, 'dest-host', 'name', 64, where='submit vm')
_reg(0x53, 'age-ms', 'u32', where='host vm')
_reg(0x54, 'address', 'text', 64, where='host')
_reg(0x55, 'last-ack', 'u8', enum=ACK_CODES, where='vm event')   # "ack code of the last request" (§5.3)
_reg(0x56, 'last-code', 'u8', enum=REQ_CODES, where='vm event')  # "request code of that request"
_reg(0x57, 'last-power', 'u8', enum=POWER, where='vm event')     # "the power state last reported"
_reg(0x58, 'accepted', 'u64', where='host')
_reg(0x59, 'dropped', 'u64', where='host')
_reg(0x5A, 'request-id', 'u64', where='submit event')
_reg(0x5B, 'ack-flags', 'u8', enum=ACK_FLAGS, where='result')   # a flag set: its enum table is a list of bit names
_reg(0x60, 'draining', 'u8', where='drain host')
_reg(0x61, 'parallel', 'u16', where='query')
_reg(0x62, 'drain-outcome', 'u8', enum=DRAIN_OUTCOME, where='vm')
_reg(0x64, 'controller', 'name', 64, where='lease ack')          # §15
_reg(0x65, 'lease-token', 'u64', where='lease ack')
_reg(0x66, 'fence-after-ms', 'u32', where='lease ack')
_reg(0x67, 'ha', 'u8', where='add set-ha')
_reg(0x68, 'volume', 'text', 255, where='disk-spec')
_reg(0x69, 'host-status', 'u8', enum=STATUS_FLAGS, where='host')
_reg(0x6A, 'note', 'text', 1024, where='host vm event')
_reg(0x6B, 'since-ms', 'u64', where='query')                     # §7.7: the event history
_reg(0x6C, 'after-event', 'u64', where='query')
_reg(0x6D, 'follow', 'u8', where='query')
_reg(0x6E, 'uid', 'u32', where='event')
_reg(0x6F, 'host-state', 'u8', enum=HOST_STATE, where='event')
for _t, _n in enumerate(['cpu-time-ns', 'mem-used', 'mem-balloon', 'disk-read-bytes', 'disk-write-bytes', 'disk-reads',
                         'disk-writes', 'net-rx-bytes', 'net-tx-bytes', 'net-rx-packets', 'net-tx-packets'], 0x70):
    _reg(_t, _n, 'u64', where='usage vm usage-delta' + (' host' if _n == 'mem-used' else ''))   # §16
_reg(0x7B, 'usage-delta', 'nested', 255, where='vm host')
ATTR_BY_NAME = {v[0]: t for t, v in _A.items()}
INT_SIZES = {'u8': 1, 'u16': 2, 'u32': 4, 'u64': 8}

# ---------------------------------------------------------------- key and tag (§3.3)

def key_id(key):
    """§3.3: first byte of SHA-256("vmm key id" || key), 0 replaced by 1."""
    b = hashlib.sha256(b'vmm key id' + key).digest()[0]
    return b or 1

def compute_tag(key, covered):
    """§3.3: HMAC-SHA-256 over every byte before the tag, first 16 bytes."""
    return hmac.new(key, covered, hashlib.sha256).digest()[:TAG_LEN]

def host_key(master, name):
    """§3.3: HKDF-SHA-256 (RFC 5869) of the master, no salt (HashLen zero bytes), info "vmm host key v1" || name."""
    prk = hmac.new(bytes(32), master, hashlib.sha256).digest()                       # extract
    return hmac.new(prk, b'vmm host key v1' + name + b'\x01', hashlib.sha256).digest()   # expand: one block

def load_key_file(text):
    """§3.3: one key line, 'master HEX', 'host NAME HEX' or (version 1 form) 'HEX'; blank and '#' lines ignored.
    Returns (host name or None for a master key, key bytes)."""
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith('#')]
    if len(lines) != 1:
        raise ValueError('key file must hold one key line')
    f = lines[0].split()
    if len(f) == 2 and f[0] == 'master':
        host, hx = None, f[1]
    elif len(f) == 3 and f[0] == 'host':
        host, hx = f[1], f[2]
        check_name(host.encode(), 64, 'host')
    elif len(f) == 1:
        host, hx = None, f[0]
    else:
        raise ValueError('key line must be "master HEX" or "host NAME HEX"')
    if len(hx) != 64:
        raise ValueError('a key is 64 hex digits')
    return host, bytes.fromhex(hx)

def state_host(dgram):
    """§3.3: the name a STATE (or USAGE, §16.1: same offset) datagram claims, read before authentication to pick
    the key; None if too short."""
    body = dgram[HEADER_LEN:-TAG_LEN]
    at = 8 + 8 + 4 + 2 + 2 + 1
    if len(body) <= at or len(body) < at + 1 + body[at]:
        return None
    return bytes(body[at + 1:at + 1 + body[at]])

# ---------------------------------------------------------------- value rules (§5.2)

NAME_CHARS = set(b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-')

def check_name(raw, mx, what):
    """§5.2 name: 1..max bytes of A-Z a-z 0-9 . _ -, first a letter or digit; else bad-value."""
    if not 1 <= len(raw) <= min(mx, 64):
        _fail('bad-value', f'{what}: a name must be 1 to {min(mx, 64)} bytes, not {len(raw)}')
    if any(c not in NAME_CHARS for c in raw) or not chr(raw[0]).isalnum():
        _fail('bad-value', f'{what}: {raw!r} is not a name')
    return raw.decode('ascii')

def check_text(raw, mx, what):
    """§5.2 text: UTF-8, 0..max bytes, no C0, C1 or DEL; else bad-value."""
    if len(raw) > mx:
        _fail('bad-value', f'{what}: text of {len(raw)} bytes exceeds {mx}')
    try:
        s = raw.decode('utf-8')
    except UnicodeDecodeError:
        _fail('bad-value', f'{what}: not UTF-8')
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in s):
        _fail('bad-value', f'{what}: control character in text')
    return s

def check_flags(value, names, what):
    """A reserved bit set is malformed (§11)."""
    if any(value >> i & 1 and (i >= len(names) or names[i] is None) for i in range(8)):
        _fail('malformed', f'{what}: reserved bit set in 0x{value:02x}')
    return value

# ---------------------------------------------------------------- byte reader

class Reader:
    """Reads fixed fields from a body; running out is malformed (the body does not parse)."""
    def __init__(self, buf, what):
        self.buf, self.pos, self.what = buf, 0, what

    def take(self, n, field):
        if self.pos + n > len(self.buf):
            _fail('malformed', f'{self.what}: body ends inside {field}')
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def u(self, n, field):
        return int.from_bytes(self.take(n, field), 'big')

    def rest(self):
        b = self.buf[self.pos:]
        self.pos = len(self.buf)
        return b

# ---------------------------------------------------------------- attribute lists (§5)

def decode_attrs(buf, ctx, nested=False):
    """§5.1: parse an attribute list filling buf exactly. ctx is the set of "where" tokens that apply."""
    out, pos, prev = [], 0, -1
    while pos < len(buf):
        if pos + 3 > len(buf):
            _fail('malformed', 'attribute header does not fit in its container')
        tb, length = buf[pos], struct.unpack_from('>H', buf, pos + 1)[0]
        t, crit = tb & 0x7F, bool(tb & 0x80)
        if pos + 3 + length > len(buf):
            _fail('malformed', f'attribute 0x{t:02x}: value of {length} bytes overruns its container')
        raw = buf[pos + 3:pos + 3 + length]
        pos += 3 + length
        # ascending order; only repeatable types may repeat, and only in a row (§5.1)
        if t < prev:
            _fail('malformed', f'attribute 0x{t:02x} after 0x{prev:02x}: attributes must ascend')
        if t == prev and not (t in _A and _A[t][3]):
            _fail('malformed', f'attribute 0x{t:02x} repeated: it is not repeatable')
        prev = t
        if t not in _A:
            # §5.4 unknown attribute: skip (keep, for re-encoding) or refuse when critical
            if crit:
                _fail('unknown-critical', f'unknown critical attribute 0x{t:02x}')
            out.append([t, crit, bytes(raw)])
            continue
        name, kind, mx, _rep, _enum, where = _A[t]
        if crit and not (where & ctx):
            # §5.4: a known attribute where the registry does not list it, with the critical bit
            _fail('unknown-critical', f'critical attribute {name} has no meaning here')
        out.append([t, crit, decode_value(t, raw, nested)])
    return out

def decode_value(t, raw, nested):
    """§5.2: a known attribute's value by its kind."""
    name, kind, mx, _rep, _enum, _where = _A[t]
    if kind in INT_SIZES:
        if len(raw) != INT_SIZES[kind]:
            _fail('malformed', f'{name}: {kind} value of {len(raw)} bytes')
        return int.from_bytes(raw, 'big')
    if kind == 'mac':
        if len(raw) != 6:
            _fail('malformed', f'{name}: mac value of {len(raw)} bytes')
        return bytes(raw)
    if kind == 'text':
        return check_text(raw, mx, name)
    if kind == 'name':
        return check_name(raw, mx, name)
    if kind == 'nested':
        if nested:
            _fail('malformed', f'{name}: a nested list holds a nested attribute')
        if len(raw) > mx:  # spec names no error for an over-long nested value (see report)
            _fail('malformed', f'{name}: nested value of {len(raw)} bytes exceeds {mx}')
        return decode_attrs(raw, {name}, nested=True)
    if kind == 'bytes':
        if len(raw) == 0:
            _fail('malformed', f'{name}: empty bytes value')
        if len(raw) > mx:
            _fail('bad-value', f'{name}: {len(raw)} bytes exceeds {mx}')
        return bytes(raw)
    if kind == 'disk':
        return decode_disk(raw)
    return decode_nic(raw)

def decode_disk(raw):
    """§6.3 DiskState."""
    r = Reader(raw, 'disk')
    d = {'size': r.u(8, 'capacity'), 'bus': r.u(1, 'bus')}
    d['flags'] = check_flags(r.u(1, 'flags'), DISK_FLAGS, 'disk flags')
    d['target'] = check_name(r.rest(), 32, 'disk target')
    return d

def decode_nic(raw):
    """§6.4 NicState."""
    r = Reader(raw, 'nic')
    n = {'mac': r.take(6, 'mac'), 'model': r.u(1, 'model'), 'kind': r.u(1, 'kind')}
    n['source'] = check_text(r.rest(), 255, 'nic source')
    return n

def encode_attrs(attrs):
    out = bytearray()
    for t, crit, v in attrs:
        raw = encode_value(t, v)
        out += struct.pack('>BH', t | (0x80 if crit else 0), len(raw)) + raw
    return bytes(out)

def encode_value(t, v):
    if t not in _A:
        return v
    kind = _A[t][1]
    if kind in INT_SIZES:
        return v.to_bytes(INT_SIZES[kind], 'big')
    if kind in ('mac', 'bytes'):
        return v
    if kind in ('text', 'name'):
        return v.encode('utf-8')
    if kind == 'nested':
        return encode_attrs(v)
    if kind == 'disk':
        return struct.pack('>QBB', v['size'], v['bus'], v['flags']) + v['target'].encode()
    return v['mac'] + bytes([v['model'], v['kind']]) + v['source'].encode('utf-8')

# ---------------------------------------------------------------- VM record (§6.2)

def decode_record(r):
    """Reads one VmRecord from Reader r."""
    length = r.u(2, 'record length')
    if length < 30:
        _fail('malformed', f'record length {length} is below 30')
    rr = Reader(r.take(length, 'record'), 'record')
    rec = {'uuid': uuidlib.UUID(bytes=rr.take(16, 'uuid')), 'power': rr.u(1, 'power'),
           'reason': rr.u(1, 'reason')}
    rec['flags'] = check_flags(rr.u(1, 'flags'), RECORD_FLAGS, 'record flags')
    rec['vcpus'] = rr.u(2, 'vcpus')
    rec['memory'] = rr.u(8, 'memory_kib')
    rec['name'] = check_text(rr.take(rr.u(1, 'name_len'), 'name'), 255, 'VM name')
    rec['attrs'] = decode_attrs(rr.rest(), {'record'})
    if rec['flags'] & 1:  # tombstone: only uuid and name (§6.2)
        if rec['power'] or rec['reason'] or rec['vcpus'] or rec['memory'] or rec['flags'] != 1 or rec['attrs']:
            _fail('malformed', 'a tombstone carries only uuid and name')
    return rec

def encode_record(rec):
    name = rec.get('name', '').encode('utf-8')
    body = (rec.get('uuid', uuidlib.UUID(int=0)).bytes +
            struct.pack('>BBBHQB', rec.get('power', 0), rec.get('reason', 0), rec.get('flags', 0),
                        rec.get('vcpus', 0), rec.get('memory', 0), len(name)) +
            name + encode_attrs(rec.get('attrs', [])))
    return struct.pack('>H', len(body)) + body

# ---------------------------------------------------------------- PDU bodies (§6, §7)

def _uuid(r):
    return uuidlib.UUID(bytes=r.take(16, 'uuid'))

def decode_body(ptype, body):
    """Returns (fixed fields dict, attrs, records). Fixed fields are keyed by their §10 text names."""
    r = Reader(body, KEYWORDS[ptype])
    f, records = {}, []
    if ptype == STATE:                                   # §6.1
        f['boot'] = r.u(8, 'boot_id')
        if f['boot'] == 0:
            _fail('bad-value', 'boot_id is 0')
        f['seq'] = r.u(8, 'sequence')
        if f['seq'] == 0:
            _fail('bad-value', 'sequence is 0')
        f['report'], f['page'], f['pages'] = r.u(4, 'report'), r.u(2, 'page'), r.u(2, 'pages')
        if f['pages'] and f['page'] >= f['pages']:
            _fail('bad-value', f"page {f['page']} is not below pages {f['pages']}")
        if not f['pages'] and (f['report'] or f['page']):
            _fail('bad-value', 'an event datagram has a report or page other than 0')
        f['status'] = check_flags(r.u(1, 'status'), STATUS_FLAGS, 'status')
        f['host'] = check_name(r.take(r.u(1, 'name_len'), 'name'), 64, 'host name')
        attrs = decode_attrs(r.take(r.u(2, 'facts_len'), 'facts'), {'facts'})
        while r.pos < len(body):
            records.append(decode_record(r))
        return f, attrs, records
    if ptype == USAGE:                                   # §16.1
        f['boot'], f['sampled'] = r.u(8, 'boot_id'), r.u(8, 'sampled_ms')
        f['page'], f['pages'], f['interval'] = r.u(2, 'page'), r.u(2, 'pages'), r.u(4, 'interval_ms')
        if r.u(1, 'flags'):
            _fail('malformed', 'usage flags set reserved bits')
        f['host'] = check_name(r.take(r.u(1, 'name_len'), 'name'), 64, 'host name')
        if f['boot'] == 0:
            _fail('bad-value', 'boot_id is 0')
        if f['page'] >= f['pages']:
            _fail('bad-value', f"page {f['page']} is not below pages {f['pages']}")
        while r.pos < len(body):
            length = r.u(2, 'usage record length')
            if length < 16:
                _fail('malformed', f'usage record length {length} is below 16')
            rr = Reader(r.take(length, 'usage record'), 'usage record')
            records.append({'uuid': _uuid(rr), 'attrs': decode_attrs(rr.rest(), {'usage'})})
        return f, [], records
    if ptype in (REQUEST, ACK):                          # §7.1, §7.2
        f['id'], f['boot'], f['code'] = r.u(8, 'request_id'), r.u(8, 'boot_id'), r.u(1, 'code')
        f['flags'] = check_flags(r.u(1, 'flags'), REQ_FLAGS if ptype == REQUEST else ACK_FLAGS, 'flags')
        f['uuid'] = _uuid(r)
        if ptype == REQUEST:
            if f['id'] == 0:
                _fail('bad-value', 'request_id is 0')
            if f['boot'] == 0 and f['code'] != 17:
                _fail('bad-value', 'boot_id is 0 in a request other than ping')
            ctx = {'request', REQ_CODES.get(f['code'], '?')}
        else:
            ctx = {'ack'}
    elif ptype == ERROR:                                 # §7.3
        f['code'], ctx = r.u(2, 'code'), {'error'}
    elif ptype == QUERY:                                 # §7.4
        f['what'], ctx = r.u(1, 'what'), {'query'}
    elif ptype == SUBMIT:                                # §7.4: ref, host, dest-host and request parameters
        f['code'] = r.u(1, 'code')
        f['flags'] = check_flags(r.u(1, 'flags'), REQ_FLAGS, 'flags')
        ctx = {'submit', 'request', REQ_CODES.get(f['code'], '?')}
    elif ptype == HOST:                                  # §7.5
        f['boot'], f['seq'], f['state'] = r.u(8, 'boot_id'), r.u(8, 'sequence'), r.u(1, 'state')
        f['name'] = check_name(r.take(r.u(1, 'name_len'), 'name'), 64, 'host name')
        ctx = {'host', 'facts'}
    elif ptype == VM:                                    # §7.5
        f['host'] = check_name(r.take(r.u(1, 'host_len'), 'host'), 64, 'host name')
        f['vm'], ctx = decode_record(r), {'vm'}
    elif ptype == EVENT:                                 # §7.7
        f['id'], f['time'], f['kind'] = r.u(8, 'id'), r.u(8, 'time_ms'), r.u(1, 'kind')
        f['uuid'], ctx = _uuid(r), {'event'}
    else:                                                # RESULT, §7.5
        f['code'], f['id'], f['uuid'], ctx = r.u(1, 'code'), r.u(8, 'request_id'), _uuid(r), {'result'}
    return f, decode_attrs(r.rest(), ctx), records

def encode_body(p):
    t, f, a = p['type'], p['f'], encode_attrs(p['attrs'])
    g = lambda k: f.get(k, 0)
    u = lambda k: f.get(k, uuidlib.UUID(int=0)).bytes
    nm = lambda k: f.get(k, '').encode('utf-8')
    if t == STATE:
        facts = a
        return (struct.pack('>QQIHHBB', g('boot'), g('seq'), g('report'), g('page'), g('pages'), g('status'),
                            len(nm('host'))) + nm('host') + struct.pack('>H', len(facts)) + facts +
                b''.join(encode_record(rec) for rec in p.get('records', [])))
    if t == USAGE:
        return (struct.pack('>QQHHIBB', g('boot'), g('sampled'), g('page'), g('pages'), g('interval'), 0, len(nm('host'))) +
                nm('host') + b''.join(struct.pack('>H', 16 + len(ra)) + rec.get('uuid', uuidlib.UUID(int=0)).bytes + ra
                                      for rec in p.get('records', []) for ra in [encode_attrs(rec.get('attrs', []))]))
    if t in (REQUEST, ACK):
        return struct.pack('>QQBB', g('id'), g('boot'), g('code'), g('flags')) + u('uuid') + a
    if t == ERROR:
        return struct.pack('>H', g('code')) + a
    if t == QUERY:
        return bytes([g('what')]) + a
    if t == SUBMIT:
        return bytes([g('code'), g('flags')]) + a
    if t == HOST:
        return struct.pack('>QQBB', g('boot'), g('seq'), g('state'), len(nm('name'))) + nm('name') + a
    if t == VM:
        return bytes([len(nm('host'))]) + nm('host') + encode_record(f.get('vm', {})) + a
    if t == EVENT:
        return struct.pack('>QQB', g('id'), g('time'), g('kind')) + u('uuid') + a
    return struct.pack('>BQ', g('code'), g('id')) + u('uuid') + a

# ---------------------------------------------------------------- header, tag, framing (§3)

def check_header(buf, transport, role=None):
    """§3.2, in the spec's order. buf holds at least the 10 header bytes. Returns (type, key_id, length)."""
    magic, version, ptype, flags, kid, length = struct.unpack_from('>HBBBBI', buf, 0)
    if magic != MAGIC:
        _fail('bad-magic', f'magic 0x{magic:04x}')
    if version != VERSION:
        _fail('bad-version', f'PDU version {version}')
    if flags != 0:
        _fail('malformed', f'header flags 0x{flags:02x}')
    if length < MIN_LENGTH:
        _fail('bad-length', f'length {length} below {MIN_LENGTH}')
    if length > LIMITS[transport]:
        _fail('too-large', f'length {length} above {LIMITS[transport]}')
    if ptype not in KEYWORDS:
        _fail('unknown-type', f'type 0x{ptype:02x}')
    if ptype not in ON_TRANSPORT[transport] or (role and ptype not in RECEIVES[role]):
        _fail('unexpected-type', f'{KEYWORDS[ptype]} on {transport}')
    return ptype, kid, length

def check_tag(pdu, transport, key):
    """§3.3 checking. On the admin socket key id and tag are ignored. key is one key or a list of up to two
    (rotation): those whose id matches are tried."""
    kid = pdu[5]
    if transport == 'admin':
        return
    if kid == 0:
        _fail('unsigned', 'key id 0 where the key is required')
    keys = [k for k in (key if isinstance(key, list) else [key]) if k is not None and key_id(k) == kid]
    if not keys:
        _fail('wrong-key', f"key id 0x{kid:02x} is not this end's key")
    if not any(hmac.compare_digest(compute_tag(k, pdu[:-TAG_LEN]), pdu[-TAG_LEN:]) for k in keys):
        _fail('bad-tag', 'authentication tag does not verify')

def _decode_pdu(pdu, ptype, transport, key):
    check_tag(pdu, transport, key)
    f, attrs, records = decode_body(ptype, pdu[HEADER_LEN:-TAG_LEN])
    p = {'type': ptype, 'key_id': pdu[5], 'tag': bytes(pdu[-TAG_LEN:]), 'f': f, 'attrs': attrs}
    if ptype in (STATE, USAGE):
        p['records'] = records
    return p

def decode_stream(buf, transport='tcp', key=None, role=None):
    """§3.4: one step of a stream reader. Returns (pdu, bytes consumed) or raises NeedMore / VmmError."""
    if len(buf) >= 2 and buf[:2] != b'VM':
        _fail('bad-magic', 'magic is not 0x564D')            # MAY reject early (§3.4 step 1)
    if len(buf) < HEADER_LEN:
        raise NeedMore(f'{len(buf)} of {HEADER_LEN} header bytes')
    ptype, _kid, length = check_header(buf, transport, role)
    if len(buf) < length:
        raise NeedMore(f'{len(buf)} of {length} bytes')
    return _decode_pdu(bytes(buf[:length]), ptype, transport, key), length

def decode_datagram(dgram, key=None, role=None, master=None):
    """§3.5: one datagram, exactly one PDU. A controller passes master (one key, or a list while rotating) and
    no key: a STATE is checked with the key of the host it names (§3.3)."""
    if len(dgram) < HEADER_LEN:
        _fail('truncated', f'datagram of {len(dgram)} bytes')
    ptype, _kid, length = check_header(dgram, 'udp', role)
    if len(dgram) < length:
        _fail('truncated', f'datagram of {len(dgram)} bytes, length {length}')
    if len(dgram) > length:
        _fail('bad-length', f'datagram of {len(dgram)} bytes, length {length}')
    if master is not None:
        name = state_host(dgram)
        if name is None:
            _fail('malformed', f'a {KEYWORDS[ptype].upper()} too short to name its host')
        key = [host_key(m, name) for m in (master if isinstance(master, list) else [master])]
    return _decode_pdu(bytes(dgram), ptype, 'udp', key)

def encode(p, key=None):
    """Encodes a PDU; with a key it is signed (§3.3), else it keeps the key id and tag it holds."""
    body = encode_body(p)
    length = HEADER_LEN + len(body) + TAG_LEN
    kid = key_id(key) if key is not None else p.get('key_id', 0)
    head = struct.pack('>HBBBBI', MAGIC, VERSION, p['type'], 0, kid, length)
    tag = compute_tag(key, head + body) if key is not None else p.get('tag', bytes(TAG_LEN))
    return head + body + tag

# ---------------------------------------------------------------- text form: formatting (§10)

BARE = set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-:/@+,%')

def fmt_text(s):
    """Bare when non-empty and all bare characters; else quoted with \\" \\\\ and \\xHH escapes."""
    if s and all(c in BARE for c in s):
        return s
    out = []
    for b in s.encode('utf-8'):
        c = chr(b)
        out.append('\\"' if c == '"' else '\\\\' if c == '\\' else c if 0x20 <= b <= 0x7E else f'\\x{b:02x}')
    return '"' + ''.join(out) + '"'

def fmt_enum(v, table):
    return table.get(v, str(v))

def fmt_flags(v, names):
    return ','.join(n for i, n in enumerate(names) if n and v >> i & 1) or 'none'

def fmt_bits(v, names):
    """A flag-set attribute (§10): its bits by name, a bit without a name as 0xNN; 'none' for 0."""
    parts = [names[i] if i < len(names) and names[i] else f'0x{1 << i:02x}' for i in range(8) if v >> i & 1]
    return ','.join(parts) or 'none'

def fmt_mac(b):
    return ':'.join(f'{x:02x}' for x in b)

# Fixed fields of each level in the order the text form writes them:
# (name, formatter kind, always written). Order and names for STATE, HOST and records follow the vectors
# (see report: the spec says "in the order of the body").
FIXED = {
    STATE: [('host', 'name', 1), ('boot', 'boot', 1), ('seq', 'int', 1), ('report', 'int', 0),
            ('page', 'int', 0), ('pages', 'int', 0), ('status', ('flags', STATUS_FLAGS), 0)],
    REQUEST: [('id', 'int', 1), ('boot', 'boot', 0), ('code', ('enum', REQ_CODES), 1),
              ('flags', ('flags', REQ_FLAGS), 0), ('uuid', 'uuid', 0)],
    ACK: [('id', 'int', 1), ('boot', 'boot', 0), ('code', ('enum', ACK_CODES), 1),
          ('flags', ('flags', ACK_FLAGS), 0), ('uuid', 'uuid', 0)],
    ERROR: [('code', ('enum', ERR_CODES), 1)],
    USAGE: [('host', 'name', 1), ('boot', 'boot', 1), ('sampled', 'int', 1), ('page', 'int', 0), ('pages', 'int', 1),
            ('interval', 'int', 0)],
    'usage-record': [('uuid', 'uuid', 1)],
    QUERY: [('what', ('enum', QUERY_WHAT), 1)],
    SUBMIT: [('code', ('enum', REQ_CODES), 1), ('flags', ('flags', REQ_FLAGS), 0)],
    HOST: [('name', 'name', 1), ('boot', 'boot', 0), ('seq', 'int', 0), ('state', ('enum', HOST_STATE), 1)],
    VM: [('host', 'name', 1), ('vm', 'record', 1)],
    RESULT: [('code', ('enum', ACK_CODES), 1), ('id', 'int', 0), ('uuid', 'uuid', 0)],
    EVENT: [('id', 'int', 1), ('time', 'int', 1), ('kind', ('enum', EVENT_KIND), 1), ('uuid', 'uuid', 0)],
    'record': [('uuid', 'uuid', 1), ('name', 'text', 0), ('power', ('enum', POWER), 1), ('reason', 'reason', 0),
               ('flags', ('flags', RECORD_FLAGS), 0), ('vcpus', 'int', 0), ('memory', 'int', 0)],
}

def _is_zero(v):
    return v in (0, '', None) or (isinstance(v, uuidlib.UUID) and v.int == 0)

def fmt_fixed(kind, v, ctx):
    if kind == 'int':
        return str(v)
    if kind == 'boot':
        return f'0x{v:016x}'
    if kind == 'uuid':
        return str(v)
    if kind == 'name':
        return v
    if kind == 'text':
        return fmt_text(v)
    if kind == 'record':
        return fmt_record(v)
    if kind == 'reason':
        return fmt_enum(v, REASONS.get(ctx.get('power'), OTHER_REASONS))
    return fmt_enum(v, kind[1]) if kind[0] == 'enum' else fmt_flags(v, kind[1])

def fmt_fields(fixed, f):
    return [f'{n}={fmt_fixed(k, f.get(n, 0), f)}' for n, k, always in fixed if always or not _is_zero(f.get(n))]

def fmt_record(rec):
    return '{' + ' '.join(fmt_fields(FIXED['record'], rec) + fmt_attrs(rec['attrs'], FIXED['record'])) + '}'

def fmt_attrs(attrs, fixed):
    """Attributes in wire order by registry name; xHH= for unknown ones and for names that clash."""
    fixed_names = {n for n, _k, _a in fixed}
    out = []
    for t, crit, v in attrs:
        if t in _A:
            name = _A[t][0]
            label = f'x{t:02x}' if name in fixed_names else name
            val = fmt_attr_value(t, v)
        else:
            label, val = f'x{t:02x}', v.hex()
        out.append(('!' if crit else '') + f'{label}={val}')
    return out

def fmt_attr_value(t, v):
    name, kind, _mx, _rep, enum, _w = _A[t]
    if kind in INT_SIZES:
        if isinstance(enum, list):
            return fmt_bits(v, enum)
        return fmt_enum(v, enum) if enum else str(v)
    if kind == 'mac':
        return fmt_mac(v)
    if kind in ('text', 'name'):
        return fmt_text(v)
    if kind == 'bytes':
        return v.hex()
    if kind == 'nested':
        return '{' + ' '.join(fmt_attrs(v, [])) + '}'
    if kind == 'disk':  # §10: {target= bus= flags= size=}; which are always written: see report
        parts = [f"target={v['target']}", f"bus={fmt_enum(v['bus'], BUS)}"]
        if v['flags']:
            parts.append(f"flags={fmt_flags(v['flags'], DISK_FLAGS)}")
        return '{' + ' '.join(parts + [f"size={v['size']}"]) + '}'
    parts = [f"mac={fmt_mac(v['mac'])}", f"model={fmt_enum(v['model'], MODEL)}", f"kind={fmt_enum(v['kind'], KIND)}"]
    if v['source']:
        parts.append(f"source={fmt_text(v['source'])}")
    return '{' + ' '.join(parts) + '}'

def format_pdu(p):
    """§10: the canonical one-line text form."""
    t = p['type']
    parts = [KEYWORDS[t]] + fmt_fields(FIXED[t], p['f']) + fmt_attrs(p['attrs'], FIXED[t])
    kind = 'usage-record' if t == USAGE else 'record'
    parts += ['vm={' + ' '.join(fmt_fields(FIXED[kind], rec) + fmt_attrs(rec['attrs'], FIXED[kind])) + '}'
              for rec in p.get('records', [])]
    if p.get('key_id') or any(p.get('tag', b'')):
        parts.append(f"tag={p['key_id']:02x}:{p['tag'].hex()}")
    return ' '.join(parts)

# ---------------------------------------------------------------- text form: parsing (§10)

class _Lexer:
    """Tokenizes `field *(SP field)` into (critical, name, value) with value ('bare', str) | ('quoted', bytes)
    | ('brace', [fields])."""
    def __init__(self, s):
        self.s, self.i = s, 0

    def fields(self, depth, closing):
        out = []
        while True:
            if closing and self.s.startswith('}', self.i):
                self.i += 1
                return out
            if self.i >= len(self.s):
                if closing:
                    raise TextError('missing }')
                return out
            crit = self.s.startswith('!', self.i)
            self.i += crit
            j = self.s.find('=', self.i)
            if j < 0:
                raise TextError(f'expected name= at {self.i}')
            name = self.s[self.i:j]
            self.i = j + 1
            out.append((crit, name, self.value(depth)))
            if self.i < len(self.s) and self.s[self.i] in ' \t':     # §10: any run of spaces and tabs
                while self.i < len(self.s) and self.s[self.i] in ' \t':
                    self.i += 1
            elif self.i < len(self.s) and self.s[self.i] != '}':
                raise TextError(f'expected space at {self.i}')

    def value(self, depth):
        s = self.s
        if s.startswith('{', self.i):
            if depth >= 8:
                raise TextError('braces nest more than 8 levels')
            self.i += 1
            return ('brace', self.fields(depth + 1, True))
        if s.startswith('"', self.i):
            self.i += 1
            out = bytearray()
            while True:
                if self.i >= len(s):
                    raise TextError('unterminated quoted text')
                c = s[self.i]
                if c == '"':
                    self.i += 1
                    return ('quoted', bytes(out))
                if c == '\\':
                    n = s[self.i + 1:self.i + 2]
                    if n in ('"', '\\'):
                        out += n.encode()
                        self.i += 2
                    elif n == 'x':
                        out.append(int(s[self.i + 2:self.i + 4], 16))
                        self.i += 4
                    else:
                        raise TextError('bad escape')
                    continue
                if ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF:
                    raise TextError('raw control character or surrogate in quoted text')
                out += c.encode('utf-8')
                self.i += 1
        j = self.i
        while j < len(s) and s[j] in BARE:
            j += 1
        v, self.i = s[self.i:j], j
        return ('bare', v)

def _str(val):
    kind, v = val
    if kind == 'bare':
        return v
    if kind == 'quoted':
        try:
            return v.decode('utf-8')
        except UnicodeDecodeError:
            raise TextError('quoted text is not UTF-8')
    raise TextError('expected a value, not braces')

def parse_int(s):
    return int(s, 16) if s.lower().startswith('0x') else int(s, 10)

def parse_enum(s, table):
    for k, n in table.items():
        if n == s:
            return k
    return parse_int(s)

def parse_flags(s, names):
    if s == 'none':
        return 0
    v = 0
    for part in s.split(','):
        v |= (1 << names.index(part)) if part in names else parse_int(part)
    return v

def parse_mac(s):
    b = bytes(int(x, 16) for x in s.split(':'))
    if len(b) != 6:
        raise TextError(f'bad mac {s}')
    return b

def parse_fixed(kind, val, ctx_fields):
    s = None if kind == 'record' else _str(val)
    if kind in ('int', 'boot'):
        return parse_int(s)
    if kind == 'uuid':
        return uuidlib.UUID(s)
    if kind in ('name', 'text'):
        return s
    if kind == 'record':
        return parse_record(val)
    if kind == 'reason':
        return s  # resolved once power is known
    return parse_enum(s, kind[1]) if kind[0] == 'enum' else parse_flags(s, kind[1])

def parse_level(fields, fixed, extra=None):
    """Splits fields into fixed values (missing: zero) and attributes (sorted stably by type)."""
    kinds = {n: k for n, k, _a in fixed}
    f, attrs, extras = {}, [], []
    for crit, name, val in fields:
        if name in kinds and not crit:
            f[name] = parse_fixed(kinds[name], val, f)
        elif extra and name == extra:
            extras.append(val)
        else:
            attrs.append(parse_attr(crit, name, val))
    attrs.sort(key=lambda a: a[0])
    if 'reason' in f:  # §8.4 reason names depend on the power state
        f['reason'] = parse_enum(f['reason'], REASONS.get(f.get('power', 0), OTHER_REASONS))
    return f, attrs, extras

def parse_attr(crit, name, val):
    if name in ATTR_BY_NAME:
        t = ATTR_BY_NAME[name]
    elif len(name) == 3 and name[0] == 'x':
        t = int(name[1:], 16)
    else:
        raise TextError(f'unknown field {name}')
    if t not in _A:
        return [t, crit, bytes.fromhex(_str(val))]
    _n, kind, _mx, _rep, enum, _w = _A[t]
    if kind in INT_SIZES:
        if isinstance(enum, list):
            return [t, crit, parse_flags(_str(val), enum)]
        return [t, crit, parse_enum(_str(val), enum) if enum else parse_int(_str(val))]
    if kind == 'mac':
        return [t, crit, parse_mac(_str(val))]
    if kind in ('text', 'name'):
        return [t, crit, _str(val)]
    if kind == 'bytes':
        return [t, crit, bytes.fromhex(_str(val))]
    if val[0] != 'brace':
        raise TextError(f'{name} takes {{...}}')
    sub = {n: v for _c, n, v in val[1]}
    if kind == 'nested':
        return [t, crit, parse_level(val[1], [])[1]]
    if kind == 'disk':
        return [t, crit, {'target': _str(sub.get('target', ('bare', ''))),
                          'bus': parse_enum(_str(sub.get('bus', ('bare', '0'))), BUS),
                          'flags': parse_flags(_str(sub.get('flags', ('bare', 'none'))), DISK_FLAGS),
                          'size': parse_int(_str(sub.get('size', ('bare', '0'))))}]
    return [t, crit, {'mac': parse_mac(_str(sub['mac'])) if 'mac' in sub else bytes(6),
                      'model': parse_enum(_str(sub.get('model', ('bare', '0'))), MODEL),
                      'kind': parse_enum(_str(sub.get('kind', ('bare', '0'))), KIND),
                      'source': _str(sub.get('source', ('bare', '')))}]

def parse_record(val):
    if val[0] != 'brace':
        raise TextError('a record is {...}')
    f, attrs, _ = parse_level(val[1], FIXED['record'])
    f['attrs'] = attrs
    return f

def parse_usage_record(val):
    if val[0] != 'brace':
        raise TextError('a usage record is {...}')
    f, attrs, _ = parse_level(val[1], FIXED['usage-record'])
    f['attrs'] = attrs
    return f

def parse_text(line):
    """§10: the text form back to a PDU."""
    parts = line.strip(' \t').split(None, 1)          # §10: the keyword, then any run of spaces and tabs
    kw, rest = (parts + [''])[:2] if parts else ('', '')
    if kw not in BY_KEYWORD:
        raise TextError(f'unknown keyword {kw}')
    t = BY_KEYWORD[kw]
    fields = _Lexer(rest).fields(0, False)
    tag = [v for c, n, v in fields if n == 'tag' and not c]
    fields = [x for x in fields if not (x[1] == 'tag' and not x[0])]
    f, attrs, records = parse_level(fields, FIXED[t], 'vm' if t in (STATE, USAGE) else None)
    p = {'type': t, 'key_id': 0, 'tag': bytes(TAG_LEN), 'f': f, 'attrs': attrs}
    if t == STATE:
        p['records'] = [parse_record(v) for v in records]
    if t == USAGE:
        if attrs:
            raise TextError('a usage PDU has no attributes of its own')
        p['records'] = [parse_usage_record(v) for v in records]
    if tag:
        k, _, h = _str(tag[0]).partition(':')
        p['key_id'], p['tag'] = int(k, 16), bytes.fromhex(h)
    return p
