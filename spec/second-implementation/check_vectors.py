"""Checks every spec/vectors/*.vec against vmmwire.py as §13 of PROTOCOL.md says."""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmmwire as w  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path):
    """§13: 'name: value' lines; continuation lines begin with white space."""
    vec, last = {}, None
    with open(path, encoding='utf-8') as fh:
        for line in fh:
            line = line.rstrip('\n')
            if not line.strip():
                continue
            if line[0] in ' \t' and last:
                vec[last] += line.strip()
                continue
            k, _, v = line.partition(':')
            last = k.strip()
            vec[last] = v.strip()
    vec.setdefault('transport', 'stream')
    return vec


def decode(vec, data, key):
    """Decode under the vector's transport. §13 names only stream/datagram; a stream vector with a key
    is taken as TCP (signed), one without as the admin socket (unsigned) - an inference, see the report."""
    if vec['transport'] == 'datagram':
        if 'master' in vec:   # the controller holds only the master (§3.3)
            return w.decode_datagram(data, master=bytes.fromhex(vec['master']))
        return w.decode_datagram(data, key)
    pdu, used = w.decode_stream(data, 'tcp' if key else 'admin', key)
    if used != len(data):
        raise AssertionError(f'{len(data) - used} bytes left after the PDU')
    return pdu


def check(vec):
    """Returns None when the vector passes, else the reason."""
    key = bytes.fromhex(vec['key']) if 'key' in vec else None
    data = bytes.fromhex(vec['hex'])
    if 'master' in vec and w.host_key(bytes.fromhex(vec['master']), vec['host'].encode()) != key:
        return f"key is not the host key of {vec['host']} under master (§3.3)"
    if 'error' in vec:  # negative vector
        try:
            decode(vec, data, key)
        except w.NeedMore:
            got = 'need-more'
        except w.VmmError as e:
            got = e.code
            if got != vec['error']:
                return f'expected {vec["error"]}, got {e}'
        else:
            return f'expected {vec["error"]}, decoded fine'
        return None if got == vec['error'] else f'expected {vec["error"]}, got {got}'
    try:
        text = w.format_pdu(decode(vec, data, key))
    except (w.VmmError, w.NeedMore) as e:
        return f'decode failed: {e!r}'
    if text != vec['text']:
        return f'format gives\n    {text}\n  expected\n    {vec["text"]}'
    try:
        enc = w.encode(w.parse_text(vec['text']), key)
    except (w.TextError, ValueError, KeyError) as e:
        return f'parse failed: {e!r}'
    if enc != data:
        return f'encode gives\n    {enc.hex()}\n  expected\n    {data.hex()}'
    return None


def main():
    paths = sorted(glob.glob(os.path.join(ROOT, 'spec', 'vectors', '*.vec')))
    passed = failed = 0
    for path in paths:
        try:
            reason = check(load(path))
        except Exception as e:  # a bug in the implementation or a broken vector file
            reason = f'exception {e!r}'
        if reason:
            failed += 1
            print(f'{os.path.basename(path)}: {reason}')
        else:
            passed += 1
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
