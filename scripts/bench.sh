#!/usr/bin/env bash
# Measures every speed goal of UC Admin on the release build and prints one table: measure,
# figure, goal, pass or miss. Sets up what is missing (as the test command does, plus twiggy
# for the size profile of the browser bundle), builds release, then runs:
#   - the browser bundle's size (brotli, as the server sends it) and its twiggy top ten
#   - first paint, hydration and the WASM's download+compile in headless Chromium, median of
#     10 cold loads, and Lighthouse's performance and accessibility scores (end2end/perf/)
#   - the list and search benchmarks over 1,000,000 users (with their query plans)
#   - the load benchmark: the user list server function and the SSR user page, 16 clients
#   - enabling 10,000 users, and moving 100,000 users against plain SQL in sqlite3
#   scripts/bench.sh              everything (about 40 minutes on 2 cores, the first run more:
#                                 it generates the deployments into target/bench/)
#   scripts/bench.sh NAME...      only those parts: size, pages, search, list, load, enable, move
# Every benchmark prints its figures as it goes; the lines `BENCH|measure|figure|goal|status`
# make the table at the end, which is also written to target/bench/report.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(size pages search list load enable move)
for part in "${parts[@]}"; do
  case "$part" in size | pages | search | list | load | enable | move) ;;
    *) echo "usage: scripts/bench.sh [size|pages|search|list|load|enable|move]..." >&2; exit 2 ;;
  esac
done
wants() { local p; for p in "${parts[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

source scripts/setup.sh test --release
if wants size && ! command -v twiggy >>/tmp/uc-admin-setup.log 2>&1; then
  echo "setup: installing twiggy (the WASM size profiler, about 2 minutes, once)"
  cargo install twiggy --locked --version 0.8.0
fi

mkdir -p target/bench
work=$(mktemp -d /tmp/uc-admin-bench.XXXXXX)
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill -TERM "$server_pid" 2>>"$work/stop.log" || true
  rm -rf "$work"
}
trap cleanup EXIT
# Every part's output is kept for the table (its BENCH lines); the rest goes to the terminal.
collect() { tee -a "$work/out" | grep -v '^BENCH|' || true; }

scripts/build.sh --release

# The benchmarks share the release server's build (same flags, same host target).
host=$(rustc -vV | sed -n 's/^host: //p')
bench() {
  RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=uc-admin CARGO_INCREMENTAL=0 \
    cargo bench --target "$host" --features ssr --bench "$@"
}

if wants size; then
  printf '\n== bench: the browser bundle\n'
  wasm=target/site/pkg/uc-admin.wasm
  raw=$(stat -c %s "$wasm")
  packed=$(stat -c %s "$wasm.br")
  echo "uc-admin.wasm: $raw B, as sent (brotli, packed by the build): $packed B"
  printf 'BENCH|browser bundle (WASM as sent, brotli), release|%s B|≤ 250,000 B|%s\n' \
    "$(echo "$packed" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')" "$([ "$packed" -le 250000 ] && echo pass || echo miss)" | collect
  # The size profile of the same code with its function names (wasm-opt -g keeps them).
  wasm-opt -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    target/wasm32-unknown-unknown/wasm-release/uc_admin.wasm -o "$work/named.wasm"
  twiggy top -n 16 "$work/named.wasm" | grep -v 'subsection\|custom section' | head -n 13 \
    | tee target/bench/twiggy-top.txt
fi

if wants pages; then
  printf '\n== bench: first paint, hydration, Lighthouse (release server)\n'
  port=3190
  UC_ADMIN_DATABASE_URL="sqlite://$work/pages.db" UC_ADMIN_BACKUP_DIR="$work/backups" \
    UC_ADMIN_DEMO_PASSWORD='Demo-Passw0rd!' UC_ADMIN_REPLICA_NAME=portal-bench \
    UC_ADMIN_LISTEN="127.0.0.1:$port" UC_ADMIN_SITE_ROOT=target/site RUST_LOG=warn,sqlx=error \
    target/release/uc-admin serve --demo >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fso "$work/login.html" "http://127.0.0.1:$port/login" && break
    sleep 0.2
  done
  UC_ADMIN_PERF_URL="http://127.0.0.1:$port" node end2end/perf/measure.mjs | collect
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
fi

if wants search; then
  printf '\n== bench: search over 1,000,000 users\n'
  bench search_users | collect
fi
if wants list; then
  printf '\n== bench: lists over 1,000,000 users\n'
  UC_ADMIN_BENCH_USERS=1000000 bench list_users | collect
fi
if wants load; then
  printf '\n== bench: throughput at 16 clients\n'
  bench load | collect
fi
if wants enable; then
  printf '\n== bench: enable 10,000 users\n'
  bench enable_users | collect
fi
if wants move; then
  printf '\n== bench: move 100,000 users\n'
  bench move_users | collect
fi

report=target/bench/report.md
lines=$work/lines
grep '^BENCH|' "$work/out" >"$lines" || true
{
  echo "| Measure | Figure | Goal | Result |"
  echo "|---------|--------|------|--------|"
  awk -F'|' '{ printf "| %s | %s | %s | %s |\n", $2, $3, $4, $5 }' "$lines"
} >"$report"
printf '\n== bench: summary (also in %s), measured %s on %s cores\n\n' "$report" "$(date -u +%Y-%m-%d)" "$(nproc)"
cat "$report"
