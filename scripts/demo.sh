#!/usr/bin/env bash
# The README's demo: build onslaught, start its built-in target on a free loopback port, run the
# demo plan (plans/demo.yaml: weighted endpoints, a 2 s ramp then a 3 s hold at 2 000 req/s)
# against it, print the summary, and write the Markdown, HTML and JSON reports.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/onslaught
log=$(mktemp)
$bin serve --listen 127.0.0.1:0 --cores 1 2>"$log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*' "$log" | head -1)
[ -n "$url" ] || { cat "$log"; echo "demo: the built-in target did not start" >&2; exit 1; }
echo "demo: built-in target at $url"
base=${url%/}
out=(--json demo-result.json --md demo-report.md --html demo-report.html)
echo "demo: onslaught run plans/demo.yaml --set target.base_url=$base ${out[*]}"
echo
code=0
$bin run plans/demo.yaml --set "target.base_url=$base" -q "${out[@]}" || code=$?
echo
echo "demo: reports written: demo-report.md, demo-report.html (open it in a browser), demo-result.json"
exit $code
