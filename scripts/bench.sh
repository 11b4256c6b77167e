#!/usr/bin/env bash
# `npm run bench`: set up, then every benchmark suite: the native engine vs RocksDB, then the
# browser suite (the engine in Chromium vs IndexedDB, sqlite-wasm, a Map and native RocksDB).
# Each writes its own section of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/bench-engine.sh
bash scripts/bench-browser.sh
