#!/usr/bin/env bash
# services-stop.sh DIR: stops what scripts/services.sh started under DIR and removes DIR.
set -uo pipefail
dir=${1:?usage: services-stop.sh DIR}
if [ -d "$dir/pg/data" ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1
  else
    "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1
  fi
fi
rm -rf "$dir"
exit 0
