#!/usr/bin/env bash
# Sets up what is missing, then runs every test: Rust (domain, services on temporary SQLite
# databases, the real binary over HTTP) and Playwright in Debian's Chromium.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

echo "== Rust tests"
# cargo-leptos builds debug code with RUSTFLAGS="--cfg erase_components" (appended to any
# RUSTFLAGS of ours) and LEPTOS_OUTPUT_NAME set; the Rust tests use exactly the same, so that
# both share one build of the dependencies.
RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=uc-admin cargo test --features ssr --no-fail-fast

echo "== Build (server and WASM)"
cargo leptos build

echo "== Playwright"
(cd end2end && npx playwright test)
