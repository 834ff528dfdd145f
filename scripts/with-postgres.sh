#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL on 127.0.0.1, then stops and deletes it.
# The command sees ECOCREDIT_TEST_POSTGRES_URL; if no server can be started it sees
# ECOCREDIT_TEST_POSTGRES_SKIP instead, with the reason, and PostgreSQL tests report skipped.
# Tests run it with fsync off (throwaway data); ECOCREDIT_PG_FSYNC=on makes commits durable,
# which is what a benchmark must measure.
set -u

find_bin() {
  local name=$1 dir
  command -v "$name" 2>/dev/null && return 0
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
  done
  return 1
}


run_skipping() {
  local reason=$1; shift
  echo "with-postgres: $reason; PostgreSQL tests will be skipped" >&2
  ECOCREDIT_TEST_POSTGRES_SKIP="$reason" "$@"
  exit $?
}

initdb=$(find_bin initdb) || initdb=""
if [ -z "$initdb" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "with-postgres: installing Debian's postgresql" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 \
    || true
  initdb=$(find_bin initdb) || initdb=""
fi
[ -n "$initdb" ] || run_skipping "initdb not found and PostgreSQL could not be installed" "$@"
pg_ctl=$(dirname "$initdb")/pg_ctl

dir=$(mktemp -d /tmp/ecocredit-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_user=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: run it as the postgres user.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  as_user=(runuser -u postgres --)
fi

cleanup() {
  "${as_user[@]}" "$pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

if ! "${as_user[@]}" "$initdb" -D "$dir/data" -U ecocredit -A trust -E UTF8 >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  run_skipping "initdb failed" "$@"
fi
if ! "${as_user[@]}" "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=${ECOCREDIT_PG_FSYNC:-off} -c max_connections=200" \
    start >/dev/null; then
  cat "$dir/server.log" >&2
  run_skipping "the PostgreSQL server did not start" "$@"
fi
export ECOCREDIT_TEST_POSTGRES_URL="postgresql+psycopg://ecocredit@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL running on 127.0.0.1:$port" >&2
"$@"
status=$?
exit $status
