#!/usr/bin/env bash
# check_config_test.sh ATTESTD: `attestd check-config FILE` accepts the configuration `attestd
# init` writes and refuses, with exit 1 and the offending setting named, each broken variant of
# it: syntax, unknown settings, bad values, and files that are missing or are not what the setting
# says. It opens no database and listens on nothing.
set -u
attestd=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$attestd" init --data-dir "$tmp/d" >/dev/null || { echo "FAIL init"; exit 1; }
conf=$tmp/d/attestd.json
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/other.key" 2>/dev/null
echo "not a certificate" >"$tmp/garbage.pem"
# Key material others can read, and programs: what serve would refuse, check-config reports.
cp "$tmp/d/kek.bin" "$tmp/kek-open.bin" && chmod 644 "$tmp/kek-open.bin"
printf '1234\n' >"$tmp/pin" && chmod 600 "$tmp/pin"
printf '1234\n' >"$tmp/pin-open" && chmod 644 "$tmp/pin-open"
ln -s "$tmp/pin-open" "$tmp/pin-link"
printf '#!/bin/sh\nexit 0\n' >"$tmp/cryptsetup" && chmod 755 "$tmp/cryptsetup"
printf '#!/bin/sh\nexit 0\n' >"$tmp/cryptsetup-noexec" && chmod 644 "$tmp/cryptsetup-noexec"
pkcs11="del c['kek_file']; c['kek_pkcs11_module'] = '/usr/lib/softhsm/libsofthsm2.so'; c['kek_pkcs11_token_label'] = 't'; c['kek_pkcs11_key_label'] = 'k'"

# variant NAME PYTHON: writes $tmp/c.json, attestd.json with PYTHON applied to the dict `c`.
variant() {
  python3 - "$conf" "$tmp/c.json" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"))
PY
}

# expect NAME WANT_RC NEEDLE FILE
expect() {
  local out rc
  out=$("$attestd" check-config "$4" 2>&1)
  rc=$?
  if [ "$rc" != "$2" ]; then
    echo "FAIL $1: exit $rc, want $2: $out"; fail=1
  elif [[ "$out" != *"$3"* ]]; then
    echo "FAIL $1: [$out] lacks [$3]"; fail=1
  else
    echo "ok   $1"
  fi
}

expect "init's configuration" 0 "is valid" "$conf"
# The load bounds as resolved: init's file pins half of its 8 server threads.
expect "reports the verification bound" 0 "max_concurrent_verifications 4" "$conf"
expect "missing file" 1 "attestd.json" "$tmp/none/attestd.json"
echo '{"listen_port": 8443,' >"$tmp/broken.json"
expect "not JSON" 1 "api.config_invalid" "$tmp/broken.json"

cases=(
  "unknown setting|c['listen_prot'] = 8443|listen_prot"
  "port out of range|c['listen_port'] = 70000|listen_port"
  "listen_host not an address|c['listen_host'] = 'localhost'|localhost"
  "TLS floor 1.0|c['tls_min_version'] = '1.0'|tls_min_version"
  "no usable cipher|c['tls_ciphers'] = 'NULL-MD5'|cipher"
  "TLS certificate missing|c['tls_cert'] = '$tmp/none.pem'|none.pem"
  "TLS key of another certificate|c['tls_key'] = '$tmp/other.key'|api.config_invalid"
  "TLS certificate not PEM|c['tls_cert'] = '$tmp/garbage.pem'|garbage.pem"
  "volume_dir not a directory|c['volume_dir'] = '$conf'|volume_dir"
  "test_roots missing|c['test_roots'] = '$tmp/none.json'|none.json"
  "token_key not a key|c['token_key'] = '$tmp/garbage.pem'|garbage.pem"
  "ek_ca_bundle not certificates|c['ek_ca_bundle'] = '$tmp/garbage.pem'|ek_ca_bundle"
  "trusted_proxies not CIDRs|c['trusted_proxies'] = ['10.0.0.1/33']|trusted_proxies"
  "tenant_net_pools not a CIDR|c['tenant_net_pools'] = ['10.0.0.0/8', '172.16.0.0/33']|tenant_net_pools"
  "tenant_net_pools IPv6|c['tenant_net_pools'] = ['fd00::/8']|tenant_net_pools"
  "reserved_cidrs host bits|c['reserved_cidrs'] = ['10.1.2.3/16']|reserved_cidrs"
  "allow_test_libvirt_uris not a bool|c['allow_test_libvirt_uris'] = 'yes'|allow_test_libvirt_uris"
  "slow work holds every request thread|c['server_threads'] = 4; c['slow_work_threads'] = 3; c['slow_work_queue'] = 1|slow_work_threads"
  "verifications hold every request thread|c['max_concurrent_verifications'] = c['server_threads']|max_concurrent_verifications"
  "verification bound zero|c['max_concurrent_verifications'] = 0|max_concurrent_verifications"
  "metrics_allowed_cidrs not CIDRs|c['metrics_allowed_cidrs'] = ['prometheus.example']|metrics_allowed_cidrs"
  "kek_file readable by others|c['kek_file'] = '$tmp/kek-open.bin'|keys.key_file_invalid: kek_file"
  "kek_file missing|c['kek_file'] = '$tmp/none.bin'|keys.key_file_invalid: kek_file"
  "pin file readable by others|$pkcs11; c['kek_pkcs11_pin_file'] = '$tmp/pin-open'|keys.pkcs11_pin_file_invalid: kek_pkcs11_pin_file"
  "pin file a symlink to an open file|$pkcs11; c['kek_pkcs11_pin_file'] = '$tmp/pin-link'|keys.pkcs11_pin_file_invalid"
  "pin file a directory|$pkcs11; c['kek_pkcs11_pin_file'] = '$tmp'|keys.pkcs11_pin_file_invalid"
  "pin file missing|$pkcs11; c['kek_pkcs11_pin_file'] = '$tmp/none'|keys.pkcs11_pin_unavailable"
  "cryptsetup_path relative|c['cryptsetup_path'] = 'cryptsetup'|cryptsetup_path"
  "cryptsetup_path not executable|c['cryptsetup_path'] = '$tmp/cryptsetup-noexec'|keys.config_invalid: cryptsetup_path"
)
for row in "${cases[@]}"; do
  IFS='|' read -r name edit needle <<<"$row"
  variant "$name" "$edit"
  expect "$name" 1 "$needle" "$tmp/c.json"
done

# init writes the default pools; an operator's own ranges check.
variant "own ranges" "c['tenant_net_pools'] = ['100.64.0.0/10']; c['reserved_cidrs'] = ['100.64.0.0/16']"
expect "own tenant net ranges" 0 "is valid" "$tmp/c.json"
grep -q '"tenant_net_pools"' "$conf" && echo "ok   init writes tenant_net_pools" ||
  { echo "FAIL init did not write tenant_net_pools"; fail=1; }
# A PKCS#11 KEK whose PIN file is owner-only, and a configured cryptsetup, pass (the token is not
# logged in to: check-config opens no KEK).
variant "pkcs11 pin file" "$pkcs11; c['kek_pkcs11_pin_file'] = '$tmp/pin'"
expect "owner-only pin file" 0 "is valid" "$tmp/c.json"
variant "cryptsetup" "c['cryptsetup_path'] = '$tmp/cryptsetup'"
expect "absolute cryptsetup_path" 0 "is valid" "$tmp/c.json"

# Nothing is opened: a database that does not exist is not created.
variant "new database" "c['database'] = 'sqlite:$tmp/new.db'"
expect "a database not yet made" 0 "is valid" "$tmp/c.json"
[ -e "$tmp/new.db" ] && { echo "FAIL check-config created the database"; fail=1; }

out=$("$attestd" check-config 2>&1)
[ $? = 2 ] && echo "ok   usage without FILE" || { echo "FAIL usage: $out"; fail=1; }
exit $fail
