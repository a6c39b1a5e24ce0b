#!/usr/bin/env bash
# run_all.sh BUILD_DIR SECONDS: runs every fuzz_* binary for SECONDS each, seeded from
# tests/fuzz/corpus/<name without fuzz_>/ plus any listed vector files. Fails if any target
# crashes. FUZZ_JOBS targets (default: one per CPU) run at once, each on one core, so each target
# gets the same fuzzing time as in a serial run; each target's lines are printed together.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
seconds=${2:-20}
jobs=${FUZZ_JOBS:-$(nproc)}

# fuzz_one BIN: runs one target; prints its report; exits non-zero on a crash.
fuzz_one() {
  local bin=$1 name work seeds status=0
  name=$(basename "$bin")
  work=$(mktemp -d)
  seeds="$root/tests/fuzz/corpus/${name#fuzz_}"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
  {
    echo "fuzz: $name for ${seconds}s"
    if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
        "$work" >"$work.log" 2>&1; then
      echo "fuzz: $name FAILED"; tail -40 "$work.log"; status=1
    else
      grep -E '^(#[0-9]+).*(DONE|pulse)' "$work.log" | tail -1
    fi
  } >"$work.out"
  flock "$lock" cat "$work.out"
  rm -rf "$work" "$work.log" "$work.out"
  return $status
}
lock=$(mktemp)
trap 'rm -f "$lock"' EXIT
export -f fuzz_one
export root seconds lock

bins=()
for bin in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] && bins+=("$bin")
done
[ "${#bins[@]}" -eq 0 ] && exit 0
printf '%s\0' "${bins[@]}" | xargs -0 -n1 -P "$jobs" bash -c 'fuzz_one "$1"' _
