# checks.sh: what the shell integration tests share (sourced): assertions, their PostgreSQL
# database, and a real attestd serving $data/attestd.json on 127.0.0.1:$port (start, stop, call;
# the test sets attestd, data, port and tmp). Each check prints "ok   NAME" or "FAIL NAME: ..."
# and a failure sets fail=1 for the test's exit.
fail=0
check() {  # check NAME WANT GOT
  if [ "$2" != "$3" ]; then echo "FAIL $1: got [$3], want [$2]"; fail=1; else echo "ok   $1"; fi
}
contains() {  # contains NAME NEEDLE HAYSTACK
  case "$3" in *"$2"*) echo "ok   $1" ;; *) echo "FAIL $1: [$3] lacks [$2]"; fail=1 ;; esac
}
# fresh_postgres_database PREFIX: creates PREFIX_<pid> on the server scripts/services.sh started
# and sets database to attestd's --database value for it (pg_database: its name); exits the test
# when PG* is not set (never skipped). drop_postgres_database drops it again.
fresh_postgres_database() {
  if [ -z "${PGHOST:-}" ]; then
    echo "FAIL postgres: PG* environment not set (scripts/services.sh start DIR; . DIR/env)"
    exit 1
  fi
  pg_database="$1_$$"
  psql -qtAc "CREATE DATABASE $pg_database" >/dev/null || { echo "FAIL create database"; exit 1; }
  database="postgres:host=$PGHOST port=$PGPORT user=$PGUSER dbname=$pg_database"
}
drop_postgres_database() {
  [ -n "${pg_database:-}" ] && psql -qtAc "DROP DATABASE $pg_database" >/dev/null
}

# start serves $data/attestd.json in the background (pid), logging to $tmp/serve.log, and waits
# for /healthz; stop sends SIGTERM and waits.
start() {
  "$attestd" serve --config "$data/attestd.json" >>"$tmp/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -sf --cacert "$data/tls-cert.pem" "https://127.0.0.1:$port/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL attestd did not start"; cat "$tmp/serve.log"; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; pid=""; }
# call USER:SECRET METHOD PATH [curl args...] prints "BODY STATUS". Each call signs a fresh
# X-Request-Id (curl signs the headers it is given), as a client must: attestd accepts one
# signature of a change only once. REQUEST_ID=... fixes it for a replay.
call() {
  local user=$1 method=$2 path=$3
  shift 3
  local rid=${REQUEST_ID:-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')}
  curl -s --cacert "$data/tls-cert.pem" --aws-sigv4 "aws:amz:local:attestd" --user "$user" \
    -X "$method" -H "X-Request-Id: $rid" -w ' %{http_code}' "$@" "https://127.0.0.1:$port$path"
}
