"""Bytes of a GGUF file's header (metadata and tensor infos, without the
padding before the data), walking the layout of ggml docs/gguf.md
independently of oomguard's reader. Usage: gguf_header_bytes.py FILE"""
import struct
import sys

SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def header_bytes(d):
    p = 8
    nt, nkv = struct.unpack_from('<QQ', d, p)
    p += 16

    def val(t):
        nonlocal p
        if t == 8:
            (n,) = struct.unpack_from('<Q', d, p)
            p += 8 + n
        elif t == 9:
            et, n = struct.unpack_from('<IQ', d, p)
            p += 12
            if et in SIZES:
                p += n * SIZES[et]
            else:
                for _ in range(n):
                    val(et)
        else:
            p += SIZES[t]

    for _ in range(nkv):
        (n,) = struct.unpack_from('<Q', d, p)
        p += 8 + n
        (t,) = struct.unpack_from('<I', d, p)
        p += 4
        val(t)
    for _ in range(nt):
        (n,) = struct.unpack_from('<Q', d, p)
        p += 8 + n
        (nd,) = struct.unpack_from('<I', d, p)
        p += 4 + 8 * nd + 4 + 8
    return p


with open(sys.argv[1], 'rb') as f:
    print(header_bytes(f.read(256 << 20)))
