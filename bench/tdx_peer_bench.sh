#!/usr/bin/env bash
# tdx_peer_bench.sh [BUILD_DIR]: times @phala/dcap-qvl (pinned, pure JavaScript) verifying the
# tdx/dcap-qvl-v4 quote with its collateral in node, then runs our warm/cold benchmark on the same
# inputs, and prints both rates and their ratio. The peer is installed into BUILD_DIR/peer (never
# the repository). Needs node and npm; exits 0 with a message when they are missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
version=0.3.9
vectors=${ATTEST_VECTORS:-$root/../shared/vectors}
peer=$build/peer

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "tdx_peer_bench: node/npm not installed; peer not measured"; exit 0
fi
if [ "$(node -p "try{require('$peer/node_modules/@phala/dcap-qvl/package.json').version}catch(e){''}")" != "$version" ]; then
  mkdir -p "$peer"
  (cd "$peer" && { test -f package.json || npm init -y >/dev/null; } &&
   npm install --no-audit --no-fund --silent "@phala/dcap-qvl@$version") ||
    { echo "tdx_peer_bench: npm install failed; peer not measured"; exit 0; }
fi

peer_rate=$(node -e '
const fs = require("fs");
const peer = require(process.argv[1] + "/node_modules/@phala/dcap-qvl");
const quote = new Uint8Array(fs.readFileSync(process.argv[2] + "/tdx/dcap-qvl-v4/quote.bin"));
const collateral = JSON.parse(fs.readFileSync(process.argv[2] + "/tdx/dcap-qvl-v4/collateral.json", "utf8"));
const now = Date.parse("2025-07-01T00:00:00Z") / 1000;
for (let i = 0; i < 20; i++) peer.verify(quote, collateral, now);  // warm-up (JIT)
let n = 0;
const start = process.hrtime.bigint();
while (Number(process.hrtime.bigint() - start) < 3e9) { peer.verify(quote, collateral, now); n++; }
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log((n / secs).toFixed(1));
' "$peer" "$vectors")
echo "peer @phala/dcap-qvl@$version (node $(node --version)): $peer_rate verifications/s"

out=$(mktemp)
"$build/bench/tdx_verify_bench" --benchmark_filter='TdxVerify' --benchmark_min_time=2 \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null 2>&1
ours=$(cat "$out"); rm -f "$out"
warm=$(echo "$ours" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const b=JSON.parse(s).benchmarks.find(x=>x.name.startsWith("BM_TdxVerifyWarm"));console.log((1e9/b.real_time).toFixed(0))})')
cold=$(echo "$ours" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const b=JSON.parse(s).benchmarks.find(x=>x.name.startsWith("BM_TdxVerifyCold"));console.log((1e9/b.real_time).toFixed(0))})')
echo "ours warm: $warm verifications/s = $(node -p "($warm/$peer_rate).toFixed(1)")x the peer"
echo "ours cold: $cold verifications/s = $(node -p "($cold/$peer_rate).toFixed(1)")x the peer"
