#!/bin/sh
# The container's entry point: on the first start (an empty /var/lib/attestd) make the state the
# configuration names, then run attestd as user attestd in the foreground (SIGTERM drains).
set -eu
config=${ATTESTD_CONFIG:-/etc/attestd/attestd.json}
state=/var/lib/attestd

drop=""
if [ "$(id -u)" -eq 0 ]; then
  # A fresh volume may come up owned by root; attestd itself never runs as root.
  chown attestd:attestd "$state"
  chmod 0700 "$state"
  drop="setpriv --reuid=attestd --regid=attestd --init-groups"
fi
if [ -z "$(ls -A "$state")" ]; then
  $drop attestd init --data-dir "$state" --config "$config" >/dev/null
  echo "attestd: initialised $state; operator credentials in $state/operator-credentials" >&2
fi
exec $drop attestd serve --config "$config"
