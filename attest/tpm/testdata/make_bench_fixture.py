#!/usr/bin/env python3
"""Makes testdata/swtpm/bench-100: a real-size (105 events, sha1+sha256) firmware event log that a
real swtpm measured, with the quote over it. The events (types, data, digests) are those of the
shared vector tpm/eventlogs/ubuntu-2104-no-secure-boot.bin with its sha384 bank dropped; every
measured event is extended into a fresh swtpm with tpm2_pcrextend, then tpm2_quote signs PCRs 0-9,
14 with an ECDSA P-256 AK. Usage: make_bench_fixture.py VECTOR OUTDIR (TPM2TOOLS_TCTI set)."""
import struct, subprocess, sys

src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
SIZES = {4: 20, 11: 32, 12: 48, 13: 64}
KEEP = (4, 11)

# Header record (legacy format) with the Spec ID event; rewrite it with two banks.
pcr, typ = struct.unpack_from('<II', data, 0)
hsize = struct.unpack_from('<I', data, 28)[0]
spec = data[32:32 + hsize]
algs_off = 16 + 4 + 4
nalg = struct.unpack_from('<I', spec, algs_off)[0]
vendor_off = algs_off + 4 + 4 * nalg
new_spec = spec[:algs_off] + struct.pack('<I', len(KEEP))
for alg in KEEP:
    new_spec += struct.pack('<HH', alg, SIZES[alg])
new_spec += spec[vendor_off:]
log = struct.pack('<II', 0, 3) + bytes(20) + struct.pack('<I', len(new_spec)) + new_spec
off = 32 + hsize
algs = [struct.unpack_from('<H', spec, algs_off + 4 + 4 * i)[0] for i in range(nalg)]
extends = []
while off < len(data):
    pcr, typ, count = struct.unpack_from('<III', data, off)
    off += 12
    digests = {}
    for _ in range(count):
        alg = struct.unpack_from('<H', data, off)[0]
        digests[alg] = data[off + 2: off + 2 + SIZES[alg]]
        off += 2 + SIZES[alg]
    size = struct.unpack_from('<I', data, off)[0]
    ev = data[off + 4: off + 4 + size]
    off += 4 + size
    rec = struct.pack('<III', pcr, typ, len(KEEP))
    for alg in KEEP:
        rec += struct.pack('<H', alg) + digests[alg]
    log += rec + struct.pack('<I', len(ev)) + ev
    if typ != 3:
        extends.append((pcr, digests))
open(out + '/eventlog.bin', 'wb').write(log)
for pcr, d in extends:
    subprocess.run(['tpm2_pcrextend', '%d:sha1=%s,sha256=%s' % (pcr, d[4].hex(), d[11].hex())],
                   check=True)
print(len(extends), 'extends')
