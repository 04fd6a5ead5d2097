#!/usr/bin/env bash
# Installs what UC Admin needs, skipping whatever is already there. Safe to run any number of
# times. Sourced by scripts/run.sh and scripts/test.sh:
#   scripts/setup.sh run [--release]   what building and running need: the wasm32 target,
#                                      wasm-bindgen-cli (and, for --release, npm's binaryen)
#   scripts/setup.sh test              all that, plus what the tests need: Debian's chromium,
#                                      sqlite3, slapd, PostgreSQL with its contrib
#                                      extensions, and the Playwright npm packages
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
purpose=${1:-test}
release=${2:-}
case "$purpose" in run | test) ;; *) echo "usage: scripts/setup.sh run|test [--release]" >&2; exit 2 ;; esac

say() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# Tools installed by cargo land in CARGO_HOME/bin, which a fresh shell may not have on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [ "$purpose" = test ]; then
  # Debian packages: Chromium for Playwright, sqlite3 for the benchmarks' plain-SQL baseline,
  # slapd (OpenLDAP) for the directory sync tests, which run a real server on loopback;
  # PostgreSQL (with pg_trgm from its contrib) for the tests on the second engine, which start
  # their own server with initdb and pg_ctl in a temporary folder.
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v sqlite3 >/dev/null || missing+=(sqlite3)
  [ -x /usr/sbin/slapd ] || missing+=(slapd)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  compgen -G '/usr/share/postgresql/*/extension/pg_trgm.control' >/dev/null || missing+=(postgresql-contrib)
  # Python's venv for the scripting API's checks (openapi-spec-validator, schemathesis).
  command -v python3 >>/tmp/uc-admin-setup.log || missing+=(python3)
  command -v curl >>/tmp/uc-admin-setup.log || missing+=(curl)
  python3 -c 'import ensurepip, venv' 2>>/tmp/uc-admin-setup.log || missing+=(python3-venv)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
# The browser build target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version of Cargo.lock.
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wbg"; then
  say "installing wasm-bindgen-cli $wbg (about 3 minutes, once)"
  # Its own lock file names a crate the registry no longer serves, so no --locked here.
  cargo install wasm-bindgen-cli --version "=$wbg" --force
fi

# npm packages: wasm-opt (binaryen; Debian's is too old for rustc 1.95) for release builds and
# Lighthouse for scripts/bench.sh (tools/),
# Playwright and axe for the browser tests.
npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
if [ "$release" = --release ]; then
  npm_install tools
  export PATH="$ROOT/tools/node_modules/.bin:$PATH"
fi
[ "$purpose" = test ] && npm_install end2end

# PyPI packages of the scripting API's checks, in a venv of their own.
if [ "$purpose" = test ]; then
  venv=tools/api-check/.venv
  if [ ! -x "$venv/bin/schemathesis" ] || [ tools/api-check/requirements.txt -nt "$venv/.installed" ]; then
    say "installing the API checks' Python packages in $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/api-check/requirements.txt
    touch "$venv/.installed"
  fi
fi
true
