#!/usr/bin/env bash
# slow_work_test.sh ATTESTD: the real attestd with a small request pool (server_threads 4) and
# slow-work pool (1 thread, 1 queued), and a `cryptsetup` (its cryptsetup_path; attestd never
# searches PATH) that holds each luksFormat until the test opens a gate, then runs the real one. While two volume creations are held (one
# formatting, one queued), further creations answer 503 work.busy with Retry-After at once, and a
# tenant's GET /v1/policies, a key-release challenge and /readyz still answer before the held
# creations finish (ordering only, no timing bounds). Then the gate opens: both finish 201 with
# PBKDF2 keyslots, and the refused requests left no volume and no image behind.
set -u
attestd=$1
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  touch "$tmp/gate"  # never leave a held cryptsetup behind
  rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/checks.sh"
real_cryptsetup=$(command -v cryptsetup || true)
if [ -z "$real_cryptsetup" ]; then
  [ -n "${CI:-}" ] && { echo "FAIL cryptsetup not installed"; exit 1; }
  echo "SKIP cryptsetup not installed"; exit 0
fi
. "$(dirname "$0")/../../scripts/lib/free_port.sh"

mkdir -p "$tmp/bin"
cat >"$tmp/bin/cryptsetup" <<SCRIPT
#!/bin/sh
while [ ! -e "$tmp/gate" ]; do sleep 0.05; done
exec "$real_cryptsetup" "\$@"
SCRIPT
chmod 755 "$tmp/bin/cryptsetup"

port=$(free_port)
data=$tmp/data
"$attestd" init --data-dir "$data" --listen-port "$port" >"$tmp/init.out" 2>&1
check init-rc 0 $?
sed -i -e 's/"server_threads": [0-9]*/"server_threads": 4/' \
  -e 's/"slow_work_threads": [0-9]*/"slow_work_threads": 1/' \
  -e 's/"slow_work_queue": [0-9]*/"slow_work_queue": 1/' \
  -e 's/"collateral_fetch": true/"collateral_fetch": false/' "$data/attestd.json"
python3 - "$data/attestd.json" "$tmp/bin/cryptsetup" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["cryptsetup_path"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
contains config-slow-work '"slow_work_queue": 1' "$(cat "$data/attestd.json")"

"$attestd" serve --config "$data/attestd.json" >"$tmp/serve.log" 2>&1 &
pid=$!
url=https://127.0.0.1:$port
for _ in $(seq 1 100); do
  curl -sf --cacert "$data/tls-cert.pem" "$url/healthz" >/dev/null && break
  sleep 0.1
done

op_id=$(awk -F' = ' '/aws_access_key_id/{print $2}' "$data/operator-credentials")
op_secret=$(awk -F' = ' '/aws_secret_access_key/{print $2}' "$data/operator-credentials")
call() {  # call USER:SECRET METHOD PATH [curl args...] -> "BODY STATUS"
  local user=$1 method=$2 path=$3
  shift 3
  # a fresh signed X-Request-Id: attestd accepts each signature of a change once
  curl -s --cacert "$data/tls-cert.pem" --aws-sigv4 "aws:amz:local:attestd" --user "$user" \
    -H "X-Request-Id: $(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')" \
    -X "$method" -w ' %{http_code}' "$@" "$url$path"
}
json=(-H 'Content-Type: application/json')
out=$(call "$op_id:$op_secret" POST /v1/tenants "${json[@]}" -d '{"name":"acme"}')
check tenant-create 201 "${out##* }"
t_id=$(echo "${out% *}" | sed -n 's/.*"access_key_id":"\([^"]*\)".*/\1/p')
t_secret=$(echo "${out% *}" | sed -n 's/.*"secret_access_key":"\([^"]*\)".*/\1/p')
tenant=$t_id:$t_secret
volume() {  # volume NAME -> "BODY STATUS"
  call "$tenant" POST /v1/volumes "${json[@]}" -d "{\"name\":\"$1\",\"size_bytes\":33554432}" "${@:2}"
}
metric() {  # metric NAME -> value
  curl -s --cacert "$data/tls-cert.pem" "$url/metrics" | awk -v m="$1" '$1 == m {print $2}'
}

# Two creations take the slow-work thread and its one queue place, and wait at the gate.
volume held-1 >"$tmp/held-1.out" &
held1=$!
volume held-2 >"$tmp/held-2.out" &
held2=$!
for _ in $(seq 1 300); do
  [ "$(metric attestd_slow_work_running)" = 1 ] && [ "$(metric attestd_slow_work_queued)" = 1 ] && break
  sleep 0.1
done
check pool-running 1 "$(metric attestd_slow_work_running)"
check pool-queued 1 "$(metric attestd_slow_work_queued)"

# The pool is full: more creations are refused at once, with a reason and a Retry-After.
for n in 3 4; do
  out=$(volume "refused-$n" -D "$tmp/refused-$n.headers")
  check "refused-$n-status" 503 "${out##* }"
  contains "refused-$n-code" '"code":"work.busy"' "$out"
  retry=$(tr -d '\r' <"$tmp/refused-$n.headers" | awk -F': ' 'tolower($1) == "retry-after" {print $2}')
  case "$retry" in [1-9] | [1-9][0-9]) echo "ok   refused-$n-retry-after $retry" ;;
    *) echo "FAIL refused-$n-retry-after: [$retry]"; fail=1 ;; esac
done

# Other routes still have request threads while the held creations wait.
out=$(call "$tenant" GET /v1/policies)
check policies-while-formatting 200 "${out##* }"
out=$(curl -s --cacert "$data/tls-cert.pem" -w ' %{http_code}' "${json[@]}" \
  -d '{"vm_id":"vm-00000000000000000000000000000000"}' "$url/v1/attest/challenge")
check challenge-while-formatting 404 "${out##* }"
out=$(curl -s --cacert "$data/tls-cert.pem" -w ' %{http_code}' "$url/readyz")
check readyz-while-formatting 200 "${out##* }"
contains readyz-checks '"checks":{"database":"ok","kek":"ok"}' "$out"
# ...and the held ones have not finished: the cheap requests answered first.
check held-1-still-waiting "" "$(cat "$tmp/held-1.out")"
check held-2-still-waiting "" "$(cat "$tmp/held-2.out")"

touch "$tmp/gate"
wait "$held1"
wait "$held2"
check held-1-created 201 "$(awk '{print $NF}' "$tmp/held-1.out")"
check held-2-created 201 "$(awk '{print $NF}' "$tmp/held-2.out")"
out=$(call "$tenant" GET /v1/volumes)
check volumes-listed 2 "$(echo "$out" | grep -o '"volume_id"' | wc -l)"
check images-on-disk 2 "$(find "$data/volumes" -name '*.img' | wc -l)"
image=$(find "$data/volumes" -name '*.img' | head -1)
contains image-pbkdf2 "pbkdf2" "$("$real_cryptsetup" luksDump "$image" | grep -i 'PBKDF:')"
contains refused-counted 'attestd_slow_work_refused_total{route="/v1/volumes"} 2' \
  "$(curl -s --cacert "$data/tls-cert.pem" "$url/metrics")"

if [ $fail -ne 0 ]; then
  echo "--- serve.log"; cat "$tmp/serve.log"
fi
exit $fail
