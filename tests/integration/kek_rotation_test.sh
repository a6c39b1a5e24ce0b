#!/usr/bin/env bash
# kek_rotation_test.sh ATTESTD sqlite|postgres: KEK rotation on the real attestd (issue 17 #14).
# sqlite: key file -> key file. postgres: key file -> PKCS#11 (a SoftHSM2 token this test makes)
# -> another PKCS#11 key. While attestd serves, `attestd kek rotate` runs in batches of one with a
# pause; mid-rotation both it and the serving attestd are killed with SIGKILL; attestd restarts
# and serves every credential (rows under either KEK), the rotation resumes and finishes, the old
# KEK is retired and removed, and every credential still authenticates and every volume row is
# under the new KEK. Refused: the same KEK twice, a KEK that is not the id configured for it,
# retiring while rows remain, serving with a retired KEK. postgres needs scripts/services.sh's
# PG* environment (never skipped).
set -u
attestd=$1
db=${2:-sqlite}
tmp=$(mktemp -d)
pid=""
rot=""
cleanup() {
  [ -n "$rot" ] && kill -9 "$rot" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/checks.sh"
. "$(dirname "$0")/../../scripts/lib/free_port.sh"

database=""
if [ "$db" = postgres ]; then
  fresh_postgres_database attestd_kek
  if ! command -v softhsm2-util >/dev/null || [ ! -f /usr/lib/softhsm/libsofthsm2.so ]; then
    echo "FAIL softhsm2 not installed"; exit 1
  fi
  mkdir -p "$tmp/hsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$tmp/hsm/tokens" >"$tmp/hsm/softhsm2.conf"
  export SOFTHSM2_CONF=$tmp/hsm/softhsm2.conf
  softhsm2-util --init-token --free --label kek-token --so-pin 12345678 --pin 4321 >/dev/null ||
    { echo "FAIL softhsm token"; exit 1; }
  (umask 077; echo 4321 >"$tmp/hsm/pin")
fi

port=$(free_port)
data=$tmp/data
init_args=(init --data-dir "$data" --listen-port "$port")
[ -n "$database" ] && init_args+=(--database "$database")
"$attestd" "${init_args[@]}" >"$tmp/init.out" 2>&1
check init-rc 0 $?
conf=$data/attestd.json

crash() { kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""; }
kek() { "$attestd" kek "$@" --config "$conf" 2>&1; }
# edit PYTHON: rewrites the configuration after running PYTHON on it as the dict c.
edit() {
  python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[2])
open(sys.argv[1], "w").write(json.dumps(c, indent=2))' "$conf" "$1"
}
# field JSON EXPR: prints EXPR over the JSON document j.
field() { python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

op=$(awk -F' = ' '/aws_access_key_id/{i=$2} /aws_secret_access_key/{s=$2} END{print i":"s}' \
  "$data/operator-credentials")
json=(-H 'Content-Type: application/json')

start
# --- rows under the first KEK: 4 tenants' credentials (and the operator's), 2 volumes each ---
users=("$op")
for t in 1 2 3 4; do
  out=$(call "$op" POST /v1/tenants "${json[@]}" -d "{\"name\":\"t$t\"}")
  user=$(field "${out% *}" 'j["access_key_id"] + ":" + j["secret_access_key"]')
  users+=("$user")
  for v in a b; do
    check "volume-t$t$v" 201 "$(call "$user" POST /v1/volumes "${json[@]}" -d "{\"name\":\"$v\"}" | awk '{print $NF}')"
  done
done
all_authenticate() {  # all_authenticate NAME: every credential answers 200 on GET /v1/volumes
  local ok=0
  for u in "${users[@]}"; do
    [ "$(call "$u" GET /v1/volumes | awk '{print $NF}')" = 200 ] && ok=$((ok + 1))
  done
  check "$1" "${#users[@]}" "$ok"
}
all_authenticate credentials-before
old_id=$(kek status | awk '/^current: /{print $2}')
contains old-kek-is-a-file file: "$old_id"
contains status-counts "to re-wrap: 0" "$(kek status)"
total_rows=13  # 5 credentials + 8 volumes

# --- the new KEK, the old one as previous ---
if [ "$db" = sqlite ]; then
  head -c 32 /dev/urandom >"$tmp/kek2.bin" && chmod 600 "$tmp/kek2.bin"
  edit "c['kek_file'] = '$tmp/kek2.bin'; c['previous_keks'] = [{'id': '$old_id', 'kek_file': '$data/kek.bin'}]"
else
  edit "del c['kek_file']
c.update(kek_pkcs11_module='/usr/lib/softhsm/libsofthsm2.so', kek_pkcs11_token_label='kek-token',
         kek_pkcs11_key_label='kek-1', kek_pkcs11_pin_file='$tmp/hsm/pin')
c['previous_keks'] = [{'id': '$old_id', 'kek_file': '$data/kek.bin'}]"
fi
new_id=$(kek status | awk '/^current: /{print $2}')
check new-kek-differs 1 "$([ -n "$new_id" ] && [ "$new_id" != "$old_id" ] && echo 1)"

# --- refused: the same KEK twice, a KEK that is not the one its id names ---
cp "$conf" "$tmp/good.json"
edit "c['previous_keks'].append(c['previous_keks'][0])"
contains same-kek-twice keys.config_invalid "$(kek rotate)"
cp "$tmp/good.json" "$conf"
edit "c['kek_id'] = '$old_id'"
contains wrong-new-kek keys.wrong_key "$(kek rotate)"
cp "$tmp/good.json" "$conf"
edit "c['previous_keks'][0]['id'] = 'file:0000000000000000'"
contains wrong-previous-kek keys.wrong_key "$(kek status)"
cp "$tmp/good.json" "$conf"
chmod 640 "$data/kek.bin"
contains check-config-previous-kek-file "previous_keks[0].kek_file" "$("$attestd" check-config "$conf" 2>&1)"
chmod 600 "$data/kek.bin"
check check-config-previous-keks-ok 0 "$("$attestd" check-config "$conf" >/dev/null 2>&1; echo $?)"

# --- rotate online; SIGKILL the rotation and attestd mid-way; restart; resume ---
stop
start
"$attestd" kek rotate --config "$conf" --batch-size 1 --pause-ms 300 >"$tmp/rotate1.out" 2>&1 &
rot=$!
for _ in $(seq 1 100); do
  grep -q "batch 4:" "$tmp/rotate1.out" && break
  sleep 0.1
done
all_authenticate credentials-during-rotation
kill -9 "$rot"; wait "$rot" 2>/dev/null; rot=""
crash
contains rotation-was-mid "batch 4:" "$(cat "$tmp/rotate1.out")"
left=$(kek status | awk '/^to re-wrap: /{print $3}')
check mid-rotation-some-left 1 "$([ "$left" -gt 0 ] && [ "$left" -lt "$total_rows" ] && echo 1)"
contains retire-while-rows-remain store.kek_in_use "$(kek retire)"
start
all_authenticate credentials-after-crash
out=$(kek rotate --batch-size 2)
check rotate-resumed-rc 0 $?
contains rotate-resumed "$left row(s) to re-wrap" "$out"
contains rotate-done "done" "$out"
contains status-none-left "to re-wrap: 0" "$(kek status)"
all_authenticate credentials-after-rotation
contains retire-ok "is retired" "$(kek retire)"
audit=$(call "$op" GET "/v1/audit?limit=1000")
for want in '"outcome":"started"' '"outcome":"progress"' '"outcome":"done"' '"action":"kek.retire"'; do
  contains "audit-$want" "$want" "$(field "${audit% *}" '"\n".join(json.dumps({"action": e["action"], "outcome": e["outcome"]}, separators=(",", ":")) for e in j["entries"])')"
done

# --- the old KEK leaves the configuration; everything reads under the new one alone ---
stop
start
contains retired-previous-warned "is retired" "$(cat "$tmp/serve.log")"
stop
edit "del c['previous_keks']"
if [ "$db" = sqlite ]; then cp -p "$data/kek.bin" "$tmp/old-kek.bin" && rm -f "$data/kek.bin"; fi
start
all_authenticate credentials-new-kek-only
status=$(kek status)
contains volumes-under-new-kek "rows: volumes $new_id 8" "$status"
contains credentials-under-new-kek "rows: credentials $new_id 5" "$status"
stop

# --- PKCS#11 -> PKCS#11 (postgres); then the retired KEK as the current one is refused ---
cp "$conf" "$tmp/new.json"
if [ "$db" = postgres ]; then
  edit "c['previous_keks'] = [{'id': '$new_id', 'kek_pkcs11_module': c['kek_pkcs11_module'],
  'kek_pkcs11_token_label': 'kek-token', 'kek_pkcs11_key_label': 'kek-1',
  'kek_pkcs11_pin_file': c['kek_pkcs11_pin_file']}]
c['kek_pkcs11_key_label'] = 'kek-2'"
  out=$(kek rotate --retire)
  check pkcs11-to-pkcs11-rc 0 $?
  contains pkcs11-to-pkcs11-retired "is retired" "$out"
  check pkcs11-second-key pkcs11:kek-token/kek-2 "$(kek status | awk '/^current: /{print $2}')"
  edit "del c['previous_keks']"
  start
  all_authenticate credentials-second-pkcs11-key
  stop
  retired_conf=$tmp/new.json  # kek-1, retired by the rotation above
else
  edit "c['kek_file'] = '$tmp/old-kek.bin'"  # the first key file, from the operator's backup
  retired_conf=$conf
fi
out=$(timeout 20 "$attestd" serve --config "$retired_conf" 2>&1)
check retired-kek-refused-rc 1 $?
contains retired-kek-refused store.kek_retired "$out"

[ "$db" = postgres ] && drop_postgres_database
exit $fail
