#!/usr/bin/env bash
# services-stop.sh DIR: stops what scripts/services.sh started under DIR and removes DIR.
set -uo pipefail
dir=${1:?usage: services-stop.sh DIR}
. "$(dirname "$0")/lib/postgres.sh"
pg_stop "$dir/pg"
# Only daemons this checkout's services.sh started (their pid files are in DIR; libvirtd removes
# its own pid file when it exits, so remember first whether it was ours).
started_libvirtd=false
[ -s "$dir/libvirtd.pid" ] && started_libvirtd=true
for f in libvirtd virtlogd; do
  if [ -s "$dir/$f.pid" ]; then
    pid=$(cat "$dir/$f.pid")
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
done
# libvirtd's network driver leaves its private chains behind; once the daemon this script started
# is gone, remove those that are empty (a chain with rules belongs to something else).
if $started_libvirtd && command -v iptables >/dev/null; then
  for tool in iptables ip6tables; do
  for spec in filter:LIBVIRT_INP:INPUT filter:LIBVIRT_OUT:OUTPUT filter:LIBVIRT_FWX:FORWARD \
              filter:LIBVIRT_FWI:FORWARD filter:LIBVIRT_FWO:FORWARD nat:LIBVIRT_PRT:POSTROUTING \
              mangle:LIBVIRT_PRT:POSTROUTING; do
    IFS=: read -r table chain from <<<"$spec"
    if [ "$($tool -t "$table" -S "$chain" 2>/dev/null)" = "-N $chain" ]; then
      while $tool -t "$table" -D "$from" -j "$chain" 2>/dev/null; do :; done
      $tool -t "$table" -X "$chain" 2>/dev/null
    fi
  done
  done
fi
rm -rf "$dir"
exit 0
