#!/usr/bin/env bash
# Fuzz the response framing parser (fuzz/fuzz_targets/response.rs) with cargo-fuzz on nightly.
# Usage: scripts/fuzz.sh [seconds, default 600] [extra libFuzzer flags...]
# Needs: rustup toolchain install nightly; cargo install cargo-fuzz.
# New inputs go to fuzz/corpus/response (ignored by git); fuzz/seeds is read, never written.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
shift || true
mkdir -p fuzz/corpus/response
exec cargo +nightly fuzz run response fuzz/corpus/response fuzz/seeds -- \
    -max_total_time="$secs" -dict="$PWD/fuzz/response.dict" -print_final_stats=1 "$@"
