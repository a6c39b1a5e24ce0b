# checks.sh: the shell integration tests' assertions and their PostgreSQL database (sourced).
# Each check prints "ok   NAME" or "FAIL NAME: ..." and a failure sets fail=1 for the test's exit.
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
