#!/usr/bin/env bash
# Sets up what is missing, then builds and serves UC Admin on http://127.0.0.1:3000 with an
# embedded SQLite database (data/uc-admin.db) holding the demo deployment.
#   scripts/run.sh             debug build (fastest to build)
#   scripts/run.sh --release   optimised build
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
mode=()
[ "${1:-}" = "--release" ] && mode=(--release)
exec cargo leptos serve "${mode[@]}"
