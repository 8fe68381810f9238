#!/usr/bin/env bash
# Plan mode vs quick mode, same fixed rate against nginx (pinned to the other core): generator
# CPU per request for (a) quick mode, (b) a plan of 5 weighted static endpoints, (c) a plan whose
# requests carry one template variable in the path and one in a header. Medians of RUNS.
# Usage: scripts/bench-plan.sh [RUNS=3] [RATE=30000] [DURATION=5]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; rate=${2:-30000}; dur=${3:-5}
cargo build --release --quiet
bin=$PWD/target/release/onslaught
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export NGINX_DIR=$(mktemp -d)
scripts/nginx.sh start "$port" 0 >/dev/null 2>&1
trap 'scripts/nginx.sh stop; rm -rf "$NGINX_DIR"' EXIT
base="http://127.0.0.1:$port"
tmp=$(mktemp -d)
cat >"$tmp/static.yaml" <<YAML
target: { base_url: $base, connections: 64 }
load: { stages: [ { duration: 1s, rate: 1 } ] }
endpoints:
  - { name: a, weight: 40, path: / }
  - { name: b, weight: 25, path: "/?b" }
  - { name: c, weight: 15, path: "/?c" }
  - { name: d, weight: 10, path: "/?d" }
  - { name: e, weight: 10, path: "/?e" }
YAML
cat >"$tmp/templated.yaml" <<YAML
target: { base_url: $base, connections: 64 }
load: { stages: [ { duration: 1s, rate: 1 } ] }
endpoints:
  - { name: t, path: "/?id={{ random_int(1, 100000) }}", headers: { X-Request: "{{ seq() }}" } }
YAML
cpu_of() { python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN); print(f"{r.ru_utime + r.ru_stime:.3f}")' "$@"; }
declare -A all
for i in $(seq "$runs"); do
  for mode in quick static templated; do
    case $mode in
      quick) args=(run --url "$base/" -c 64) ;;
      *) args=(run "$tmp/$mode.yaml") ;;
    esac
    cpu=$(cpu_of taskset -c 1 "$bin" "${args[@]}" -R "$rate" -d "${dur}s" --cores 1 --json "$tmp/$mode.json")
    n=$(python3 -c "import json; print(json.load(open('$tmp/$mode.json'))['counts']['ok'])")
    us=$(python3 -c "print(f'{$cpu / $n * 1e6:.2f}')")
    all[$mode]+="$us "
    echo "  run $i $mode: $n ok, CPU ${cpu}s, ${us} us/request"
  done
done
python3 - "${all[quick]}" "${all[static]}" "${all[templated]}" <<'PY'
import statistics, sys
q, s, t = (statistics.median(map(float, a.split())) for a in sys.argv[1:])
print(f"\nmedian us/request: quick {q:.2f}, 5 static endpoints {s:.2f}, templated {t:.2f}")
print(f"requests per CPU-second vs quick mode: static {q/s:.2f}, templated {q/t:.2f}")
PY
