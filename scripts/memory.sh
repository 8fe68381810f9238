#!/usr/bin/env bash
# RSS of onslaught over a long constant-rate run against nginx (loopback, bounded by DURATION):
# prints VmRSS every INTERVAL seconds, so growth with run length is visible.
# Usage: scripts/memory.sh [RATE=20000] [CONNS=1000] [DURATION=300] [INTERVAL=10]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-20000}; conns=${2:-1000}; dur=${3:-300}; every=${4:-10}
cargo build --release --quiet
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export NGINX_DIR=$(mktemp -d)
scripts/nginx.sh start "$port" 0 >/dev/null 2>&1
trap 'scripts/nginx.sh stop; rm -rf "$NGINX_DIR"' EXIT
out=$(mktemp)
target/release/onslaught run --url "http://127.0.0.1:$port/" -R "$rate" -c "$conns" -d "${dur}s" --cores 1-1 --json "$out.json" >"$out" &
pid=$!
echo "t_s rss_kib (rate $rate/s, $conns connections, ${dur}s)"
t=0
while kill -0 $pid 2>/dev/null; do
  rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status 2>/dev/null || true)
  [ -n "$rss" ] && echo "$t $rss"
  sleep "$every"; t=$((t + every))
done
wait $pid || true
grep -E "Requests|Outcomes|Send lag|Latency \(" "$out"
