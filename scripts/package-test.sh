#!/usr/bin/env bash
# The package test: builds the Debian package (of the debug build, see scripts/package.sh),
# installs it on this machine, creates the first Enterprise Administrator with `uc-admin init`,
# starts the installed binary as the uc-admin user with the installed example configuration on a
# free loopback port, checks /readyz and a page, stops it
# with SIGTERM (exit code 0), and removes the package again. Refuses to run where uc-admin is
# already installed, so that it never touches a real installation.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "package test: FAILED: $*" >&2; exit 1; }

if dpkg -s uc-admin >/dev/null 2>&1; then
  fail "uc-admin is already installed here; the package test installs and removes it"
fi
had_user=$(getent passwd uc-admin >/dev/null && echo yes || echo no)
had_data=$([ -e /var/lib/uc-admin ] && echo yes || echo no)
server=""
cleanup() {
  [ -n "$server" ] && kill -KILL "$server" 2>/dev/null || true
  as_root dpkg --purge uc-admin >/dev/null 2>&1 || true
  [ "$had_data" = no ] && as_root rm -rf /var/lib/uc-admin
  [ "$had_user" = no ] && getent passwd uc-admin >/dev/null && as_root deluser --system uc-admin >/dev/null 2>&1
  true
}
trap cleanup EXIT

scripts/package.sh --debug
deb=$(ls -t target/package/uc-admin_*.deb | head -1)
echo "== package test: installing $deb"
as_root dpkg -i "$deb"

echo "== package test: installed files"
for file in /usr/bin/uc-admin /usr/share/uc-admin/site/pkg/uc-admin.wasm /usr/share/uc-admin/site/pkg/uc-admin.js \
            /usr/share/uc-admin/site/pkg/uc-admin.css /etc/uc-admin/uc-admin.toml /lib/systemd/system/uc-admin.service; do
  [ -f "$file" ] || fail "$file is missing"
done
[ "$(stat -c '%a %U %G' /etc/uc-admin/uc-admin.toml)" = "640 root uc-admin" ] || fail "the configuration file is not 640 root:uc-admin"
[ "$(stat -c '%U' /var/lib/uc-admin)" = uc-admin ] || fail "/var/lib/uc-admin is not owned by uc-admin"
grep -q '^ProtectSystem=strict' /lib/systemd/system/uc-admin.service || fail "the unit is not hardened"
/usr/bin/uc-admin --version

echo "== package test: the installed binary, as uc-admin, with the installed configuration"
as_root runuser -u uc-admin -- /usr/bin/uc-admin --config /etc/uc-admin/uc-admin.toml config check >/dev/null
# A company's deployment is served once it has an Enterprise Administrator.
as_root runuser -u uc-admin -- env UC_ADMIN_ADMIN_PASSWORD=package-test-password \
  /usr/bin/uc-admin --config /etc/uc-admin/uc-admin.toml init --admin kakers --display-name "Kim Akers"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
(cd /var/lib/uc-admin && as_root runuser -u uc-admin -- \
  /usr/bin/uc-admin --config /etc/uc-admin/uc-admin.toml --listen "127.0.0.1:$port" serve) >"$log" 2>&1 &
server=$!
ready=""
for _ in $(seq 1 120); do
  ready=$(curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null || true)
  [ -n "$ready" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; fail "the installed server exited"; }
  sleep 0.5
done
echo "/readyz: $ready"
[ "$ready" = '{"checks":{"database":"ok","jobs":"ok","migrations":"ok"},"status":"ready"}' ] || { cat "$log"; fail "not ready"; }
curl -fsS -o /dev/null "http://127.0.0.1:$port/login" || fail "the sign-in page"
curl -fsS -o /dev/null "http://127.0.0.1:$port/pkg/uc-admin.wasm" || fail "the browser bundle from /usr/share/uc-admin/site"
[ -f /var/lib/uc-admin/uc-admin.db ] || fail "the database is not in /var/lib/uc-admin"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d 'username=kakers&password=package-test-password' \
  "http://127.0.0.1:$port/api/sign_in")
[ "$code" = 200 ] || fail "the administrator created by init cannot sign in ($code)"

echo "== package test: SIGTERM"
pid=$(pgrep -u uc-admin -f "/usr/bin/uc-admin --config /etc/uc-admin/uc-admin.toml --listen 127.0.0.1:$port") || fail "no server process"
as_root kill -TERM "$pid"
status=0
wait "$server" || status=$?
server=""
[ "$status" -eq 0 ] || { cat "$log"; fail "exit code $status after SIGTERM"; }
grep -q "stopped cleanly" "$log" || { cat "$log"; fail "no clean stop in the log"; }

echo "== package test: removing the package"
as_root dpkg --purge uc-admin
[ ! -e /usr/bin/uc-admin ] || fail "/usr/bin/uc-admin is still there"
echo "package test: passed"
