#!/usr/bin/env bash
# Render an onslaught HTML report in headless Chromium (offline: no network is allowed) and check
# that its charts are drawn: the screenshot must contain enough pixels of each series colour
# (src/report/html.rs: P50, P95, P99, THROUGHPUT and the "ok" outcome colour).
# Usage: scripts/html-check.sh REPORT.html [SCREENSHOT.png]
# Needs chromium (Debian package `chromium`) and python3; installs them with apt-get when missing
# and allowed (root), else says how.
set -euo pipefail
html=${1:?usage: scripts/html-check.sh REPORT.html [SCREENSHOT.png]}
png=${2:-$(mktemp --suffix=.png)}
if ! command -v chromium >/dev/null || ! command -v python3 >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium python3 >/dev/null
  else
    echo "html-check: needs chromium and python3 (apt-get install chromium python3)" >&2
    exit 2
  fi
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --proxy-server to a closed port: any attempt to load something from the network fails, so a
# report that needed the network would render without it, as it would offline.
timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-color-profile=srgb \
  --proxy-server=127.0.0.1:9 --user-data-dir="$profile" --window-size=1000,3200 \
  --screenshot="$png" "file://$(realpath "$html")" >/dev/null 2>&1
python3 - "$png" <<'PY'
import struct, sys, zlib
path = sys.argv[1]
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), f"unexpected PNG type {depth}/{ctype}"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
counts = {}
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        k = bytes(line[x:x + 3])
        counts[k] = counts.get(k, 0) + 1
    prev = line
want = {"p50 line": "1f77b4", "p95 line": "ff7f0e", "p99 line": "d62728",
        "throughput line": "2ca02c", "ok outcome bar": "17becf"}
bad = []
for name, hexc in want.items():
    n = counts.get(bytes.fromhex(hexc), 0)
    print(f"html-check: {name:16} #{hexc}: {n} pixels")
    if n < 40:
        bad.append(name)
if bad:
    sys.exit(f"html-check: FAILED: not drawn: {', '.join(bad)} (screenshot {path})")
print(f"html-check: ok ({w}x{h} screenshot {path})")
PY
