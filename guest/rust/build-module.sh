#!/usr/bin/env bash
# build-module.sh — build a Rust wadup module offline with Debian's toolchain.
#
#   guest/rust/build-module.sh CRATE_DIR OUT.wasm
#
# CRATE_DIR holds a Cargo package whose [lib] is a cdylib depending on
# wadup-guest (guest/rust). It is built for wasm32-wasi in release mode by
# /usr/bin/cargo and /usr/bin/rustc 1.63 (never a rustup toolchain earlier on
# PATH), with crates.io replaced by Debian's librust-*-dev packages in
# /usr/share/cargo/registry (a directory source; nothing is downloaded), and
# the resulting .wasm is copied to OUT.wasm.
#
# libsqlite3-sys (rusqlite) links the guest SQLite that
# scripts/build-guest-libs.sh builds (build/guest-libs/sqlite, statically);
# its VFS comes from wadup-guest's `sqlite` feature.
#
# Environment: WADUP_RUST_TARGET_DIR (default build/rust/target) is cargo's
# target directory, shared by all modules so common crates compile once.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 CRATE_DIR OUT.wasm" >&2
    exit 2
fi
crate=$(cd "$1" && pwd)
out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
target_dir=${WADUP_RUST_TARGET_DIR:-$root/build/rust/target}
home="$root/build/rust/cargo-home"

for tool in /usr/bin/cargo /usr/bin/rustc; do
    [ -x "$tool" ] || { echo "build-module.sh: $tool not found; run scripts/setup.sh" >&2; exit 1; }
done
[ -d /usr/lib/rustlib/wasm32-wasi ] ||
    { echo "build-module.sh: no wasm32-wasi std (libstd-rust-dev-wasm32); run scripts/setup.sh" >&2; exit 1; }

# A private CARGO_HOME whose config replaces crates.io by Debian's registry.
mkdir -p "$home"
config='[source.crates-io]
replace-with = "debian-packages"

[source.debian-packages]
directory = "/usr/share/cargo/registry"

[net]
offline = true'
if [ ! -f "$home/config.toml" ] || [ "$(cat "$home/config.toml")" != "$config" ]; then
    printf '%s\n' "$config" >"$home/config.toml"
fi

export CARGO_HOME="$home"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
unset RUSTUP_TOOLCHAIN RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_TARGET_DIR || true
export SQLITE3_LIB_DIR="$root/build/guest-libs/sqlite/lib"
export SQLITE3_INCLUDE_DIR="$root/build/guest-libs/sqlite/include"
export SQLITE3_STATIC=1
export SQLITE3_NO_PKG_CONFIG=1   # never the host's libsqlite3 (pkg-config would find it)

/usr/bin/cargo build --quiet --offline --release --target wasm32-wasi \
    --manifest-path "$crate/Cargo.toml" --target-dir "$target_dir"

# The cdylib's file name: the [lib] name, else the package name, with - as _.
lib=$(sed -n '/^\[lib\]/,/^\[/s/^name *= *"\(.*\)"/\1/p' "$crate/Cargo.toml" | head -n 1)
[ -n "$lib" ] || lib=$(sed -n '/^\[package\]/,/^\[/s/^name *= *"\(.*\)"/\1/p' "$crate/Cargo.toml" | head -n 1)
wasm="$target_dir/wasm32-wasi/release/${lib//-/_}.wasm"
[ -f "$wasm" ] || { echo "build-module.sh: cargo built no $wasm" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
cp "$wasm" "$out.tmp" && mv "$out.tmp" "$out"
