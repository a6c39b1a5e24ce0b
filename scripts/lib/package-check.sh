#!/bin/sh
# Runs inside a clean Debian root where the attestd, attestctl and attest-agent packages were
# just installed (scripts/package-test). No systemd is running there: the units are verified,
# and attestd is started as its unit would start it, by hand. `check.sh container` is the
# container check alone (container_check).
set -eu
fail() {
  echo "package-check: FAILED: $*" >&2
  exit 1
}
step() { echo "package-check: $*"; }

# wait_ready URL CA: /readyz answers 200 within 30 s.
wait_ready() {
  i=0
  while [ $i -lt 300 ]; do
    if curl -fsS --cacert "$2" "$1/readyz" >/dev/null 2>&1; then
      return 0
    fi
    i=$((i + 1))
    sleep 0.1
  done
  fail "$1/readyz did not answer 200"
}

# container_check [loopback] runs the container image's entry point the way the image would
# (after container-setup.sh), in a network namespace of its own where attestd listens on
# 0.0.0.0; with `loopback` (no namespace could be made) on a copy of the image's configuration
# that listens on 127.0.0.1 instead.
container_check() {
  listen=0.0.0.0
  if [ "${1:-}" = loopback ]; then
    listen=127.0.0.1
    sed 's/"listen_host": "0.0.0.0"/"listen_host": "127.0.0.1"/' /etc/attestd/attestd.json \
      >/etc/attestd/container-loopback.json
    export ATTESTD_CONFIG=/etc/attestd/container-loopback.json
  else
    ip link set lo up
  fi
  for start in first second; do
    sh /root/container-entrypoint.sh >"/tmp/container-$start.log" 2>&1 &
    pid=$!
    wait_ready https://127.0.0.1:8443 /var/lib/attestd/tls-cert.pem
    ss -Hltn 'sport = :8443' | grep -q "$listen:8443" || fail "container: not listening on $listen:8443"
    [ "$(stat -c %U "/proc/$pid")" = attestd ] || fail "container: attestd does not run as attestd"
    kill -TERM "$pid"
    wait "$pid" || fail "container: attestd exited $? on SIGTERM"
    if [ $start = first ]; then
      grep -q "initialised /var/lib/attestd" /tmp/container-first.log ||
        fail "container: the first start did not make the state"
      [ "$(stat -c %U /var/lib/attestd/kek.bin)" = attestd ] || fail "container: kek.bin owner"
    elif grep -q initialised /tmp/container-second.log; then
      fail "container: the second start made the state again"
    fi
  done
}
if [ "${1:-}" = container ]; then
  container_check "${2:-}"
  exit 0
fi

step "systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/attestd.service \
  /lib/systemd/system/attest-agent-host.service \
  /lib/systemd/system/attest-agent-guest-unlock@data.service

step "postinst: user, state directory, state, unit enabled"
id attestd >/dev/null || fail "no user attestd"
[ "$(stat -c '%U %a' /var/lib/attestd)" = "attestd 700" ] || fail "/var/lib/attestd owner or mode"
for f in kek.bin tls-key.pem tls-cert.pem token-key.pem attestd.db operator-credentials volumes; do
  [ -e "/var/lib/attestd/$f" ] || fail "postinst did not create /var/lib/attestd/$f"
done
[ "$(stat -c %U /var/lib/attestd/kek.bin)" = attestd ] || fail "kek.bin not owned by attestd"
[ -L /etc/systemd/system/multi-user.target.wants/attestd.service ] || fail "attestd.service not enabled"
dpkg-query -W -f='${Conffiles}\n' attestd | grep -q /etc/attestd/attestd.json ||
  fail "/etc/attestd/attestd.json is not a conffile"
for page in attestd.8 attestctl.1 attest-agent.1; do
  man -w "${page%.*}" >/dev/null || fail "no man page $page"
done


step "attestd check-config on the packaged configuration and its state"
setpriv --reuid=attestd --regid=attestd --init-groups \
  /usr/sbin/attestd check-config /etc/attestd/attestd.json >/dev/null ||
  fail "attestd check-config /etc/attestd/attestd.json"

step "the packaged service: attestd serve --config /etc/attestd/attestd.json as user attestd"
# setpriv execs attestd itself (runuser would stay as its parent), so $! is attestd's pid.
setpriv --reuid=attestd --regid=attestd --init-groups \
  /usr/sbin/attestd serve --config /etc/attestd/attestd.json >/tmp/attestd.log 2>&1 &
pid=$!
wait_ready https://127.0.0.1:8443 /var/lib/attestd/tls-cert.pem
curl -fsS --cacert /var/lib/attestd/tls-cert.pem https://127.0.0.1:8443/readyz
echo
export AWS_SHARED_CREDENTIALS_FILE=/var/lib/attestd/operator-credentials
attestctl --endpoint https://127.0.0.1:8443 --profile attestd-operator \
  --ca-cert /var/lib/attestd/tls-cert.pem tenant create acme >/tmp/tenant.out ||
  fail "attestctl tenant create"
acme_id=$(sed -n 's/.*"access_key_id": *"\([^"]*\)".*/\1/p' /tmp/tenant.out | head -n 1)
acme_secret=$(sed -n 's/.*"secret_access_key": *"\([^"]*\)".*/\1/p' /tmp/tenant.out | head -n 1)
[ -n "$acme_id" ] && [ -n "$acme_secret" ] || fail "tenant create printed no keys"

step "a tenant's walkthrough with the installed attestctl: policy, volume, audit"
ctl() {
  AWS_ACCESS_KEY_ID=$acme_id AWS_SECRET_ACCESS_KEY=$acme_secret attestctl \
    --endpoint https://127.0.0.1:8443 --ca-cert /var/lib/attestd/tls-cert.pem "$@"
}
cat >/tmp/web.json <<'JSON'
{"name": "web", "snp": {"any_measurement": true, "any_host_data": true, "allow_debug": false}}
JSON
attestctl policy check /tmp/web.json >/dev/null || fail "attestctl policy check"
ctl policy put web /tmp/web.json | grep -q '"version": 1' || fail "attestctl policy put"
ctl policy get web | grep -q '"name": "web"' || fail "attestctl policy get"
# A LUKS2 image made by the packaged attestd, as user attestd, with the root's cryptsetup.
ctl volume create data >/tmp/volume.out || fail "attestctl volume create: $(cat /tmp/volume.out)"
grep -q '"volume_id": "vol-' /tmp/volume.out || fail "volume create answered no volume id"
ctl audit list >/tmp/audit.out || fail "attestctl audit list"
grep -q '"action": "volume.create"' /tmp/audit.out || fail "no volume.create audit entry"
grep -q '"client_address": "127.0.0.1"' /tmp/audit.out || fail "audit entries lack the client"
setpriv --reuid=attestd --regid=attestd --init-groups \
  attestctl audit verify --db /var/lib/attestd/attestd.db >/dev/null ||
  fail "attestctl audit verify on the packaged database"
kill -TERM "$pid"
wait "$pid" || fail "attestd serve exited $? on SIGTERM"

step "attestd init + attestd run on loopback"
attestd init --data-dir /root/attestd --listen-port 18443 >/dev/null
attestd run --data-dir /root/attestd --listen-port 18443 >/tmp/attestd-run.log 2>&1 &
pid=$!
wait_ready https://127.0.0.1:18443 /root/attestd/tls-cert.pem
kill -TERM "$pid"
wait "$pid" || fail "attestd run exited $? on SIGTERM"

step "attestctl and attest-agent run"
attestctl reasons >/dev/null || fail "attestctl reasons"
rc=0
attest-agent >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "attest-agent without arguments exited $rc, want 2 (usage)"

step "the container image's setup and entry point (deploy/container), in a network namespace"
sh /root/container-setup.sh
[ -z "$(ls -A /var/lib/attestd)" ] || fail "container-setup left state in /var/lib/attestd"
if unshare --net true 2>/dev/null; then
  unshare --net sh /root/check.sh container
else
  echo "package-check: no network namespace here: the entry point listens on 127.0.0.1 instead"
  sh /root/check.sh container loopback
fi

step "purge attestd"
apt-get purge -y -q attestd >/dev/null
[ ! -e /etc/attestd/attestd.json ] || fail "purge left /etc/attestd/attestd.json"
step "all checks passed"
