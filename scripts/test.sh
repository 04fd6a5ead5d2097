#!/usr/bin/env bash
# Sets up what is missing, then runs every test: Rust (domain, services on temporary SQLite
# databases, the real binary over HTTP) and Playwright in Debian's Chromium.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# cargo-leptos builds debug code with `--cfg erase_components`; the Rust tests use the same
# flags so that both share one build of the server side.
export RUSTFLAGS="--cfg erase_components"

echo "== Rust tests"
cargo test --features ssr --no-fail-fast

echo "== Build (server and WASM)"
cargo leptos build

echo "== Playwright"
(cd end2end && npx playwright test)
