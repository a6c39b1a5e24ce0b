#!/usr/bin/env bash
# replicas_bench.sh DIR [fleet_sim options]: the same fleet through deploy/ha's front (HAProxy,
# PROXY v2, TLS passthrough) against two attestd replicas on one PostgreSQL, then against one
# (replica 2 stopped, HAProxy sending everything to replica 1). Each run enrolls a fleet of its
# own. Prints both fleet_sim JSON summaries and one JSON line with the ratios of the steady
# phase's throughput and p99, and exits non-zero when a run had errors.
#
# Defaults: --hosts 200 --guests-per-host 1 --rate 5 --mode closed --concurrency 16 --duration 60
# --no-boot-storm; options given after DIR replace them (fleet_sim's own flags).
#   FLEET_SIM (default build/bench/fleet/fleet_sim), SOFTWARE_TEE_BIN, ATTESTD_BIN as ha.sh.
# On 2 cores the replicas share the same two cores: the ratio shows what a second replica costs
# or gives on one machine, and that the answers stay right; more throughput needs more machines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { sed -n '2,12p' "$0" | sed 's/^# *//' >&2; exit 2; }
dir=$1
shift
fleet_sim=${FLEET_SIM:-$root/build/bench/fleet/fleet_sim}
software_tee=${SOFTWARE_TEE_BIN:-$root/build/tests/testing/software-tee}
ha=$dir/ha
mkdir -p "$dir"
log() { echo "replicas_bench: $*" >&2; }

options=(--hosts 200 --guests-per-host 1 --rate 5 --mode closed --concurrency 16 --duration 60
  --no-boot-storm)
[ $# -eq 0 ] || options=("$@")

cleanup() { "$root/deploy/ha/ha.sh" stop "$ha" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The software TEE whose test roots the replicas trust, and the limits a single simulator needs
# (every simulated guest and host comes from one loopback address).
"$software_tee" init --state "$dir/tee.state"
"$software_tee" roots --state "$dir/tee.state" >"$dir/tee-roots.pem"
echo '{"snp_root_chains": ["tee-roots.pem"]}' >"$dir/test-roots.json"
cat >"$dir/settings.json" <<EOF
{"test_roots": "$dir/test-roots.json", "allow_hosts_without_ek_cert": true,
 "release_rate_per_vm_per_minute": 100000, "release_rate_per_address_per_minute": 1000000,
 "server_threads": 24, "max_concurrent_verifications": 16}
EOF

log "starting deploy/ha with 2 replicas"
"$root/deploy/ha/ha.sh" start "$ha" --replicas 2 --settings "$dir/settings.json" \
  >"$dir/ha-start.log" 2>&1 || { cat "$dir/ha-start.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$ha/env"

# run NAME PIDS: fleet_sim through the front; its JSON summary into DIR/NAME.json.
run() {
  log "fleet_sim through the front, $1 (${options[*]})"
  "$fleet_sim" --url "$HA_FRONT_URL" --ca "$HA_CA_CERT" \
    --operator-credentials "$HA_OPERATOR_CREDENTIALS" --operator-profile "$HA_OPERATOR_PROFILE" \
    --software-tee-state "$dir/tee.state" --attestd-pid "$2" "${options[@]}" --json \
    >"$dir/$1.json"
  cat "$dir/$1.json"
}

run two-replicas "$HA_REPLICA_1_PID,$HA_REPLICA_2_PID"
"$root/deploy/ha/ha.sh" replica "$ha" 2 stop
# HAProxy marks it down after two failed checks a second apart; a refused connection is
# redispatched before that anyway.
for _ in $(seq 100); do
  echo "show stat" | socat - "UNIX-CONNECT:$HA_HAPROXY_STATS_SOCKET" 2>/dev/null |
    awk -F, '$1 == "attestd_replicas" && $2 == "replica-2" && $18 ~ /^DOWN/ {d = 1} END {exit !d}' &&
    break
  sleep 0.1
done
run one-replica "$HA_REPLICA_1_PID"

python3 - "$dir/two-replicas.json" "$dir/one-replica.json" <<'PY'
import json, sys
two, one = (json.load(open(p)) for p in sys.argv[1:3])
def steady(s):
    name = next(n for n in s["phases"] if n.startswith("steady"))
    return s["phases"][name]
# A guest pair records guest_challenge and guest_attest as well as guest_release (the whole
# pair): count the pair once.
PARTS = {"guest_challenge", "guest_attest"}
def rate(s):
    return sum(op["per_second"] for name, op in steady(s)["ops"].items() if name not in PARTS)
out = {"replicas_bench": 1, "ops_per_second_2": round(rate(two), 1),
       "ops_per_second_1": round(rate(one), 1),
       "throughput_ratio_2_over_1": round(rate(two) / rate(one), 3) if rate(one) else None,
       "errors_2": two["errors"], "errors_1": one["errors"]}
for op in sorted(set(steady(two)["ops"]) & set(steady(one)["ops"])):
    a, b = steady(two)["ops"][op], steady(one)["ops"][op]
    out[op + "_p99_ms_2"] = a["p99_ms"]
    out[op + "_p99_ms_1"] = b["p99_ms"]
out["attestd_cpu_ms_per_op_2"] = steady(two)["attestd_cpu_ms_per_op"]
out["attestd_cpu_ms_per_op_1"] = steady(one)["attestd_cpu_ms_per_op"]
print(json.dumps(out))
sys.exit(1 if two["errors"] or one["errors"] else 0)
PY
