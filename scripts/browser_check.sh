#!/usr/bin/env bash
# browser_check.sh BUILD_DIR - render an HTML report in headless Chromium and
# check that the browser shows it: the DOM it built holds the report's SVG
# histograms, CDFs and breakdown, and a screenshot is not blank (its pixels
# are not all one colour; PNG decoded with python3's standard library).
# Opt-in (make browser-check): needs Debian's chromium (setup.sh --browser).
set -eu
build=${1:-build}
exe=$build/sim/smmusim
out=$build/browser-check
mkdir -p "$out"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "browser-check: chromium not installed (scripts/setup.sh --browser)" >&2; exit 1; }
trace=traces/scenarios/seed000_kvm_pinned_naive.trace
"$exe" replay "$trace" --quiet --html "$out/report.html"
page="file://$(cd "$out" && pwd)/report.html"
flags="--headless=new --no-sandbox --disable-gpu --hide-scrollbars"
timeout 120 "$browser" $flags --dump-dom "$page" > "$out/dom.html" 2>/dev/null
timeout 120 "$browser" $flags --window-size=1280,2400 --screenshot="$out/report.png" "$page" \
  >/dev/null 2>&1
fail=0
for what in 'class="hist"' 'class="cdf"' 'class="breakdown"' 'Isolation' 'cross-domain'; do
  if ! grep -q "$what" "$out/dom.html"; then
    echo "browser-check: the rendered DOM lacks $what" >&2
    fail=1
  fi
done
python3 - "$out/report.png" <<'PY' || fail=1
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h, ct = 8, b"", 0, 0, 0
while pos < len(data):
    n, = struct.unpack(">I", data[pos:pos + 4]); kind = data[pos + 4:pos + 8]
    body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR":
        w, h, depth, ct = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}.get(ct, 4)
stride = w * bpp + 1
colours = set()
for y in range(0, h, 7):
    line = raw[y * stride + 1:(y + 1) * stride]   # filter bytes aside: enough to see variety
    for x in range(0, w * bpp, bpp * 11):
        colours.add(line[x:x + 3])
print("browser-check: screenshot %dx%d, %d distinct sampled colours" % (w, h, len(colours)))
sys.exit(0 if len(colours) > 8 else 1)
PY
if [ "$fail" = 0 ]; then
  echo "browser-check: ok ($out/report.png)"
else
  echo "browser-check: FAILED" >&2
fi
exit $fail
