#!/usr/bin/env bash
# tpm_tools_bench.sh [N] [BENCH_BINARY]: the peer figure for bench/tpm_verify_bench.cc. Times N
# runs of the tpm2-tools process pair that does the same job on the same files
# (attest/tpm/testdata/swtpm/bench-100): `tpm2_checkquote` (quote signature, nonce, PCR digest)
# followed by `tpm2_eventlog` (parse + replay of the 105-event log). With BENCH_BINARY (e.g.
# build/bench/tpm_verify_bench) it also runs ours in the same session and prints the ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-50}
bench=${2:-}
F=$root/attest/tpm/testdata/swtpm/bench-100
nonce=c0ffee00c0ffee00c0ffee00c0ffee00
# Sanity: the pair must accept these inputs, or the timing would be of an error path.
tpm2_checkquote -u "$F/ak.pem" -m "$F/quote.msg" -s "$F/quote.sig" -f "$F/pcrs.bin" -g sha256 \
  -q "$nonce" >/dev/null
tpm2_eventlog "$F/eventlog.bin" >/dev/null
start=$(date +%s%N)
for _ in $(seq "$n"); do
  tpm2_checkquote -u "$F/ak.pem" -m "$F/quote.msg" -s "$F/quote.sig" -f "$F/pcrs.bin" -g sha256 \
    -q "$nonce" >/dev/null
  tpm2_eventlog "$F/eventlog.bin" >/dev/null
done
end=$(date +%s%N)
per_pair_us=$(( (end - start) / n / 1000 ))
tools_rate=$(awk -v us="$per_pair_us" 'BEGIN { printf "%.1f", 1e6 / us }')
echo "tpm2_checkquote + tpm2_eventlog: ${per_pair_us} us per pair = ${tools_rate} /s (n=$n)"
if [ -n "$bench" ]; then
  ours_ns=$("$bench" --benchmark_filter=BM_TpmVerifyQuoteAndLog --benchmark_min_time=1 \
    2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | awk '/^BM_TpmVerifyQuoteAndLog/ { print $2 }')
  awk -v ns="$ours_ns" -v tools="$tools_rate" 'BEGIN {
    ours = 1e9 / ns; printf "attest verify tpm (same inputs): %.0f /s = %.0fx the tools pair\n", ours, ours / tools }'
fi
