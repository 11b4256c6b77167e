#!/usr/bin/env bash
# The browser benchmark suite (part of `npm run bench`): the engine on OPFS and on memory against
# IndexedDB (idb), sqlite-wasm on opfs-sahpool and a Map, in one Chromium session, with native
# RocksDB db_bench numbers from the same run; writes the browser section of docs/benchmarks.md.
# Arguments go to bench/run-browser.mjs (e.g. --keys=100000 --no-doc).
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=wasm/pkg/edgestate_lsm_bg.wasm
# Build the engine when it is missing or older than its sources (a stale build would be measured).
if [ ! -f "$wasm" ] || [ -n "$(find wasm/src wasm/Cargo.toml -newer "$wasm" -print -quit)" ]; then
  echo "bench: building the engine (Rust → wasm)" >&2
  bash scripts/build-wasm.sh
fi
exec node bench/run-browser.mjs "$@"
