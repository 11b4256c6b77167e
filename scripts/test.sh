#!/usr/bin/env bash
# `npm test`: set up what is missing, build the engine for wasm, then run every suite:
# Rust (rustfmt, clippy, unit + property tests), TypeScript (strict type-check, vitest),
# browser (Playwright in Debian's Chromium against the built demo).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n== %s\n' "$*"; }

bash scripts/setup.sh

step "build: engine → wasm (wasm-pack)"
bash scripts/build-wasm.sh

step "rust: fmt, clippy, tests"
(cd wasm && cargo fmt --check && cargo clippy --quiet --all-targets -- -D warnings && cargo test --quiet)

step "typescript: strict type-check"
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p bench/tsconfig.json

step "unit: vitest"
npx vitest run
npx vitest run --config bench/vitest.config.ts

step "browser: build demo, Playwright in Chromium"
npx vite build --logLevel warn
npx playwright test
