#!/usr/bin/env python3
"""Regenerate the gzip cases of this corpus (they are committed; run this only
to change them). Each is gzip whatever its .trace name, and its first
decompressed line is the `# expect: LINE:COL fragment` comment. Cuts and
corruptions are placed after a Z_FULL_FLUSH point so that the text that
decompresses before the error, and hence the reported position, is exact."""
import zlib


def gzip_parts(parts):
    """Compress parts, a full flush after each but the last; return the bytes
    and the compressed offset of each flush point."""
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    out, offsets = b"", []
    for i, p in enumerate(parts):
        out += c.compress(p.encode())
        if i + 1 < len(parts):
            out += c.flush(zlib.Z_FULL_FLUSH)
            offsets.append(len(out))
    out += c.flush(zlib.Z_FINISH)
    return out, offsets


HEAD = "smmutrace 1\ndevice nic0 smmu=smmu0 sid=1\n"
DMA = "dma nic0 addr=0x1000 len=64 dir=read -> ok\n"

# Truncated in the middle of line 5: text stops after "dma nic0 addr=0x2" (17 bytes).
first = "# expect: 5:18 truncated gzip stream\n" + HEAD + DMA + "dma nic0 addr=0x2"
data, offs = gzip_parts([first, "000 len=64 dir=read\n" + DMA * 50])
open("truncated-gzip.trace", "wb").write(data[: offs[0]])

# A deflate block with the reserved type 11 right after line 4.
first = "# expect: 5:1 corrupt gzip stream: invalid block type\n" + HEAD + DMA
data, offs = gzip_parts([first, DMA * 50])
data = bytearray(data)
data[offs[0]] = 0x07  # BFINAL=1, BTYPE=11
open("corrupt-gzip.trace", "wb").write(bytes(data))

# The CRC-32 in the trailer is wrong: every line decompresses, then the check fails.
text = "# expect: 14:1 incorrect data check\n" + HEAD + DMA * 10
data = bytearray(gzip_parts([text])[0])
data[-8] ^= 0xFF
open("corrupt-gzip-crc.trace", "wb").write(bytes(data))

# A line one byte over the default limit of 1 MiB (1048576 bytes), gzip keeps it small.
line = "config big=" + "a" * (1048577 - len("config big="))
text = "# expect: 3:1048577 line too long\nsmmutrace 1\n" + line + "\n"
open("overlong-line.trace", "wb").write(gzip_parts([text])[0])
