# shellcheck shell=bash
# postgres.sh (sourced): Debian's PostgreSQL server for scripts/services.sh and deploy/ha/ha.sh.
# The server refuses to run as root, so as root every command runs as the postgres user the
# package creates.

# pg_bin_dir prints the newest installed server's bin directory (empty when none is installed).
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# pg_start DIR ADDRESS PORT durable|fast: initdb DIR/data unless it exists (trust
# authentication, superuser postgres) and start the server on ADDRESS:PORT with its socket in DIR/sock and its log in
# DIR/log. `fast` turns fsync off (throwaway test servers); `durable` keeps every default that
# makes a commit survive a crash.
pg_start() {
  local dir=$1 address=$2 port=$3 mode=$4 pgbin opts sync=()
  pgbin=$(pg_bin_dir)
  if [ -z "$pgbin" ]; then
    echo "postgres: server not installed (scripts/deps.sh test installs it)" >&2
    return 1
  fi
  opts="-k $dir/sock -h $address -p $port"
  if [ "$mode" = fast ]; then
    sync=(--no-sync)
    opts="$opts -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
  fi
  mkdir -p "$dir/sock"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  if [ ! -d "$dir/data" ]; then
    as_pg "$pgbin/initdb" -D "$dir/data" -U postgres -A trust "${sync[@]}" -E UTF8 \
      >"$dir/initdb.log" || return 1
  fi
  as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 -o "$opts" start >/dev/null
}

# pg_stop DIR: a fast shutdown (open transactions roll back) of the server pg_start started.
pg_stop() {
  local dir=$1
  [ -d "$dir/data" ] || return 0
  as_pg "$(pg_bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
}
