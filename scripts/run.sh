#!/usr/bin/env bash
# Sets up what is missing, builds, and serves UC Admin on http://127.0.0.1:3000 with an
# embedded SQLite database (data/uc-admin.db) holding the demo deployment.
#   scripts/run.sh             debug build (fastest to build)
#   scripts/run.sh --release   optimised build
# The demo operators' passwords are printed once, framed, just before "listening".
set -euo pipefail
mode=${1:-}
case "$mode" in "" | --release) ;; *) echo "usage: scripts/run.sh [--release]" >&2; exit 2 ;; esac
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" run $mode
scripts/build.sh $mode
export UC_ADMIN_SITE_ROOT=target/site
exec "target/$([ "$mode" = --release ] && echo release || echo debug)/uc-admin" serve --demo
