#!/usr/bin/env bash
# run_all.sh BUILD_DIR SECONDS: runs every fuzz_* binary for SECONDS each, seeded from
# tests/fuzz/corpus/<name without fuzz_>/ plus any listed vector files. Fails on the first crash.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
seconds=${2:-20}
status=0
for bin in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  work=$(mktemp -d)
  seeds="$root/tests/fuzz/corpus/${name#fuzz_}"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
      "$work" >"$work.log" 2>&1; then
    echo "fuzz: $name FAILED"; tail -40 "$work.log"; status=1
  else
    grep -E '^(#[0-9]+).*(DONE|pulse)' "$work.log" | tail -1
  fi
  rm -rf "$work" "$work.log"
done
exit $status
