#!/usr/bin/env bash
# Installs what a fresh machine lacks for `make test`, `make demo` and
# `make package`. Idempotent: every step is skipped in well under a second
# when its tool is already there.
#
#   rustup target wasm32-unknown-unknown
#   wasm-pack                    (cargo install)
#   wasm-bindgen-cli X           (cargo install, X = wasm-bindgen in Cargo.lock)
#   node_modules                 (npm ci from the committed package-lock.json;
#                                 gives wasm-opt via `binaryen`, playwright-core,
#                                 esbuild, typescript)
#   chromium + chromedriver      (Debian packages)
#
# Set ENSURE_TOOLS_SKIP_BROWSER=1 to skip the browser (e.g. `make package`).
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '[ensure-tools] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- rust target
if ! rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'; then
  log "adding rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# rustfmt and clippy: `make test` checks formatting and lints.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    log "adding rustup component $component"
    rustup component add "$component"
  fi
done

# rust-src: lets `make package` rebuild std for size (see scripts/package.sh).
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  log "adding rustup component rust-src"
  rustup component add rust-src || log "rust-src unavailable; the package will use the stable build"
fi

# cargo install, --locked first, then without it (the crates mirror can lack a
# version pinned by a tool's own lockfile).
cargo_install() {
  if ! cargo install --locked "$@"; then
    log "cargo install --locked $* failed; retrying without --locked"
    cargo install "$@"
  fi
}

# ------------------------------------------------------------------ wasm-pack
if ! command -v wasm-pack >/dev/null 2>&1; then
  log "installing wasm-pack (cargo install; a few minutes on a fresh machine)"
  cargo_install wasm-pack
fi

# ----------------------------------------------------------------- cargo-fuzz
# `make test` fuzzes the scrubber and the stack parser for a bounded time.
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  log "installing cargo-fuzz (cargo install)"
  cargo_install cargo-fuzz
fi

# ---------------------------------------------------------- wasm-bindgen-cli
# Must be the exact version of the `wasm-bindgen` crate in Cargo.lock, or
# wasm-pack tries to download one (which fails on this network).
if [ ! -f Cargo.lock ]; then
  log "no Cargo.lock; generating it"
  cargo generate-lockfile
fi
WB_VERSION="$(awk '
  /^\[\[package\]\]/ { name = "" }
  /^name = "wasm-bindgen"$/ { name = "wasm-bindgen" }
  name == "wasm-bindgen" && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)"
if [ -z "$WB_VERSION" ]; then
  echo "ensure-tools: cannot find the wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
have_wb="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have_wb" != "$WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION (have: ${have_wb:-none})"
  cargo_install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# ------------------------------------------------------------------------ npm
# `npm ci` only when node_modules is missing or older than the lockfile.
STAMP=node_modules/.mv3-telemetry-npm-ci.stamp
if [ ! -f "$STAMP" ] || [ package-lock.json -nt "$STAMP" ] || [ package.json -nt "$STAMP" ]; then
  log "npm ci (from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$STAMP"
fi

# -------------------------------------------------------------------- browser
if [ "${ENSURE_TOOLS_SKIP_BROWSER:-0}" != 1 ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    log "installing chromium + chromium-driver (Debian packages)"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      chromium chromium-driver fonts-liberation >/dev/null
  fi
fi
exit 0
