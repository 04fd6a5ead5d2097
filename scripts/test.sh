#!/usr/bin/env bash
# Sets up what is missing, then runs every test: Rust (domain, services on temporary SQLite
# databases, the real binary over HTTP) and Playwright in Debian's Chromium.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" test

echo "== Rust tests"
# The same flags, host target and environment as scripts/build.sh's debug build, so that the
# tests, the server and the browser bundle share one build of the dependencies.
host=$(rustc -vV | sed -n 's/^host: //p')
# Cargo runs rustc on /dev/null; where that is a regular file, start it empty (see build.sh).
if [ -f /dev/null ] && [ -w /dev/null ]; then : >/dev/null; fi
export UC_ADMIN_GIT_COMMIT=${UC_ADMIN_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=uc-admin CARGO_INCREMENTAL=0 \
  cargo test --target "$host" --features ssr --no-fail-fast

echo "== Rust service tests again, on PostgreSQL"
# The same tests on the second engine: each gets a database of its own on a PostgreSQL server
# the test process starts (initdb + pg_ctl on loopback, in a temporary folder) and stops.
UC_ADMIN_TEST_ENGINE=postgres RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=uc-admin CARGO_INCREMENTAL=0 \
  cargo test --target "$host" --features ssr --no-fail-fast --lib

echo "== Build (server and browser bundle)"
scripts/build.sh

echo "== Scripting API: the OpenAPI document validated, schemathesis against the real binary"
scripts/api-check.sh

echo "== Playwright"
(cd end2end && npx playwright test)

echo "== Playwright on PostgreSQL: the enable, move and search journeys"
# scripts/e2e-server.sh starts a PostgreSQL server for the portal and stops it with the portal;
# the trap stops it should the portal have been killed outright.
trap 'scripts/e2e-server.sh stop' EXIT
(cd end2end && UC_ADMIN_E2E_ENGINE=postgres npx playwright test enable.spec.ts moves.spec.ts search.spec.ts)
scripts/e2e-server.sh stop

echo "== Package (build the .deb, install it here, check /readyz, remove it)"
scripts/package-test.sh
