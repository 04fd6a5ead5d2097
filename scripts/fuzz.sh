#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ for a set time each and reports, per target, the
# executions, the corpus size and whether a crash was found.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default: 600 s, every target)
#
# Installs cargo-fuzz if it is missing (from crates.io, like every crate the targets need); the
# nightly toolchain must already be there. A crash, timeout or out-of-memory input is copied to
# fuzz/regressions/<target>/, which the unit tests replay (`cargo test --features ssr --lib
# formats`): fix the code until they pass, and keep the file.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALL_TARGETS=(sip_uri sip_pattern org_csv user_data_xml)
seconds=${1:-600}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]   targets: ${ALL_TARGETS[*]}" >&2
  exit 2
fi
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [ -f "fuzz/fuzz_targets/$t.rs" ] || { echo "fuzz: no target '$t' (have: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

say() { printf 'fuzz: %s\n' "$*"; }

# Longest input per target: a SIP URI or pattern line is short; files get room for structure.
max_len() {
  case $1 in
    sip_uri | sip_pattern) echo 1024 ;;
    org_csv) echo 16384 ;;
    user_data_xml) echo 32768 ;;
  esac
}
dict() {
  case $1 in
    sip_uri | sip_pattern) echo fuzz/dicts/sip.dict ;;
    *) echo "fuzz/dicts/$1.dict" ;;
  esac
}

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: cargo-fuzz needs a nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz (about a minute, once)"
  cargo install cargo-fuzz --locked
fi

say "building the targets (the first build takes several minutes)"
cargo +nightly fuzz build >/dev/null

status=0
summary=()
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  artifacts="fuzz/artifacts/$t"
  regressions="fuzz/regressions/$t"
  mkdir -p "$corpus" "$artifacts" "$regressions"
  problems() {
    find "$artifacts" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \
      -o -name 'slow-unit-*' -o -name 'leak-*' \) | sort
  }
  before=$(problems | wc -l)
  log="$artifacts/last-run.log"
  say "running $t for ${seconds} s"
  # The seeds are read, the corpus directory (first) is where new inputs go.
  started=$SECONDS
  set +e
  cargo +nightly fuzz run "$t" "$corpus" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
    -max_len="$(max_len "$t")" -dict="$(dict "$t")" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  ran=$((SECONDS - started))
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  size=$(find "$corpus" -type f | wc -l)
  found=()
  for f in $(problems); do
    if [ ! -e "$regressions/$(basename "$f")" ]; then
      cp "$f" "$regressions/"
      found+=("$(basename "$f")")
    fi
  done
  after=$(problems | wc -l)
  if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
    status=1
    result="FOUND A PROBLEM (exit $rc): ${found[*]:-see $log}"
    grep -m1 -E 'panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer' "$log" | sed 's/^/fuzz:   /' || true
  else
    result="no crash"
  fi
  line=$(printf '%-14s %6s s  %12s execs  corpus %6s  %s' "$t" "$ran" "${execs:-?}" "$size" "$result")
  summary+=("$line")
  say "$line"
done

echo
say "summary (log of each run: fuzz/artifacts/<target>/last-run.log)"
for line in "${summary[@]}"; do echo "  $line"; done
if [ "$status" -ne 0 ]; then
  say "new inputs were copied to fuzz/regressions/<target>/; the unit tests replay them"
fi
exit "$status"
