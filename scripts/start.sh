#!/usr/bin/env bash
# `npm start`: set up what is missing, build the engine for wasm, and serve the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "start: building the engine (Rust → wasm)"
bash scripts/build-wasm.sh
echo "start: serving the demo at http://localhost:5173/ (Ctrl-C stops)"
exec npx vite --port 5173 --strictPort --host localhost
