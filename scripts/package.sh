#!/usr/bin/env bash
# Builds what an administrator installs: the Debian package (cargo-deb) and a release tarball,
# in target/package/. Both hold the binary, the browser bundle, the example configuration and
# the systemd unit.
#   scripts/package.sh           optimised build (what to ship)
#   scripts/package.sh --debug   the debug build, packaged the same way (what the test command
#                                installs, to check the package without a release build)
# Needs what scripts/setup.sh installs, and cargo-deb (installed here when missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

profile=release
case "${1:-}" in
  "") ;;
  --debug) profile=debug ;;
  *) echo "usage: scripts/package.sh [--debug]" >&2; exit 2 ;;
esac

cargo_deb_version=3.6.3
if ! cargo deb --version 2>/dev/null | grep -q "$cargo_deb_version"; then
  echo "package: installing cargo-deb $cargo_deb_version (about a minute, once)"
  cargo install cargo-deb --locked --version "$cargo_deb_version"
fi

if [ "$profile" = release ]; then scripts/build.sh --release; else scripts/build.sh; fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
out=target/package
mkdir -p "$out"

echo "== package: Debian package"
# cargo-deb takes the binary from target/<profile>/; it refuses the name "dev", so the debug
# build is linked into a folder of its own.
deb_profile=release
if [ "$profile" = debug ]; then
  deb_profile=deb-debug
  mkdir -p target/deb-debug
  ln -f target/debug/uc-admin target/deb-debug/uc-admin
fi
cargo deb --no-build --profile "$deb_profile" --fast --output "$out/uc-admin_${version}_${arch}.deb"

echo "== package: tarball"
name="uc-admin-$version-$(uname -m)-linux"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/bin" "$stage/$name/share/uc-admin" "$stage/$name/etc" "$stage/$name/systemd"
cp "target/$profile/uc-admin" "$stage/$name/bin/"
strip "$stage/$name/bin/uc-admin"
cp -r target/site "$stage/$name/share/uc-admin/site"
cp packaging/uc-admin.toml "$stage/$name/etc/"
cp packaging/debian/uc-admin.service "$stage/$name/systemd/"
cp README.md "$stage/$name/"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"

ls -la "$out"
