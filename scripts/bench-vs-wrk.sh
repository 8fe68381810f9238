#!/usr/bin/env bash
# Side-by-side speed: onslaught (closed loop, one core) vs wrk (one thread) against nginx pinned
# to the other core; same connections and duration; alternating runs; medians.
# Then onslaught at a fixed rate: CPU per request and send-lag p99.
# Usage: scripts/bench-vs-wrk.sh [RUNS=3] [CONNS=64] [DURATION=10]
# Env: NGINX_CPU (default 0), GEN_CPU (default 1), RATE (default 20000),
#      TLS=1 for HTTPS (nginx with a throwaway CA; onslaught gets --cacert, wrk trusts nothing
#      and verifies nothing, as it always does).
# Loopback only; every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; conns=${2:-64}; dur=${3:-10}
ncpu=${NGINX_CPU:-0}; gcpu=${GEN_CPU:-1}; rate=${RATE:-20000}
export DEBIAN_FRONTEND=noninteractive
missing=(); command -v nginx >/dev/null || missing+=(nginx); command -v wrk >/dev/null || missing+=(wrk)
[ ${#missing[@]} -eq 0 ] || { apt-get update -q && apt-get install -y -q "${missing[@]}"; } >/dev/null
cargo build --release --quiet
bin=$PWD/target/release/onslaught
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export NGINX_DIR=$(mktemp -d)
tls=${TLS:-}
if [ -n "$tls" ]; then
  scripts/nginx.sh start "$port" "$ncpu" tls >/dev/null
  url="https://localhost:$port/"
  ons_tls=(--cacert "$NGINX_DIR/pki/ca.pem")
else
  scripts/nginx.sh start "$port" "$ncpu" >/dev/null
  url="http://127.0.0.1:$port/"
  ons_tls=()
fi
trap 'scripts/nginx.sh stop; rm -rf "$NGINX_DIR"' EXIT
out=$(mktemp -d)

# cpu_of CMD...: runs CMD, prints the CPU seconds (user+sys) it and its children used.
cpu_of() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=open(sys.argv[0] if False else "/dev/stdout", "w"), check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"CPU {r.ru_utime + r.ru_stime:.3f}", file=sys.stderr)
PY
}

wrk_run() {
  local cpu rps
  cpu=$( { cpu_of taskset -c "$gcpu" wrk -t1 -c"$conns" -d"${dur}s" "$url" >"$out/wrk.txt"; } 2>&1 | awk '/^CPU/{print $2}')
  rps=$(awk '/Requests\/sec/{print $2}' "$out/wrk.txt")
  echo "$rps $cpu"
}
ons_run() {
  local cpu rps
  cpu=$( { cpu_of taskset -c "$gcpu" "$bin" run --url "$url" "${ons_tls[@]}" -c "$conns" -d "${dur}s" --cores 1 --json "$out/o.json" >/dev/null; } 2>&1 | awk '/^CPU/{print $2}')
  rps=$(python3 -c "import json;print(json.load(open('$out/o.json'))['rates']['throughput_rps'])")
  echo "$rps $cpu"
}

echo "$url: nginx on CPU $ncpu, generators on CPU $gcpu, $conns connections, ${dur}s per run, $runs runs each (alternating)"
: >"$out/wrk.all"; : >"$out/ons.all"
for i in $(seq "$runs"); do
  wrk_run >>"$out/wrk.all"
  ons_run >>"$out/ons.all"
  echo "  run $i: wrk $(tail -1 "$out/wrk.all")   onslaught $(tail -1 "$out/ons.all")   (req/s, CPU-s)"
done
python3 - "$out" "$dur" <<'PY'
import statistics, sys
out, dur = sys.argv[1], float(sys.argv[2])
def load(name):
    rows = [tuple(map(float, l.split())) for l in open(f"{out}/{name}.all") if l.strip()]
    rps = statistics.median(r[0] for r in rows)
    per_m = statistics.median(r[1] / (r[0] * dur) * 1e6 for r in rows)
    per_cpu_s = statistics.median(r[0] * dur / r[1] for r in rows)
    return rps, per_m, per_cpu_s
w, o = load("wrk"), load("ons")
print(f"\n{'':12}{'req/s':>12}{'CPU-s per 1M req':>20}{'req per CPU-s':>16}   (medians)")
print(f"{'wrk':12}{w[0]:>12.0f}{w[1]:>20.2f}{w[2]:>16.0f}")
print(f"{'onslaught':12}{o[0]:>12.0f}{o[1]:>20.2f}{o[2]:>16.0f}")
print(f"{'ratio':12}{o[0]/w[0]:>12.2f}{o[1]/w[1]:>20.2f}{o[2]/w[2]:>16.2f}   (onslaught / wrk)")
PY

echo
echo "onslaught at a fixed rate: -R $rate -c $conns -d ${dur}s, one core"
for i in $(seq "$runs"); do
  cpu=$( { cpu_of taskset -c "$gcpu" "$bin" run --url "$url" "${ons_tls[@]}" -R "$rate" -c "$conns" -d "${dur}s" --cores 1 --json "$out/f.json" >/dev/null; } 2>&1 | awk '/^CPU/{print $2}')
  python3 -c "
import json; r=json.load(open('$out/f.json')); n=r['counts']['sent']
print(f\"  run $i: sent {n}, achieved {r['rates']['achieved_rps']:.0f}/s, CPU {float('$cpu'):.2f}s = {float('$cpu')/n*1e6:.2f} us/request, send lag p50 {r['send_lag']['percentiles']['p50']/1e3:.0f} us p99 {r['send_lag']['percentiles']['p99']/1e3:.0f} us, latency p99 {r['latency']['percentiles']['p99']/1e3:.0f} us\")"
done
