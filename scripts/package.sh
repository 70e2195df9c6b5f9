#!/usr/bin/env bash
# Builds the npm package `mv3-telemetry` into pkg/:
#   wasm-pack build (release, --target web)  -> mv3_telemetry.js, _bg.wasm, .d.ts
#   + js/index.js, js/index.d.ts             (the ESM entry users import)
#   + pkg-template/package.json (version from Cargo.toml), pkg-template/README.md
# then prints gzipped sizes and copies pkg/ into the example extension
# (examples/extension/vendor/mv3-telemetry/, gitignored).
#
# Needs wasm-pack, wasm-bindgen (= Cargo.lock's version) and wasm-opt on PATH:
# run through `make package`, which sees to that.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=pkg
JS_DIR="${JS_DIR:-js}"          # overridable only to try the flow with a stub
VENDOR=examples/extension/vendor/mv3-telemetry

for f in "$JS_DIR/index.js" "$JS_DIR/wrapper.js" "$JS_DIR/index.d.ts"; do
  if [ ! -f "$f" ]; then
    echo "package: $f is missing (the ESM wrapper); cannot build the package" >&2
    exit 1
  fi
done

wasm-pack build --release --target web --out-dir "$OUT" --out-name mv3_telemetry

cp "$JS_DIR"/*.js "$JS_DIR"/*.d.ts "$OUT/"
cp pkg-template/README.md "$OUT/README.md"
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
JS

# Sizes: what an extension ships (wasm + JS), raw and gzip -9.
total_raw=0; total_gz=0
printf '%-28s %10s %10s\n' "file" "bytes" "gzip -9"
for f in "$OUT"/*_bg.wasm "$OUT"/*.js; do
  raw=$(wc -c <"$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-28s %10d %10d\n' "$(basename "$f")" "$raw" "$gz"
done
printf '%-28s %10d %10d\n' "total (wasm + js)" "$total_raw" "$total_gz"

rm -rf "$VENDOR"
mkdir -p "$(dirname "$VENDOR")"
cp -R "$OUT" "$VENDOR"
echo "package: $OUT/ (mv3-telemetry@$VERSION), copied to $VENDOR/"
