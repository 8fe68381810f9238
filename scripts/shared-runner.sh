#!/usr/bin/env bash
# A CI gate on a shared runner must never cry wolf (docs/exit-codes.md, "Shared runners"): run
# onslaught N times in a row at each of several low rates against its built-in target with
# generous SLOs, and count the exit codes. Every run should exit 0, however noisy the host (run
# it while other builds use the machine). Prints one line per rate and a total; exits 1 when any
# run did not exit 0, keeping that run's summary in $ONSLAUGHT_SOAK_KEEP (default: a temp dir).
#
#   scripts/shared-runner.sh [RUNS] [RATES...]      # default: 50 runs at 50 200 500 2000 req/s
#
# Each run: 3 s, 4 connections, --slo p99=500ms --slo error_rate=1%. Bounded: RUNS x rates runs
# of about 3.5 s each; loopback only. ONSLAUGHT_SOAK_JSON=1 keeps every run's JSON summary in the
# keep directory (send lag beside the host timer probe: generator.host_timer).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
shift || true
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(50 200 500 2000)
bin=${ONSLAUGHT_BIN:-target/release/onslaught}
[ -x "$bin" ] || cargo build --release --quiet
keep=${ONSLAUGHT_SOAK_KEEP:-$(mktemp -d)}
mkdir -p "$keep"
log="$keep/serve.log"
"$bin" serve --listen 127.0.0.1:0 --cores 1 2>"$log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*' "$log" | head -1)
[ -n "$url" ] || { cat "$log"; echo "shared-runner: the built-in target did not start" >&2; exit 1; }
bad=0
for rate in "${rates[@]}"; do
    declare -A codes=()
    for i in $(seq "$runs"); do
        out="$keep/run-$rate-$i.txt"
        code=0
        json=()
        [ -z "${ONSLAUGHT_SOAK_JSON:-}" ] || json=(--json "$keep/run-$rate-$i.json")
        "$bin" run --url "$url" -R "$rate" -c 4 -d 3s --slo p99=500ms --slo error_rate=1% "${json[@]}" >"$out" 2>&1 || code=$?
        codes[$code]=$(( ${codes[$code]:-0} + 1 ))
        if [ "$code" -eq 0 ]; then rm -f "$out"; else bad=$((bad + 1)); fi
    done
    line=""
    for c in "${!codes[@]}"; do line+=" exit $c: ${codes[$c]}"; done
    echo "shared-runner: $rate req/s, $runs runs:$line"
    unset codes
done
total=$(( runs * ${#rates[@]} ))
echo "shared-runner: $((total - bad)) of $total runs exited 0"
if [ "$bad" -gt 0 ]; then
    echo "shared-runner: the summaries of the others are in $keep" >&2
    exit 1
fi
