#!/usr/bin/env bash
# Generator memory per connection (issue 10): onslaught holding CONNS keep-alive connections to
# its built-in target at RATE req/s for DURATION, its peak RSS (VmHWM, from /usr/bin/time) beside
# the same run with 100 connections; prints MiB in all and KiB per extra connection.
#
#   scripts/memory-per-connection.sh [CONNS=10000] [RATE=5000] [DURATION=10s]
#
# Loopback only; each run ends after DURATION. Needs /usr/bin/time (Debian package `time`) and a
# file-descriptor limit above CONNS (onslaught raises its soft limit up to the hard one).
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-10000}
rate=${2:-5000}
dur=${3:-10s}
bin=${ONSLAUGHT_BIN:-target/release/onslaught}
[ -x "$bin" ] || cargo build --release --quiet
log=$(mktemp)
"$bin" serve --listen 127.0.0.1:0 --cores 1 2>"$log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*' "$log" | head -1)
peak() { # connections -> peak RSS KiB
    local out
    out=$( { /usr/bin/time -f 'HWM %M' "$bin" run --url "$url" -R "$rate" -c "$1" -d "$dur" >/dev/null; } 2>&1 )
    grep -o 'HWM [0-9]*' <<<"$out" | cut -d' ' -f2
}
base=$(peak 100)
full=$(peak "$conns")
awk -v b="$base" -v f="$full" -v c="$conns" -v r="$rate" -v d="$dur" 'BEGIN {
    printf "onslaught at %s req/s for %s: peak RSS %.1f MiB with 100 connections, %.1f MiB with %d (%.2f KiB per extra connection)\n",
        r, d, b / 1024, f / 1024, c, (f - b) / (c - 100)
}'
