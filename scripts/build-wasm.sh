#!/usr/bin/env bash
# Builds wasm/ into wasm/pkg (an ES module + .wasm + .d.ts) with wasm-pack, using Debian's rustc
# 1.96 and std built from source (no rustup target needed; see ../shared/TOOLCHAIN.md), then
# optimizes it with binaryen's wasm-opt from npm.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/wasm"
export PATH="/usr/bin:$HOME/.cargo/bin:$PATH"   # Debian's cargo/rustc first; wasm-pack from cargo
export RUSTC_BOOTSTRAP=1                         # -Zbuild-std on a stable compiler
export CARGO_TARGET_DIR="$PWD/target/wasm"       # keep native and wasm builds from invalidating each other
wasm-pack --quiet build --release --target web --no-pack --out-dir pkg --out-name edgestate_lsm --mode no-install . \
  -- -Zbuild-std=std,panic_abort
wasm_opt="$root/node_modules/.bin/wasm-opt"
if [ -x "$wasm_opt" ]; then
  "$wasm_opt" -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals pkg/edgestate_lsm_bg.wasm -o pkg/edgestate_lsm_bg.wasm
fi
