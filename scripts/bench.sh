#!/usr/bin/env bash
# `npm run bench`: set up, then every benchmark suite (so far: the native engine vs RocksDB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/bench-engine.sh
