#!/usr/bin/env bash
# The scrubber's share of the gzipped package, against a base scrubber
# (issue 15's budget: at most 6 KiB more than the scrubber before it).
#
#   scripts/scrub-size.sh            # base: 94cf623, the scrubber before issue 15
#   SCRUB_SIZE_BASE=<commit> scripts/scrub-size.sh
#   SCRUB_SIZE_NEW=<commit> scripts/scrub-size.sh   # that commit's scrubber as `new`
#
# Copies the working tree twice into target/scrub-size/ (`new` as it is, `old`
# with src/core/scrub/ taken from the base commit; everything else the same),
# builds the package in each with scripts/package.sh (the shipped build:
# same flags, wasm-opt passes and import minifying) and prints gzip -9 sizes
# of the .wasm and of the whole package. The difference is what the scrubber
# changes cost, since nothing else differs. Both copies share this tree's
# target/ (std is built once). Needs what `make package` needs (run it once
# first: scripts/ensure-tools.sh installs the tools).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
# As the Makefile does: wasm-opt (npm `binaryen`), esbuild, wasm-pack.
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
base="${SCRUB_SIZE_BASE:-94cf623}"
new="${SCRUB_SIZE_NEW:-}"
work="$root/target/scrub-size"

copy_tree() {
  local dir="$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  # Tracked and untracked (not ignored) files: the tree as it is now.
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      # node_modules may be an untracked link here (a worktree's): linked
      # below instead, as cp --parents cannot copy a link to a directory
      # that way.
      [ -e "$f" ] && [ "$f" != node_modules ] && printf '%s\0' "$f"
    done | xargs -0 cp --parents -t "$dir"
  ln -s "$root/target" "$dir/target"
  ln -s "$root/node_modules" "$dir/node_modules"
}

take_scrub() {
  rm -rf "$2/src/core/scrub"
  git archive "$1" src/core/scrub | tar -x -m -C "$2"
  shim_api "$2/src/core/scrub/mod.rs"
}

# The rest of the tree calls scrubber APIs that were split out of existing
# code after the base (`core::props` calls `Scrubber::is_card_number`, the
# number branch of `scrub_value` since 7a4c652). A base scrubber without
# them would not build; adding each one, spelled as the base's own code
# spells it, to the base copy keeps the comparison to the scrubber's own
# changes: the shim is the code the base already shipped inside
# `scrub_value`, so it adds about nothing there.
shim_api() {
  local mod="$1"
  if ! grep -q 'fn is_card_number' "$mod"; then
    cat >>"$mod" <<'RS'

// Added by scripts/scrub-size.sh: the base's card-number check of JSON
// numbers (its `scrub_value`), as the API the current tree calls.
impl Scrubber {
    /// Whether a JSON number's text is a valid card number.
    pub fn is_card_number(&self, text: &str) -> bool {
        let digits = text.as_bytes();
        digits.len() >= 13 && digits.iter().all(u8::is_ascii_digit) && validate::card_ok(digits)
    }
}
RS
  fi
}
copy_tree "$work/new"
copy_tree "$work/old"
take_scrub "$base" "$work/old"
if [ -n "$new" ]; then take_scrub "$new" "$work/new"; fi

gz() { gzip -9 -c "$1" | wc -c; }
declare -A wasm total
for side in old new; do
  echo "== building the package with the $side scrubber" >&2
  # Cargo keys a workspace's build by paths relative to its root, so both
  # copies share one fingerprint: sources newer than the last build (of
  # either copy) are what makes it rebuild this one.
  find "$work/$side/src" -type f -exec touch {} +
  (cd "$work/$side" && PACKAGE_FORCE=1 scripts/package.sh >/dev/null)
  pkg="$work/$side/pkg"
  wasm[$side]=$(gz "$pkg/mv3_telemetry_bg.wasm")
  t=0
  for f in "$pkg"/*_bg.wasm "$pkg"/*.js; do t=$((t + $(gz "$f"))); done
  total[$side]=$t
done

kib() { awk -v b="$1" 'BEGIN { printf "%.2f KiB", b / 1024 }'; }
delta=$((wasm[new] - wasm[old]))
printf 'scrubber base: %s, new: %s (src/core/scrub/ of each)\n' "$base" "${new:-working tree}"
printf '%-34s %12s %12s %12s\n' "gzip -9" "old scrub" "new scrub" "difference"
printf '%-34s %12s %12s %12s\n' ".wasm" "$(kib "${wasm[old]}")" "$(kib "${wasm[new]}")" "$(kib "$delta")"
printf '%-34s %12s %12s %12s\n' "package (every .js and .wasm)" "$(kib "${total[old]}")" "$(kib "${total[new]}")" \
  "$(kib $((total[new] - total[old])))"
printf 'scrubber share grew by %s (%d bytes); budget 6 KiB: %s\n' "$(kib "$delta")" "$delta" \
  "$([ "$delta" -le 6144 ] && echo met || echo 'not met')"
