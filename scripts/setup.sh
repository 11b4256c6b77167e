#!/usr/bin/env bash
# Installs whatever edgestate's build and tests need and is missing, idempotently:
#   Debian packages  rustc-web cargo-web rust-web-src lld-22 (Rust 1.96 for wasm32, std from
#                    source), chromium (browser tests), rocksdb-tools (format interop)
#   cargo tools      wasm-bindgen-cli and wasm-pack at pinned versions
#   npm packages     from package-lock.json
# Quiet when everything is present; says what it installs. Needs only bash and node to start.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in wasm/Cargo.toml
WASM_PACK_VERSION=0.15.1
DEBIAN_PACKAGES=(rustc-web cargo-web rust-web-src lld-22 chromium rocksdb-tools)

say() { printf 'setup: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# --- Debian packages --------------------------------------------------------------------------
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# wasm-pack decides whether the wasm32 target exists by looking for rustc's target libdir; with
# std built from source (-Zbuild-std) the directory only has to exist.
libdir="$(/usr/bin/rustc --target wasm32-unknown-unknown --print target-libdir)"
if [ ! -d "$libdir" ]; then
  say "creating $libdir (std for wasm32 is built from source by -Zbuild-std)"
  as_root mkdir -p "$libdir"
fi

# --- Node -------------------------------------------------------------------------------------
command -v node >/dev/null || die "node is not installed (Node.js >= 20.19 is needed)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js >= 20.19 is needed, found $(node --version)"

# --- Rust: native toolchain for tests and clippy (rustup's), cargo tools -----------------------
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || die "cargo is not installed (rustup's stable toolchain is expected for native builds)"
cargo clippy --version >/dev/null 2>&1 || die "cargo clippy is missing from $(command -v cargo)"

installed_version() { "$1" --version 2>/dev/null | awk '{print $2}'; }
if [ "$(installed_version wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]; then
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io (several minutes, once)"
  cargo install --quiet --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if [ "$(installed_version wasm-pack)" != "$WASM_PACK_VERSION" ]; then
  say "building wasm-pack $WASM_PACK_VERSION from crates.io (several minutes, once)"
  cargo install --quiet --force wasm-pack --version "$WASM_PACK_VERSION"
fi

# --- npm packages -----------------------------------------------------------------------------
stamp=node_modules/.edgestate-lock-hash
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > "$stamp"
fi
