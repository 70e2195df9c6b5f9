#!/usr/bin/env bash
# Builds the npm package `mv3-telemetry` into pkg/:
#   wasm-pack build (release, --target web)  -> the glue mv3_telemetry.js, _bg.wasm
#   + scripts/minify-imports.mjs: short import and export names in the .wasm and the glue
#   + index.js: js/index.js, the modules it imports and the glue, bundled into
#     one file (one module for the worker to fetch and parse at every start)
#   + js/index.d.ts
#   + page.js (ESM) and page.global.js (classic script): the page client
#     connect(), no wasm, at most 2 KiB gzipped (checked here), + js/page.d.ts
#   + pkg-template/package.json (version from Cargo.toml), README.md; the LICENSE-* files
# then prints gzipped sizes and copies pkg/ into the example extension
# (examples/extension/vendor/mv3-telemetry/, gitignored).
#
# Skips the build when none of its inputs changed since the last one
# (PACKAGE_FORCE=1 builds anyway).
#
# Needs wasm-pack, wasm-bindgen (= Cargo.lock's version) and wasm-opt on PATH:
# run through `make package`, which sees to that.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=pkg
JS_DIR="${JS_DIR:-js}"          # overridable only to try the flow with a stub
VENDOR=examples/extension/vendor/mv3-telemetry
STAMP="$OUT/.inputs.sha256"     # not in package.json `files`: never published

for f in "$JS_DIR/index.js" "$JS_DIR/index.d.ts" "$JS_DIR/page.js" "$JS_DIR/page-global.js" "$JS_DIR/page.d.ts"; do
  if [ ! -f "$f" ]; then
    echo "package: $f is missing (the ESM wrapper); cannot build the package" >&2
    exit 1
  fi
done
# Generated from the Rust; a missing file is a checkout problem, not a build step.
if [ "$JS_DIR" = js ] && [ ! -f js/constants.js ]; then
  echo "package: js/constants.js is missing; run \`UPDATE_CONSTANTS=1 cargo test --test constants\`" >&2
  exit 1
fi

# The page client's budget (README "Size"): what every content script and page adds.
PAGE_MAX_GZIP=2048

sizes() {
  local total_raw=0 total_gz=0 raw gz f
  printf '%-28s %10s %10s\n' "file" "bytes" "gzip -9"
  for f in "$OUT"/*_bg.wasm "$OUT"/*.js; do
    case "$(basename "$f")" in page*.js) continue ;; esac
    raw=$(wc -c <"$f"); gz=$(gzip -9 -c "$f" | wc -c)
    total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
    printf '%-28s %10d %10d\n' "$(basename "$f")" "$raw" "$gz"
  done
  printf '%-28s %10d %10d\n' "total (wasm + js)" "$total_raw" "$total_gz"
  for f in "$OUT"/page.js "$OUT"/page.global.js; do
    [ -f "$f" ] || continue
    raw=$(wc -c <"$f"); gz=$(gzip -9 -c "$f" | wc -c)
    printf '%-28s %10d %10d   (page client, budget %d)\n' "$(basename "$f")" "$raw" "$gz" "$PAGE_MAX_GZIP"
    if [ "$gz" -gt "$PAGE_MAX_GZIP" ]; then
      echo "package: $(basename "$f") is $gz bytes gzipped, over the page client's $PAGE_MAX_GZIP" >&2
      return 1
    fi
  done
}

inputs_hash() {
  {
    find src "$JS_DIR" pkg-template -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum Cargo.toml Cargo.lock scripts/package.sh scripts/minify-imports.mjs scripts/trim-glue.mjs LICENSE-MIT LICENSE-APACHE
    rustc --version; wasm-bindgen --version; wasm-pack --version
  } 2>/dev/null | sha256sum | cut -d' ' -f1
}

HASH="$(inputs_hash)"
if [ "${PACKAGE_FORCE:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] \
   && [ -f "$OUT/mv3_telemetry_bg.wasm" ] && [ -f "$VENDOR/index.js" ]; then
  sizes
  echo "package: $OUT/ is up to date (inputs unchanged; PACKAGE_FORCE=1 to rebuild)"
  exit 0
fi
rm -f "$STAMP"

# Size is a feature. The preferred build recompiles std so that a panic aborts
# at once (no panic-message formatting linked): about 10 KB less gzipped. Those
# are nightly flags, allowed on this stable toolchain by RUSTC_BOOTSTRAP=1, and
# they need the rust-src component; if that build fails for any reason the
# plain stable build is used, so the package is always produced.
# -Zlocation-detail=none drops the file/line of every panic site (never
# printed with immediate-abort): about 0.4 KB less gzipped.
# A separate target dir keeps `cargo test` from rebuilding after it.
build_wasm() {
  if [ "${PACKAGE_STABLE:-0}" != 1 ] && rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    if CARGO_TARGET_DIR=target/size-build RUSTC_BOOTSTRAP=1 \
       RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Clink-arg=-zstack-size=65536" \
       wasm-pack build . --release --target web --out-dir "$OUT" --out-name mv3_telemetry \
       -- -Zbuild-std=std,panic_abort; then
      return 0
    fi
    echo "package: the size-optimised build failed; using the stable build" >&2
  fi
  wasm-pack build . --release --target web --out-dir "$OUT" --out-name mv3_telemetry
}
build_wasm

# Short import and export names in the .wasm and in the glue that feeds them
# (~3 KB gzipped; the script says why and checks the glue's shape).
node scripts/minify-imports.mjs "$OUT/mv3_telemetry_bg.wasm" "$OUT/mv3_telemetry.js"
# What an MV3 worker never runs out of the glue: Safari and pre-2019 fallbacks,
# older initSync call shapes, finalizers of objects that live as long as the
# worker (~0.2 KB gzipped; the script says why for each).
node scripts/trim-glue.mjs "$OUT/mv3_telemetry.js"

# One minified ES module: js/index.js with the glue bundled in (import.meta.url
# and the exports are kept as they are; index.js finds the .wasm beside it).
# The glue is internal: neither it nor its types are shipped on their own.
bundle_dir="$(mktemp -d)"
cp -R "$JS_DIR/." "$bundle_dir/"
cp "$OUT/mv3_telemetry.js" "$bundle_dir/mv3_telemetry.js"
esbuild --bundle --minify --format=esm --log-level=warning "$bundle_dir/index.js" --outfile="$OUT/index.js"
rm -rf "$bundle_dir"
rm -f "$OUT/mv3_telemetry.js" "$OUT/mv3_telemetry.d.ts" "$OUT/mv3_telemetry_bg.wasm.d.ts"
# The page client: bundled alone (it must never pull the wasm glue in).
esbuild --bundle --minify --format=esm --log-level=warning "$JS_DIR/page.js" --outfile="$OUT/page.js"
esbuild --bundle --minify --format=iife --log-level=warning "$JS_DIR/page-global.js" --outfile="$OUT/page.global.js"
cp "$JS_DIR/index.d.ts" "$JS_DIR/page.d.ts" "$OUT/"
cp pkg-template/README.md LICENSE-MIT LICENSE-APACHE "$OUT/"
rm -f "$OUT/.gitignore"

VERSION="$(awk '
  /^\[/ { section = $0 }
  section == "[package]" && /^version *= */ { gsub(/"/, "", $3); print $3; exit }
' Cargo.toml)"
[ -n "$VERSION" ] || { echo "package: no [package] version in Cargo.toml" >&2; exit 1; }

node - "$VERSION" "$OUT" <<'JS'
const fs = require('fs');
const [version, out] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync('pkg-template/package.json', 'utf8'));
pkg.version = version;
fs.writeFileSync(`${out}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
const missing = pkg.files.filter((f) => !f.includes('*') && !fs.existsSync(`${out}/${f}`));
if (missing.length) {
  console.error(`package: files listed in package.json but not built: ${missing.join(', ')}`);
  process.exit(1);
}
const listed = (f) => pkg.files.some((p) => (p.endsWith('*') ? f.startsWith(p.slice(0, -1)) : f === p));
const unlisted = fs.readdirSync(out).filter((f) => !f.startsWith('.') && f !== 'package.json' && !listed(f));
if (unlisted.length) {
  console.error(`package: built but not listed in pkg-template/package.json "files": ${unlisted.join(', ')}`);
  process.exit(1);
}
JS

sizes

rm -rf "$VENDOR"
mkdir -p "$(dirname "$VENDOR")"
cp -R "$OUT" "$VENDOR"
rm -f "$VENDOR/$(basename "$STAMP")"
echo "$HASH" >"$STAMP"
echo "package: $OUT/ (mv3-telemetry@$VERSION), copied to $VENDOR/"
