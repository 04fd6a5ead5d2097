#!/usr/bin/env bash
# The portal the Playwright tests drive (started by end2end/playwright.config.ts from the
# repository's root), on a fresh database with the demo deployment: an SQLite file, or with
# UC_ADMIN_E2E_ENGINE=postgres a PostgreSQL server this script starts (initdb + pg_ctl on a
# free loopback port, in a temporary folder) and stops when the portal stops.
#   scripts/e2e-server.sh        start (what Playwright runs)
#   scripts/e2e-server.sh stop   stop a PostgreSQL server left running (the test command's
#                                clean-up, in case the portal was killed outright)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
state=end2end/.pg-folder

pg_run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }
stop_postgres() {
  [ -f "$state" ] || return 0
  local dir
  dir=$(cat "$state")
  pg_run "$(pg_bin)/pg_ctl" stop -m fast -D "$dir/data" >"$dir/stop.log" 2>&1 || true
  rm -rf "$dir" "$state"
}

if [ "${1:-}" = stop ]; then
  stop_postgres
  exit 0
fi

stop_postgres
rm -rf end2end/.db && mkdir -p end2end/.db
if [ "${UC_ADMIN_E2E_ENGINE:-sqlite}" != postgres ]; then
  exec target/debug/uc-admin
fi

bin=$(pg_bin)
dir=$(mktemp -d /tmp/uc-admin-e2e-postgres.XXXXXX)
echo "$dir" >"$state"
[ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
# A free loopback port: the first of a few random ones nothing listens on.
port=
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>>"$dir/ports.log"; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "e2e-server: no free port" >&2; exit 1; }
pg_run "$bin/initdb" -U uc_admin --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync -D "$dir/data" >"$dir/initdb.log" 2>&1
pg_run "$bin/pg_ctl" start -w -t 60 -l "$dir/postgres.log" -D "$dir/data" \
  -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off" >"$dir/pg_ctl.log" 2>&1
psql -q -h 127.0.0.1 -p "$port" -U uc_admin -d postgres -c "CREATE DATABASE e2e" >"$dir/psql.log" 2>&1
export UC_ADMIN_DATABASE_URL="postgres://uc_admin@127.0.0.1:$port/e2e"
target/debug/uc-admin &
portal=$!
trap 'kill -TERM "$portal" 2>>"$dir/stop.log" || true' TERM INT
wait "$portal" || true
wait "$portal" 2>>"$dir/stop.log" || true
stop_postgres
