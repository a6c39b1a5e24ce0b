#!/usr/bin/env bash
# services.sh start DIR: starts the real services the integration tests need, as a non-root user
# where the service demands it, loopback only, state under DIR (a temp dir the caller owns):
#   - PostgreSQL 15 (initdb + pg_ctl as user postgres, 127.0.0.1, a free port, fsync off)
#   - libvirtd + virtlogd for qemu:///system (root only; the launcher's integration test), reused
#     when one already answers; PIDs of what this script started go to DIR/*.pid
# Writes DIR/env (source it): PGHOST PGPORT PGUSER PGDATABASE, and ATTEST_LIBVIRT_URI when libvirtd
# is up. Stop with scripts/services-stop.sh DIR.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [ "$cmd" != start ] || [ -z "$dir" ]; then
  echo "usage: services.sh start DIR" >&2
  exit 2
fi
mkdir -p "$dir"
chmod 755 "$dir"
dir=$(cd "$dir" && pwd)

# --- PostgreSQL -----------------------------------------------------------------------------
. "$(dirname "$0")/lib/postgres.sh"
. "$(dirname "$0")/lib/free_port.sh"
pgbin=$(pg_bin_dir)
port=${PG_PORT:-$(free_port)}
pg_start "$dir/pg" 127.0.0.1 "$port" fast
psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc 'CREATE DATABASE attest_test' >/dev/null
cat >"$dir/env" <<ENV
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=attest_test
ENV

# --- libvirtd (monolithic daemon of Debian 12; no systemd here) ------------------------------
# qemu:///system needs root. A daemon that already answers (another checkout's services, a host
# libvirtd) is reused and left alone by services-stop.sh.
if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/libvirtd ]; then
  # Starting a guest on a libvirt network writes its MAC list here; Debian's packages create the
  # directory only with dnsmasq installed, which the isolated tenant networks do not need.
  mkdir -p /var/lib/libvirt/dnsmasq
  if virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "services: libvirtd already running: reusing it"
  else
    if ! pgrep -x virtlogd >/dev/null; then
      /usr/sbin/virtlogd -d -p "$dir/virtlogd.pid"
    fi
    /usr/sbin/libvirtd -d -p "$dir/libvirtd.pid"
    # The first start probes QEMU's capabilities (~8 s); later starts use the cache.
    for _ in $(seq 300); do
      virsh -c qemu:///system version >/dev/null 2>&1 && break
      sleep 0.1
    done
    if ! virsh -c qemu:///system version >/dev/null 2>&1; then
      echo "services: libvirtd did not answer within 30 s" >&2
      exit 1
    fi
    echo "services: libvirtd started (pid $(cat "$dir/libvirtd.pid"))"
  fi
  echo "export ATTEST_LIBVIRT_URI=qemu:///system" >>"$dir/env"
fi
echo "services: postgres $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (env: $dir/env)"
