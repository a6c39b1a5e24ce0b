#!/usr/bin/env bash
# chaos.sh [--short] DIR: faults injected one after another while chaos_load drives an attestd
# deployment, with the time each takes to recover (issue 21, "Faults during load").
#
# Starts deploy/ha/ha.sh (2 replicas on PostgreSQL behind HAProxy) and, beside it, one attestd on
# SQLite whose data directory is a small tmpfs; runs chaos_load against both (the front and each
# replica directly); then, in order:
#   kill9        SIGKILL of replica 1, restarted          recovery: restart until ready
#   sigstop      SIGSTOP of replica 1 for 30 s (short 5)  recovery: SIGCONT until ready
#   pg_restart   PostgreSQL restarted (fast)              recovery: until every replica is ready
#   pg_drop      PostgreSQL unreachable 20 s (short 6):   recovery: rule removed until every
#                iptables DROP on its port                 replica is ready
#   disk_full    the SQLite attestd's filesystem filled   recovery: space freed until a write
#                for 20 s (short 5)                        succeeds again
#   clock_step   replica 2's clock +10 min (libfaketime)  recovery: clock back until ready
#                for 30 s (short 6)
# then `attestctl audit verify` on PostgreSQL and on the SQLite file, and ONE JSON line on stdout.
# Exit 0 when every invariant held, 1 when one broke, 77 when a tool is missing (FAIL under
# CI=true). Needs root (iptables, mount). Everything stays on loopback; DIR is made anew.
#
# Binaries: ATTESTD_BIN, ATTESTCTL_BIN, CHAOS_LOAD_BIN, SOFTWARE_TEE_BIN (default build/...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=scripts/lib/free_port.sh
. "$root/scripts/lib/free_port.sh"
# shellcheck source=scripts/lib/postgres.sh
. "$root/scripts/lib/postgres.sh"

short=false
if [ "${1:-}" = --short ]; then
  short=true
  shift
fi
[ $# -eq 1 ] || { sed -n 2,3p "$0" | sed 's/^# *//' >&2; exit 2; }
export ATTESTD_BIN=${ATTESTD_BIN:-$root/build/service/attestd}
attestctl=${ATTESTCTL_BIN:-$root/build/cli/attestctl}
chaos_load=${CHAOS_LOAD_BIN:-$root/build/deploy/ha/chaos/chaos_load}
software_tee=${SOFTWARE_TEE_BIN:-$root/build/tests/testing/software-tee}
faketime_lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

if $short; then
  stop_s=5 drop_s=6 full_s=5 clock_s=6 settle_s=3
else
  stop_s=30 drop_s=20 full_s=20 clock_s=30 settle_s=10
fi

log() { echo "chaos: $*" >&2; }
missing() {
  log "missing: $*"
  [ "${CI:-}" = true ] && exit 1
  exit 77
}
for bin in "$ATTESTD_BIN" "$attestctl" "$chaos_load" "$software_tee"; do
  [ -x "$bin" ] || missing "$bin (build it)"
done
for tool in haproxy iptables socat curl python3 mount; do
  command -v "$tool" >/dev/null || missing "$tool (scripts/packages-test.txt)"
done
[ -e "$faketime_lib" ] || missing "$faketime_lib (Debian libfaketime)"
[ "$(id -u)" = 0 ] || missing "root (iptables, mount)"

dir=$1
if [ -e "$dir/ha/run" ]; then "$root/deploy/ha/ha.sh" stop "$dir/ha" >/dev/null || true; fi
mountpoint -q "$dir/sqlite" 2>/dev/null && umount "$dir/sqlite"
rm -rf "$dir"
mkdir -p "$dir/sqlite" "$dir/log"
dir=$(cd "$dir" && pwd)
ha=$dir/ha
sqlite_pid=
load_ha='' load_sqlite=''
drop_rule=()

cleanup() {
  set +e
  [ -f "$dir/stop" ] || touch "$dir/stop"
  # Drivers still running here were interrupted: their read-back would only wait for a dead front.
  for pid in $load_ha $load_sqlite; do kill "$pid" 2>/dev/null; done
  [ ${#drop_rule[@]} -eq 0 ] || iptables -D "${drop_rule[@]}" 2>/dev/null
  [ -n "$sqlite_pid" ] && kill -CONT "$sqlite_pid" 2>/dev/null
  for n in 1 2; do
    [ -f "$ha/run/replica-$n.pid" ] && kill -CONT "$(cat "$ha/run/replica-$n.pid")" 2>/dev/null
  done
  [ -n "$sqlite_pid" ] && kill -TERM "$sqlite_pid" 2>/dev/null && wait "$sqlite_pid" 2>/dev/null
  HA_GRACE=5 "$root/deploy/ha/ha.sh" stop "$ha" >/dev/null 2>&1
  mountpoint -q "$dir/sqlite" && umount "$dir/sqlite"
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$1" "$(now)"; }
ready() { curl -sf -o /dev/null -m 2 --cacert "$2" "$1/readyz"; }
# until_ready SECONDS CA URL...: until every URL's /readyz answers 200; fails after SECONDS.
until_ready() {
  local end=$((SECONDS + $1)) ca=$2 url ok
  shift 2
  while [ "$SECONDS" -lt "$end" ]; do
    ok=true
    for url in "$@"; do ready "$url" "$ca" || { ok=false; break; }; done
    $ok && return 0
    sleep 0.1
  done
  return 1
}
# good_write URL CA CREDS: a signed POST /v1/volumes answered 201 (a request that must work when
# the system is up).
good_write() {
  local user
  user=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["access_key_id"] + ":" + c["secret_access_key"])' "$3")
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$2" --aws-sigv4 aws:amz:local:attestd \
    --user "$user" -H 'Content-Type: application/json' \
    -d "{\"name\": \"probe-$RANDOM$RANDOM\"}" "$1/v1/volumes")" = 201 ]
}
until_good_write() {
  local end=$((SECONDS + $1))
  while [ "$SECONDS" -lt "$end" ]; do good_write "$2" "$3" "$4" && return 0; sleep 0.1; done
  return 1
}

# --- the software TEE attestd trusts (test roots only) --------------------------------------
"$software_tee" init --state "$dir/tee.state"
"$software_tee" roots --state "$dir/tee.state" >"$dir/tee-roots.pem"
echo '{"snp_root_chains": ["tee-roots.pem"]}' >"$dir/test-roots.json"

# patch_config FILE [PORT]: test roots, release limits above what the driver sends.
patch_config() {
  python3 - "$1" "$dir/test-roots.json" "${2:-0}" <<'PY'
import json, sys
path, roots, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path) as f:
    c = json.load(f)
c.update({"test_roots": roots, "release_rate_per_vm_per_minute": 100000,
          "release_rate_per_address_per_minute": 1000000})
if port:
    c["listen_port"] = port
with open(path, "w") as f:
    json.dump(c, f, indent=2)
PY
}

# --- the replicas: replica 2 runs under libfaketime (offset +0 until the clock step) ---------
log "starting ha (2 replicas)"
"$root/deploy/ha/ha.sh" start "$ha" --replicas 2 >"$dir/log/ha-start.log" 2>&1 ||
  { cat "$dir/log/ha-start.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$ha/env"
clock_file=$dir/replica-2.faketime
echo "+0" >"$clock_file"
cat >"$dir/attestd-faketime" <<EOF
#!/bin/sh
# Only the wall clock steps (as an NTP step does); CLOCK_MONOTONIC, which timeouts use, does not.
export LD_PRELOAD=$faketime_lib FAKETIME_TIMESTAMP_FILE=$clock_file FAKETIME_NO_CACHE=1
export FAKETIME_DONT_FAKE_MONOTONIC=1
exec $ATTESTD_BIN "\$@"
EOF
chmod 755 "$dir/attestd-faketime"
for n in 1 2; do
  patch_config "$ha/attestd/replica-$n.json"
  "$root/deploy/ha/ha.sh" replica "$ha" "$n" stop
done
"$root/deploy/ha/ha.sh" replica "$ha" 1 start
ATTESTD_BIN=$dir/attestd-faketime "$root/deploy/ha/ha.sh" replica "$ha" 2 start
# shellcheck disable=SC1091
. "$ha/env"
conninfo=${HA_DATABASE#postgres:}

# --- the SQLite attestd on a small filesystem ----------------------------------------------
mount -t tmpfs -o size=32m chaos-sqlite "$dir/sqlite"
sqlite_port=$(free_port)
"$ATTESTD_BIN" init --data-dir "$dir/sqlite/attestd" --listen-port "$sqlite_port" \
  >"$dir/log/sqlite-init.log" 2>&1 || { cat "$dir/log/sqlite-init.log" >&2; exit 1; }
patch_config "$dir/sqlite/attestd/attestd.json"
sqlite_db=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database"])' \
  "$dir/sqlite/attestd/attestd.json")
sqlite_db=${sqlite_db#sqlite:}
[ "${sqlite_db#/}" != "$sqlite_db" ] || sqlite_db=$dir/sqlite/attestd/$sqlite_db
setsid "$ATTESTD_BIN" serve --config "$dir/sqlite/attestd/attestd.json" \
  >>"$dir/log/sqlite-attestd.log" 2>&1 </dev/null &
sqlite_pid=$!
sqlite_url=https://127.0.0.1:$sqlite_port
sqlite_ca=$dir/sqlite/attestd/tls-cert.pem
until_ready 30 "$sqlite_ca" "$sqlite_url" || { log "SQLite attestd not ready"; exit 1; }

# --- load ------------------------------------------------------------------------------------
"$chaos_load" seed --database "postgres:$conninfo" --kek "$ha/attestd/kek.bin" --out "$dir/ha.creds"
"$chaos_load" seed --database "sqlite:$sqlite_db" --kek "$dir/sqlite/attestd/kek.bin" \
  --out "$dir/sqlite.creds"
"$chaos_load" run --label ha --creds "$dir/ha.creds" --tee-state "$dir/tee.state" \
  --ca "$HA_CA_CERT" --front "$HA_FRONT_URL" --replica "$HA_REPLICA_1_URL" \
  --replica "$HA_REPLICA_2_URL" --stop-file "$dir/stop" --seconds 3600 \
  >"$dir/ha.json" 2>"$dir/log/load-ha.log" &
load_ha=$!
"$chaos_load" run --label sqlite --creds "$dir/sqlite.creds" --tee-state "$dir/tee.state" \
  --ca "$sqlite_ca" --front "$sqlite_url" --stop-file "$dir/stop" --seconds 3600 \
  >"$dir/sqlite.json" 2>"$dir/log/load-sqlite.log" &
load_sqlite=$!
sleep "$settle_s"

declare -A recovery
faults=0
# recovered NAME SECONDS-OR-EMPTY: records a fault's recovery time (null: it never recovered).
recovered() {
  faults=$((faults + 1))
  recovery[$1]=${2:-null}
  log "$1: recovered in ${2:-NEVER} s"
  sleep "$settle_s"
}
replica_pid() { cat "$ha/run/replica-$1.pid"; }
all_replicas=("$HA_REPLICA_1_URL" "$HA_REPLICA_2_URL")

log "fault kill9: SIGKILL replica 1"
"$root/deploy/ha/ha.sh" replica "$ha" 1 kill
sleep 1
t0=$(now)
r=
if "$root/deploy/ha/ha.sh" replica "$ha" 1 start && until_good_write 30 "$HA_FRONT_URL" "$HA_CA_CERT" "$dir/ha.creds"; then
  r=$(since "$t0")
fi
recovered kill9 "$r"

log "fault sigstop: replica 1 stopped for $stop_s s"
kill -STOP "$(replica_pid 1)"
sleep "$stop_s"
kill -CONT "$(replica_pid 1)"
t0=$(now)
r=
until_ready 60 "$HA_CA_CERT" "$HA_REPLICA_1_URL" && r=$(since "$t0")
recovered sigstop "$r"

log "fault pg_restart"
t0=$(now)
r=
if as_pg "$(pg_bin_dir)/pg_ctl" -D "$HA_PG_DATA" -m fast -w restart >/dev/null 2>&1 &&
  until_ready 60 "$HA_CA_CERT" "${all_replicas[@]}" &&
  until_good_write 30 "$HA_FRONT_URL" "$HA_CA_CERT" "$dir/ha.creds"; then
  r=$(since "$t0")
fi
recovered pg_restart "$r"

log "fault pg_drop: PostgreSQL unreachable for $drop_s s"
drop_rule=(INPUT -i lo -d "$PGHOST" -p tcp --dport "$PGPORT" -j DROP)
iptables -I "${drop_rule[@]}"
sleep "$drop_s"
iptables -D "${drop_rule[@]}"
drop_rule=()
t0=$(now)
r=
if until_ready 120 "$HA_CA_CERT" "${all_replicas[@]}" &&
  until_good_write 60 "$HA_FRONT_URL" "$HA_CA_CERT" "$dir/ha.creds"; then
  r=$(since "$t0")
fi
recovered pg_drop "$r"

log "fault disk_full: the SQLite attestd's filesystem full for $full_s s"
dd if=/dev/zero of="$dir/sqlite/fill" bs=64k >/dev/null 2>&1 || true
sleep "$full_s"
rm -f "$dir/sqlite/fill"
t0=$(now)
r=
until_good_write 60 "$sqlite_url" "$sqlite_ca" "$dir/sqlite.creds" && r=$(since "$t0")
recovered disk_full "$r"

log "fault clock_step: replica 2 at +10 min for $clock_s s"
echo "+600" >"$clock_file"
sleep "$clock_s"
echo "+0" >"$clock_file"
t0=$(now)
r=
until_ready 60 "$HA_CA_CERT" "$HA_REPLICA_2_URL" && r=$(since "$t0")
recovered clock_step "$r"

# --- the end ------------------------------------------------------------------------------
touch "$dir/stop"
# Their exit codes say what their JSON says (read below); a driver that wrote none broke a run.
wait "$load_ha" || true
wait "$load_sqlite" || true
audit_ok=true
"$attestctl" audit verify --postgres "$conninfo" >"$dir/log/audit-pg.txt" 2>&1 || audit_ok=false
"$attestctl" audit verify --db "$sqlite_db" >"$dir/log/audit-sqlite.txt" 2>&1 || audit_ok=false
cat "$dir"/log/audit-*.txt >&2

recovery_json=$(for k in "${!recovery[@]}"; do echo "$k=${recovery[$k]}"; done)
python3 - "$dir/ha.json" "$dir/sqlite.json" "$faults" "$audit_ok" "$recovery_json" <<'PY'
import json, sys
runs = []
for path in sys.argv[1:3]:
    try:
        with open(path) as f:
            runs.append(json.loads(f.read().strip().splitlines()[-1]))
    except (OSError, ValueError, IndexError):
        runs.append(None)
recovery = {}
for line in sys.argv[5].splitlines():
    k, v = line.split("=", 1)
    recovery[k] = None if v == "null" else float(v)
def total(key):
    return sum(r.get(key, 0) for r in runs if r)
out = {"faults": int(sys.argv[3])}
for key in ("acked_lost", "nonce_reuse", "wrong_release", "unexpected_errors", "acked_unchecked"):
    out[key] = total(key)
out["audit_ok"] = sys.argv[4] == "true"
out["recovery_s"] = recovery
for key in ("acked", "nonce_races", "good_released", "good_refused", "wrong_attempts",
            "documented_errors", "transport_errors", "resent_refused", "skew_refused", "requests"):
    out[key] = total(key)
out["drivers_ok"] = all(r is not None for r in runs)
print(json.dumps(out))
broken = (out["acked_lost"] or out["acked_unchecked"] or out["nonce_reuse"] or out["wrong_release"] or
          out["unexpected_errors"] or not out["audit_ok"] or not out["drivers_ok"] or
          any(v is None for v in recovery.values()))
sys.exit(1 if broken else 0)
PY
