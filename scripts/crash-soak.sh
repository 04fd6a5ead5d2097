#!/usr/bin/env bash
# Crash-safety soak: the crash_safety test with 500 SIGKILLs of the server in the middle of
# large moves (the normal test run does 50). Prints the summary line at the end.
#   scripts/crash-soak.sh            500 kills
#   scripts/crash-soak.sh 2000       another number of kills
#   UC_ADMIN_CRASH_SEED=7 scripts/crash-soak.sh   other kill times
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The same RUSTFLAGS and LEPTOS_OUTPUT_NAME as scripts/test.sh, so the build is shared.
export UC_ADMIN_CRASH_KILLS="${1:-500}"
RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=uc-admin \
  cargo test --features ssr --test crash_safety -- --nocapture
