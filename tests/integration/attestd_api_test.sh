#!/usr/bin/env bash
# attestd_api_test.sh ATTESTD ATTESTCTL sqlite|postgres: the real attestd process over HTTPS,
# driven by Debian's `curl --aws-sigv4` and by `attestctl`'s client commands. Checks init (0600
# files, credentials printed once, no overwrite), TLS 1.2+ AEAD only, certificate reload on
# SIGHUP and when its files change, SigV4 refusals with AWS codes, replayed signed changes,
# tenant isolation (another tenant's policy answers exactly like a missing one), hostile bodies
# (4xx JSON, never 5xx), metrics and readiness, and a restart that still opens the sealed
# credentials. postgres needs the PG* environment scripts/services.sh writes (never skipped).
set -u
attestd=$1
attestctl=$2
db=${3:-sqlite}
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/checks.sh"
. "$(dirname "$0")/../../scripts/lib/free_port.sh"

database=""
if [ "$db" = postgres ]; then
  fresh_postgres_database attestd_api  # a fresh database per run so init creates the operator
fi

port=$(free_port)
data=$tmp/data
init_args=(init --data-dir "$data" --listen-port "$port")
[ -n "$database" ] && init_args+=(--database "$database")
"$attestd" "${init_args[@]}" >"$tmp/init.out" 2>&1
check init-rc 0 $?
contains init-prints-secret "aws_secret_access_key = " "$(cat "$tmp/init.out")"
for f in attestd.json kek.bin tls-key.pem operator-credentials; do
  check "mode-$f" 600 "$(stat -c %a "$data/$f")"
done
"$attestd" "${init_args[@]}" >"$tmp/init2.out" 2>&1
check init-no-overwrite 1 $?
contains init-no-overwrite-msg "exists" "$(cat "$tmp/init2.out")"
# No test ever reaches AMD's or Intel's servers: the collateral refresh task stays off.
sed -i 's/"collateral_fetch": true/"collateral_fetch": false/' "$data/attestd.json"
contains init-writes-collateral-fetch '"collateral_fetch": false' "$(cat "$data/attestd.json")"

start

url=https://127.0.0.1:$port
op_id=$(awk -F' = ' '/aws_access_key_id/{print $2}' "$data/operator-credentials")
op_secret=$(awk -F' = ' '/aws_secret_access_key/{print $2}' "$data/operator-credentials")
sig=(--aws-sigv4 "aws:amz:local:attestd")
json=(-H 'Content-Type: application/json')

# --- TLS: 1.2 and 1.3 only, the self-signed certificate verifies for 127.0.0.1 ---
check tls12 0 "$(curl -s -o /dev/null --tlsv1.2 --tls-max 1.2 --cacert "$data/tls-cert.pem" "$url/healthz"; echo $?)"
check tls11-refused 1 "$(echo | openssl s_client -connect "127.0.0.1:$port" -tls1_1 >/dev/null 2>&1; echo $?)"
check untrusted-cert-refused 60 "$(curl -s -o /dev/null "$url/healthz"; echo $?)"

check cbc-refused 1 "$(echo | openssl s_client -connect "127.0.0.1:$port" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 >/dev/null 2>&1; echo $?)"
contains init-writes-tls-floor '"tls_min_version": "1.2"' "$(cat "$data/attestd.json")"

# --- SIGHUP: a new certificate for new connections; a broken one keeps the current one ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=renewed \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/new-key.pem" -out "$tmp/new-cert.pem" 2>/dev/null
cp "$data/tls-cert.pem" "$tmp/old-cert.pem"
cp "$tmp/new-cert.pem" "$data/tls-cert.pem"
cp "$tmp/new-key.pem" "$data/tls-key.pem"
kill -HUP "$pid"
sleep 0.5
check sighup-new-cert 0 "$(curl -s -o /dev/null --cacert "$tmp/new-cert.pem" "$url/healthz"; echo $?)"
check sighup-old-cert-gone 60 "$(curl -s -o /dev/null --cacert "$tmp/old-cert.pem" "$url/healthz"; echo $?)"
echo "not a certificate" >"$data/tls-cert.pem"
kill -HUP "$pid"
sleep 0.5
check sighup-broken-keeps-cert 0 "$(curl -s -o /dev/null --cacert "$tmp/new-cert.pem" "$url/healthz"; echo $?)"
contains sighup-broken-logged "TLS certificate not reloaded, still serving the old one" "$(cat "$tmp/serve.log")"
check sighup-still-serving 0 "$(kill -0 "$pid"; echo $?)"
cp "$tmp/new-cert.pem" "$data/tls-cert.pem"

# --- a renewal that only rewrites the files is picked up without a signal ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=watched \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/watched-key.pem" -out "$tmp/watched-cert.pem" 2>/dev/null
cp "$tmp/watched-cert.pem" "$data/tls-cert.pem"
cp "$tmp/watched-key.pem" "$data/tls-key.pem"
watched=1
for _ in $(seq 1 40); do  # attestd polls every 2 s and waits for one quiet poll
  if curl -s -o /dev/null --cacert "$tmp/watched-cert.pem" "$url/healthz"; then watched=0; break; fi
  sleep 0.25
done
check file-change-new-cert 0 "$watched"
contains file-change-logged 'TLS certificate reloaded on="file change"' "$(cat "$tmp/serve.log")"

# --- operator creates two tenants with curl --aws-sigv4 ---
out=$(call "$op_id:$op_secret" POST /v1/tenants "${json[@]}" -d '{"name":"acme"}')
check tenant-create 201 "${out##* }"
acme_id=$(echo "${out% *}" | sed -n 's/.*"access_key_id":"\([^"]*\)".*/\1/p')
acme_secret=$(echo "${out% *}" | sed -n 's/.*"secret_access_key":"\([^"]*\)".*/\1/p')
out=$(call "$op_id:$op_secret" POST /v1/tenants "${json[@]}" -d '{"name":"evil"}')
evil_id=$(echo "${out% *}" | sed -n 's/.*"access_key_id":"\([^"]*\)".*/\1/p')
evil_secret=$(echo "${out% *}" | sed -n 's/.*"secret_access_key":"\([^"]*\)".*/\1/p')
check tenant-duplicate 409 "$(call "$op_id:$op_secret" POST /v1/tenants "${json[@]}" -d '{"name":"acme"}' | awk '{print $NF}')"

# --- a signed change is accepted once: the same signed bytes again are a replay ---
out=$(REQUEST_ID=once call "$op_id:$op_secret" POST /v1/tenants "${json[@]}" -d '{"name":"once"}' \
  -v 2>"$tmp/signed.trace")
check replay-first 201 "${out##* }"
auth=$(sed -n 's/^> Authorization: //p' "$tmp/signed.trace" | tr -d '\r')
stamp=$(sed -n 's/^> X-Amz-Date: //p' "$tmp/signed.trace" | tr -d '\r')
out=$(curl -s --cacert "$data/tls-cert.pem" -X POST -w ' %{http_code}' "${json[@]}" \
  -H "Authorization: $auth" -H "X-Amz-Date: $stamp" -H "X-Request-Id: once" \
  -d '{"name":"once"}' "$url/v1/tenants")
check replay-refused 403 "${out##* }"
contains replay-code store.request_replayed "$out"

# --- tenant policies with curl ---
cat >"$tmp/p.json" <<'JSON'
{"name": "web", "snp": {"any_measurement": true, "any_host_data": true, "allow_debug": false}}
JSON
out=$(call "$acme_id:$acme_secret" PUT /v1/policies/web "${json[@]}" --data-binary @"$tmp/p.json")
check policy-put 201 "${out##* }"
contains policy-put-version '"version":1' "$out"
out=$(call "$acme_id:$acme_secret" GET /v1/policies/web)
check policy-get 200 "${out##* }"
theirs=$(call "$evil_id:$evil_secret" GET /v1/policies/web)
missing=$(call "$evil_id:$evil_secret" GET /v1/policies/wfb)
check isolation-status 404 "${theirs##* }"
check isolation-same-body "$(echo "$missing" | sed 's/wfb/web/g')" "$theirs"

# --- SigV4 refusals ---
out=$(call "$acme_id:wrong" GET /v1/policies)
check bad-secret 403 "${out##* }"
contains bad-secret-code '"code":"SignatureDoesNotMatch"' "$out"
contains bad-secret-canonical '"canonical_request":"GET\n/v1/policies' "$out"
out=$(call "AKIAUNKNOWN000000000:$acme_secret" GET /v1/policies)
contains unknown-key '"code":"InvalidAccessKeyId"' "$out"
out=$(curl -s --cacert "$data/tls-cert.pem" -w ' %{http_code}' "$url/v1/policies")
check unsigned 403 "${out##* }"
contains unsigned-code MissingAuthenticationToken "$out"
out=$(call "$acme_id:$acme_secret" POST /v1/tenants "${json[@]}" -d '{"name":"x"}')
check tenant-not-operator 403 "${out##* }"

# --- hostile bodies: 4xx JSON, never 5xx ---
out=$(call "$acme_id:$acme_secret" PUT /v1/policies/bad "${json[@]}" -d '{"name":"bad",')
check malformed-json 400 "${out##* }"
contains malformed-json-code '"code":"api.malformed_json"' "$out"
out=$(call "$acme_id:$acme_secret" PUT /v1/policies/bad -H 'Content-Type: text/plain' -d '{}')
contains wrong-type '"code":"api.unsupported_media_type"' "$out"
out=$(call "$acme_id:$acme_secret" PUT /v1/policies/bad "${json[@]}" -d '{"name":"bad","snp":{"bogus":1}}')
contains policy-invalid '"code":"policy.invalid"' "$out"
contains policy-invalid-path 'snp.bogus' "$out"
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$tmp/huge"
out=$(curl -s --cacert "$data/tls-cert.pem" -w ' %{http_code}' -X PUT "${json[@]}" \
  --data-binary @"$tmp/huge" "$url/v1/policies/huge")
check huge-body 413 "${out##* }"

# --- attestctl client commands, credentials as the AWS CLI reads them ---
mkdir -p "$tmp/home/.aws"
cat >"$tmp/home/.aws/credentials" <<INI
[acme]
aws_access_key_id = $acme_id
aws_secret_access_key = $acme_secret
INI
ctl() { HOME=$tmp/home "$attestctl" --endpoint "$url" --ca-cert "$data/tls-cert.pem" "$@"; }
out=$(ctl --profile acme policy list 2>&1)
check ctl-list-rc 0 $?
contains ctl-list '"name": "web"' "$out"
out=$(ctl --profile acme policy put web "$tmp/p.json" 2>&1)
contains ctl-put '"version": 2' "$out"
out=$(ctl --profile acme policy get web --version 1 2>&1)
contains ctl-get-version '"version": 1' "$out"
out=$(ctl --profile acme policy revoke web 1 2>&1)
check ctl-revoke-rc 0 $?
contains ctl-revoke '"revoked_at"' "$out"
out=$(ctl --profile acme policy revoke web 99 2>&1)
contains ctl-revoke-unknown 'store.not_found' "$out"
out=$(HOME=$tmp/home AWS_ACCESS_KEY_ID=$evil_id AWS_SECRET_ACCESS_KEY=$evil_secret \
  "$attestctl" --endpoint "$url" --ca-cert "$data/tls-cert.pem" policy get web 2>&1)
check ctl-env-isolated-rc 1 $?
contains ctl-env-isolated 'store.not_found' "$out"
out=$(ctl --profile acme audit list --limit 10 2>&1)
contains ctl-audit '"action": "policy.put"' "$out"
out=$(HOME=$tmp/home "$attestctl" --endpoint "$url" --ca-cert /etc/ssl/certs/ca-certificates.crt \
  --profile acme policy list 2>&1)
check ctl-untrusted-server 2 $?
contains ctl-untrusted-server-msg 'SSL handshake' "$out"
out=$(ctl --profile nobody policy list 2>&1)
check ctl-no-profile 2 $?

# --- tenant network resources (issue 10): security groups and nets, curl and attestctl ---
cat >"$tmp/sg.json" <<'JSON'
{"description": "web tier", "rules": [
  {"protocol": "tcp", "from_port": 443, "to_port": 443, "source_cidr": "0.0.0.0/0"},
  {"protocol": "icmp", "source_cidr": "10.0.0.0/8"}]}
JSON
out=$(call "$acme_id:$acme_secret" PUT /v1/security-groups/web "${json[@]}" --data-binary @"$tmp/sg.json")
check sg-put 201 "${out##* }"
contains sg-filter-name '"filter_name":"attest-sg-sg-' "$out"
out=$(call "$acme_id:$acme_secret" PUT /v1/security-groups/bad "${json[@]}" \
  -d '{"rules":[{"protocol":"tcp","from_port":9,"to_port":1,"source_cidr":"10.0.0.0/8"}]}')
check sg-bad-ports 400 "${out##* }"
contains sg-bad-ports-code '"code":"launcher.invalid_port_range"' "$out"
out=$(call "$evil_id:$evil_secret" PUT /v1/security-groups/mine "${json[@]}" \
  -d '{"rules":[{"protocol":"all","source_group":"web"}]}')
contains sg-foreign-source '"code":"launcher.unknown_source_group"' "$out"
theirs=$(call "$evil_id:$evil_secret" GET /v1/security-groups/web)
missing=$(call "$evil_id:$evil_secret" GET /v1/security-groups/wfb)
check sg-isolation-status 404 "${theirs##* }"
check sg-isolation-same-body "$(echo "$missing" | sed 's/wfb/web/g')" "$theirs"
echo '{"cidr": "10.20.0.0/24", "internet_gateway": false}' >"$tmp/net.json"
out=$(ctl --profile acme net put lan "$tmp/net.json" 2>&1)
check ctl-net-put-rc 0 $?
contains ctl-net-network '"network_name": "attest-net-net-' "$out"
contains ctl-net-bridge '"bridge_name": "vbr' "$out"
out=$(call "$evil_id:$evil_secret" PUT /v1/nets/lan "${json[@]}" --data-binary @"$tmp/net.json")
check net-same-cidr-other-tenant 201 "${out##* }"
echo '{"cidr": "10.20.0.128/25"}' >"$tmp/net2.json"
out=$(ctl --profile acme net put lan2 "$tmp/net2.json" 2>&1)
check ctl-net-overlap-rc 1 $?
contains ctl-net-overlap 'api.cidr_overlap' "$out"
out=$(ctl --profile acme security-group list 2>&1)
contains ctl-sg-list '"description": "web tier"' "$out"
out=$(ctl --profile acme net get lan 2>&1)
contains ctl-net-get '"cidr": "10.20.0.0/24"' "$out"
out=$(ctl --profile acme net list 2>&1)
contains ctl-net-list '"name": "lan"' "$out"
out=$(ctl --profile acme security-group get web 2>&1)
contains ctl-sg-get '"from_port": 443' "$out"
out=$(ctl --profile acme net delete lan 2>&1)
check ctl-net-delete-rc 0 $?
out=$(ctl --profile acme security-group delete web 2>&1)
check ctl-sg-delete-rc 0 $?
check sg-gone 404 "$(call "$acme_id:$acme_secret" GET /v1/security-groups/web | awk '{print $NF}')"
out=$(ctl --profile acme audit list --limit 100 2>&1)
contains ctl-audit-sg '"action": "security_group.delete"' "$out"
contains ctl-audit-net '"action": "net.put"' "$out"

# --- boot images through attestctl: files streamed over HTTPS with their SHA-256 signed (issue 20) ---
python3 -c 'import sys; b=bytearray(3<<20); b[0:2]=b"MZ"; b[0x3c]=0x80; b[0x80:0x84]=b"PE\0\0"; sys.stdout.buffer.write(b)' >"$tmp/vmlinuz"
head -c 1048577 /dev/urandom >"$tmp/initrd"
out=$(ctl --profile acme boot-image put deb --kernel "$tmp/vmlinuz" --initrd "$tmp/initrd" --cmdline "console=ttyS0" 2>&1)
check ctl-boot-image-put-rc 0 $?
contains ctl-boot-image-put-sha384 "\"sha384\": \"$(sha384sum "$tmp/vmlinuz" | cut -d' ' -f1)\"" "$out"
out=$(ctl --profile acme boot-image get deb 2>&1)
contains ctl-boot-image-get "\"sha256\": \"$(sha256sum "$tmp/initrd" | cut -d' ' -f1)\"" "$out"
out=$(ctl --profile acme boot-image put bad --kernel "$tmp/initrd" 2>&1)
check ctl-boot-image-not-kernel-rc 1 $?
contains ctl-boot-image-not-kernel '"code": "boot.kernel_invalid"' "$out"
check ctl-boot-image-files 2 "$(find "$data/volumes" -name 'boot-*' | wc -l)"
check ctl-boot-image-no-temp 0 "$(find "$data/volumes" -name '.upload-*' | wc -l)"
out=$(ctl --profile acme boot-image list 2>&1)
contains ctl-boot-image-list '"name": "deb"' "$out"
check ctl-boot-image-delete-rc 0 "$(ctl --profile acme boot-image delete deb >/dev/null 2>&1; echo $?)"
check ctl-boot-image-deleted-files 0 "$(find "$data/volumes" -name 'boot-*' | wc -l)"

# --- volumes and VM records through attestctl (issues 9, 10) ---
out=$(ctl --profile acme volume create data 2>&1)
check ctl-volume-create-rc 0 $?
contains ctl-volume-create '"volume_id": "vol-' "$out"
vol=$(echo "$out" | sed -n 's/.*"volume_id": "\(vol-[0-9a-f]*\)".*/\1/p')
out=$(ctl --profile acme vm create --tee snp --policy web --volume "$vol" --vcpus two 2>&1)
check ctl-vm-bad-vcpus-rc 2 $?
contains ctl-vm-bad-vcpus '--vcpus wants a number' "$out"
out=$(ctl --profile acme vm create --tee snp --policy web --volume "$vol" --net lan, 2>&1)
check ctl-vm-empty-net-rc 2 $?
# A launch request reaches the API (which refuses it here: no snp rules or no trusted host).
out=$(ctl --profile acme vm create --tee snp --policy web --volume "$vol" --net lan --vcpus 2 2>&1)
check ctl-vm-launch-refused-rc 1 $?
contains ctl-vm-launch-refused '"code"' "$out"
out=$(ctl --profile acme volume delete "$vol" 2>&1)
check ctl-volume-delete-rc 0 $?

# --- webhooks through attestctl (issue 15): the secret from a file, never shown again ---
printf 'acme-webhook-secret-0123\n' >"$tmp/hook.secret"
out=$(ctl --profile acme webhook put vms --url https://hooks.example.com/acme \
  --events vm.host_untrusted,release.denied --secret-file "$tmp/hook.secret" 2>&1)
check ctl-webhook-put-rc 0 $?
contains ctl-webhook-put '"events": [' "$out"
out=$(ctl --profile acme webhook put hosts --url https://hooks.example.com/acme \
  --events host.untrusted --secret-file "$tmp/hook.secret" 2>&1)
check ctl-webhook-tenant-host-events-rc 1 $?
contains ctl-webhook-tenant-host-events 'webhook.event_not_allowed' "$out"
out=$(ctl --profile acme webhook put vms2 --url http://hooks.example.com/acme \
  --events release.denied --secret-file "$tmp/hook.secret" 2>&1)
check ctl-webhook-http-rc 1 $?
contains ctl-webhook-http 'webhook.url_not_https' "$out"
out=$(ctl --profile acme webhook list 2>&1)
check ctl-webhook-list-rc 0 $?
contains ctl-webhook-list '"name": "vms"' "$out"
out=$(ctl --profile acme webhook get vms 2>&1)
check ctl-webhook-get-rc 0 $?
case "$out" in *acme-webhook-secret*) echo "FAIL ctl-webhook-secret-hidden"; fail=1 ;;
  *) echo "ok   ctl-webhook-secret-hidden" ;; esac
out=$(ctl --profile acme webhook deliveries vms 2>&1)
contains ctl-webhook-deliveries '"deliveries": []' "$out"
out=$(ctl --profile acme webhook delete vms 2>&1)
check ctl-webhook-delete-rc 0 $?
out=$(ctl --profile acme webhook get vms 2>&1)
check ctl-webhook-gone-rc 1 $?

# --- health, readiness, metrics ---
check readyz 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$data/tls-cert.pem" "$url/readyz")"
metrics=$(curl -s --cacert "$data/tls-cert.pem" "$url/metrics")
contains metrics-route 'attestd_http_requests_total{method="PUT",route="/v1/policies/{name}",status="201"}' "$metrics"
contains metrics-latency 'attestd_http_request_duration_seconds_bucket{route="/v1/policies/{name}",le="+Inf"}' "$metrics"

# --- PostgreSQL: a second replica on the same database and KEK serves the same state ---
if [ "$db" = postgres ]; then
  port2=$(free_port)
  sed "s/\"listen_port\": $port/\"listen_port\": $port2/" "$data/attestd.json" >"$tmp/replica2.json"
  "$attestd" serve --config "$tmp/replica2.json" >>"$tmp/serve2.log" 2>&1 &
  pid2=$!
  for _ in $(seq 1 100); do
    curl -sf --cacert "$data/tls-cert.pem" "https://127.0.0.1:$port2/readyz" >/dev/null && break
    sleep 0.1
  done
  out=$(curl -s --cacert "$data/tls-cert.pem" "${sig[@]}" --user "$acme_id:$acme_secret" \
    -w ' %{http_code}' "https://127.0.0.1:$port2/v1/policies/web")
  check replica-auth 200 "${out##* }"
  contains replica-state '"version":2' "$out"
  kill "$pid2"; wait "$pid2" 2>/dev/null
fi

# --- restart: the sealed credentials still open, state persists ---
stop
start
out=$(call "$acme_id:$acme_secret" GET /v1/policies/web)
check restart-auth 200 "${out##* }"
contains restart-version '"version":2' "$out"
stop

if [ "$db" = postgres ]; then drop_postgres_database; fi
[ "$fail" = 0 ] && echo "attestd_api_test ($db): all passed"
exit "$fail"
