#!/bin/sh
# Runs inside a clean Debian root where the attestd, attestctl and attest-agent packages were
# just installed (scripts/package-test). No systemd is running there: the units are verified,
# and attestd is started as its unit would start it, by hand.
set -eu
fail() {
  echo "package-check: FAILED: $*" >&2
  exit 1
}
step() { echo "package-check: $*"; }

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
grep -q aws_access_key_id /tmp/tenant.out || grep -qi access /tmp/tenant.out ||
  fail "tenant create printed no keys"
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

step "purge attestd"
apt-get purge -y -q attestd >/dev/null
[ ! -e /etc/attestd/attestd.json ] || fail "purge left /etc/attestd/attestd.json"
step "all checks passed"
