#!/usr/bin/env bash
# Installs what UC Admin needs to build, run and test, skipping whatever is already there.
# Sourced by scripts/run.sh and scripts/test.sh; safe to run on its own, any number of times.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: Chromium for Playwright, sqlite3 for the benchmarks' plain-SQL baseline,
# slapd (OpenLDAP) for the directory sync tests, which run a real server on loopback.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
[ -x /usr/sbin/slapd ] || missing+=(slapd)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The browser build target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos 0.3.10: the last release that builds with rustc 1.95. With no_downloads it
# never fetches tools at run time; it finds wasm-bindgen and wasm-opt on PATH.
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "installing cargo-leptos 0.3.10 (about 16 minutes on 2 cores, once)"
  cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version of Cargo.lock.
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wbg"; then
  say "installing wasm-bindgen-cli $wbg (about 3 minutes, once)"
  # Its own lock file names a crate the registry no longer serves, so no --locked here.
  cargo install wasm-bindgen-cli --version "=$wbg" --force
fi

# npm packages: wasm-opt (binaryen; Debian's is too old for rustc 1.95) and Playwright.
npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install tools
npm_install end2end
export PATH="$ROOT/tools/node_modules/.bin:$PATH"
