#!/usr/bin/env bash
# Failover soak: two portals on one PostgreSQL database, a 100,000-user move started on one
# of them, which is then killed with SIGKILL; the other finishes the move. 20 kills (the normal
# test run does 3). Prints one line per kill and a summary.
#   scripts/failover-soak.sh          20 kills
#   scripts/failover-soak.sh 50       another number of kills
#   UC_ADMIN_FAILOVER_MOVERS=10000 scripts/failover-soak.sh   smaller moves
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
host=$(rustc -vV | sed -n 's/^host: //p')
# The same flags and target as scripts/test.sh, so the build is shared.
export UC_ADMIN_FAILOVER_RUNS="${1:-20}"
RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=uc-admin CARGO_INCREMENTAL=0 \
  cargo test --target "$host" --features ssr --test failover -- --nocapture a_replica_finishes
