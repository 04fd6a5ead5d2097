#!/usr/bin/env bash
# Builds UC Admin: the server binary and the browser bundle the server serves from target/site.
# The one build program of the repository, used by scripts/run.sh and scripts/test.sh.
#   scripts/build.sh             debug build (fastest to build; what run.sh and test.sh use)
#   scripts/build.sh --release   optimised build (server and a wasm-opt'ed browser bundle)
# Needs cargo, the wasm32-unknown-unknown target and wasm-bindgen (and wasm-opt for --release);
# scripts/setup.sh installs them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

release=0
case "${1:-}" in
  "") ;;
  --release) release=1 ;;
  *) echo "usage: scripts/build.sh [--release]" >&2; exit 2 ;;
esac

step() { printf '\n== build: %s\n' "$*"; }

# Read at compile time by Leptos: the bundle's file names (/pkg/uc-admin.js, .wasm, .css).
export LEPTOS_OUTPUT_NAME=uc-admin
# Read at compile time by the binary: the commit `uc-admin --version` and /metrics name.
UC_ADMIN_GIT_COMMIT=${UC_ADMIN_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
export UC_ADMIN_GIT_COMMIT
# One build, not a cache for the next edit: incremental data would double the target folder.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# The server is built for the host named explicitly, so that RUSTFLAGS reach only the portal's
# own code and its libraries, never the build scripts and macros: those are then built once
# and shared by the server and browser builds, in one target folder.
host=$(rustc -vV | sed -n 's/^host: //p')
# Cargo learns about a target by running rustc on /dev/null. Where /dev/null is a regular file
# (some containers), whatever another program wrote there breaks that step: start it empty.
if [ -f /dev/null ] && [ -w /dev/null ]; then : >/dev/null; fi
site=target/site
pkg=$site/pkg

# Type-erased views, in every build: each component's view becomes one boxed type instead of
# a tower of nested generic types compiled once per use. The release WASM is half the size
# (6.7 MB to 3.7 MB, 1.57 MB to 0.81 MB with brotli), the debug build's symbol names no longer
# fill gigabytes, and the tests (which use the same flags, sharing these dependencies) run
# the very code a release serves.
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components"
if [ $release -eq 1 ]; then
  server_profile=(--release)
  wasm_profile=(--profile wasm-release)
  wasm_dir=wasm-release
else
  server_profile=()
  wasm_profile=()
  wasm_dir=debug
fi

step "server (cargo build --features ssr)"
cargo build "${server_profile[@]}" --target "$host" --bin uc-admin --features ssr

step "browser (cargo rustc --target wasm32-unknown-unknown --features hydrate)"
# The library is an rlib for the server; only the browser build makes it a cdylib, so the server
# build never links a native shared library nobody loads.
cargo rustc "${wasm_profile[@]}" --lib --crate-type cdylib --target wasm32-unknown-unknown --features hydrate

step "bundle ($pkg)"
rm -rf "$pkg.new"
mkdir -p "$pkg.new"
wasm-bindgen --target web --no-typescript --out-dir "$pkg.new" --out-name uc-admin \
  "target/wasm32-unknown-unknown/$wasm_dir/uc_admin.wasm"
mv "$pkg.new/uc-admin_bg.wasm" "$pkg.new/uc-admin.wasm"
if [ $release -eq 1 ]; then
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$pkg.new/uc-admin.wasm" -o "$pkg.new/uc-admin.wasm"
fi
cp style/main.css "$pkg.new/uc-admin.css"
if [ $release -eq 1 ]; then
  # Packed once, at the best ratio, beside each file: the server sends these as they are
  # instead of compressing the bundle for every page load (src/http/router.rs).
  node -e '
    const zlib = require("zlib"), fs = require("fs");
    for (const file of process.argv.slice(1)) {
      const raw = fs.readFileSync(file);
      fs.writeFileSync(file + ".br", zlib.brotliCompressSync(raw, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
      }));
      fs.writeFileSync(file + ".gz", zlib.gzipSync(raw, { level: 9 }));
    }
  ' "$pkg.new/uc-admin.wasm" "$pkg.new/uc-admin.js" "$pkg.new/uc-admin.css"
fi
# Swap the whole bundle at once, so a running server never serves half of an old one.
rm -rf "$pkg" && mv "$pkg.new" "$pkg"
cp -R public/. "$site/"

# The binary where people and scripts look for it (a hard link: no second copy).
profile_dir=$([ $release -eq 1 ] && echo release || echo debug)
mkdir -p "target/$profile_dir"
ln -f "target/$host/$profile_dir/uc-admin" "target/$profile_dir/uc-admin"
server=target/$profile_dir/uc-admin
printf '\n== build: done: %s (%s), %s/uc-admin.wasm (%s)\n' \
  "$server" "$(du -h "$server" | cut -f1)" "$pkg" "$(du -h "$pkg/uc-admin.wasm" | cut -f1)"
