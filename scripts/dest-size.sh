#!/usr/bin/env bash
# The destination encoders' share of the gzipped wasm (issue 14's budget:
# the Sentry, OTLP and PostHog encoders together add at most 4 KiB).
#
#   scripts/dest-size.sh            # the working tree
#   DEST_SIZE_TOP=40 scripts/dest-size.sh   # longer twiggy list
#   DEST_SIZE_SRC=<commit> scripts/dest-size.sh   # src/core/dest/ of that commit
#                                   (its API must match the engine's)
#   DEST_SIZE_ONLY=sentry,otlp scripts/dest-size.sh   # the share of some of sentry, otlp, posthog
#
# The engine's delivery calls the encoders, so the shipped wasm holds them:
# the share is the shipped package minus the same tree with the encoders cut
# out. Two copies of the working tree go to target/dest-size/: `full`, the
# tree as it is, and `base`, where each encoder's entry point (table CUTS
# below) returns at once (after handing its arguments to black_box), so the
# linker drops everything only the encoders reach (their JSON writers,
# timestamp and frame formatting, the exception lists) while the engine
# around them (batches, cursors, rate limits, response decisions,
# release-health bookkeeping, the texts and URLs it prepares) stays. Both are
# built with scripts/package.sh (the shipped build: same flags, wasm-opt
# passes and import minifying); the difference in gzip -9 size of the .wasm
# is the encoders' share. The response decisions (`dest::response`) are not
# cut: they are the engine's, and cutting them would change its control flow.
# Then twiggy lists, before wasm-opt and with names, the functions the full
# build has beyond the base (by size difference). Needs what `make package`
# needs (scripts/ensure-tools.sh) and twiggy (`cargo install twiggy`).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
work="$root/target/dest-size"

copy_tree() {
  local dir="$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      # node_modules may be an untracked link here: linked below instead.
      [ -e "$f" ] && [ "$f" != node_modules ] && printf '%s\0' "$f"
    done | xargs -0 cp --parents -t "$dir"
  ln -s "$root/target" "$dir/target"
  ln -s "$root/node_modules" "$dir/node_modules"
}

# The encoders' entry points: part, file, function, what the stub returns.
# Every path from the engine to an encoder goes through one of them.
CUTS=(
  "sentry src/core/dest/sentry.rs envelope false"
  "sentry src/core/dest/sentry.rs client_report_envelope ()"
  "sentry src/core/dest/sentry.rs push_header ()"
  "sentry src/core/dest/sentry.rs push_client_report ()"
  "sentry src/core/dest/sentry.rs session_envelope false"
  "sentry src/core/dest/sentry.rs push_session_item false"
  "otlp src/core/dest/otlp.rs logs 0"
  "otlp src/core/dest/otlp.rs metrics ()"
  "posthog src/core/dest/posthog.rs batch 0"
)

# Cuts the parts named in DEST_SIZE_ONLY (all by default) out of the copy in
# `$1`: each entry point starts with `if true { black_box(args); return
# black_box(<stub>); }`, so what only it reaches is dead code the compiler
# drops, and the copy still compiles with the same signatures. The black_box
# calls keep the engine around the cut as it is: without them the compiler
# would see that no body is ever written and drop the engine's glue too (the
# stored texts handed over, URLs, headers), counting it as the encoders'. A
# function not found fails the run: a renamed encoder must not quietly stay
# in the base.
cut_encoders() {
  local dir="$1" cut part file fn value
  for cut in "${CUTS[@]}"; do
    read -r part file fn value <<<"$cut"
    case ",${DEST_SIZE_ONLY:-sentry,otlp,posthog}," in
      *",$part,"*) ;;
      *) continue ;;
    esac
    FN="$fn" VALUE="$value" perl -0pi -e '
      my ($fn, $value) = ($ENV{FN}, $ENV{VALUE});
      my $stub = $value eq "()" ? "return;" : "return std::hint::black_box($value);";
      sub cut {
        my ($head, $params, $stub) = @_;
        # The parameter names, once nested (), [] and <> are taken out.
        while ($params =~ s/\([^()]*\)|\[[^\[\]]*\]|<[^<>]*>//g) {}
        my $args = join "", map { "&$_, " } ($params =~ /(?:^|,)\s*(?:mut\s+)?(\w+)\s*:/g);
        return "$head\n    if true { std::hint::black_box(($args)); $stub } // dest-size.sh: cut\n";
      }
      s~(\bfn \Q$fn\E\b\s*(\((?:[^()]++|(?2))*\))[^{]*\{)~cut($1, substr($2, 1, -1), $stub)~e
        or die "dest-size: fn $fn not found\n";
    ' "$dir/$file"
  done
}

gz() { gzip -9 -c "$1" | wc -c; }
declare -A wasm
# Both copies first: the working tree may change while the builds run.
for side in base full; do
  copy_tree "$work/$side"
  if [ -n "${DEST_SIZE_SRC:-}" ]; then
    rm -rf "$work/$side/src/core/dest"
    git archive "$DEST_SIZE_SRC" src/core/dest | tar -x -m -C "$work/$side"
  fi
done
cut_encoders "$work/base"
for side in base full; do
  echo "== building the package: $side" >&2
  # Both copies share target/ and one cargo fingerprint: newer sources rebuild.
  find "$work/$side/src" -type f -exec touch {} +
  (cd "$work/$side" && PACKAGE_FORCE=1 scripts/package.sh >/dev/null)
  wasm[$side]=$(gz "$work/$side/pkg/mv3_telemetry_bg.wasm")
  # Before wasm-bindgen and wasm-opt, with names: for the list below.
  cp "$root/target/size-build/wasm32-unknown-unknown/release/mv3_telemetry.wasm" "$work/$side/raw.wasm"
done

kib() { awk -v b="$1" 'BEGIN { printf "%.2f KiB", b / 1024 }'; }
delta=$((wasm[full] - wasm[base]))
printf '%-34s %12s %12s %12s\n' "gzip -9" "cut" "as shipped" "difference"
printf '%-34s %12s %12s %12s\n' ".wasm" "$(kib "${wasm[base]}")" "$(kib "${wasm[full]}")" "$(kib "$delta")"
printf 'src/core/dest/ of %s; cut in the base: %s\n' "${DEST_SIZE_SRC:-the working tree}" "${DEST_SIZE_ONLY:-sentry,otlp,posthog}"
if [ -z "${DEST_SIZE_ONLY:-}" ]; then
  printf 'the three encoders: %s (%d bytes) of %s; budget 4 KiB: %s\n' "$(kib "$delta")" "$delta" \
    "$(kib "${wasm[full]}")" "$([ "$delta" -le 4096 ] && echo met || echo 'not met')"
else
  printf '%s: %s (%d bytes)\n' "$DEST_SIZE_ONLY" "$(kib "$delta")" "$delta"
fi

# What the full build links beyond the base, by function (before wasm-opt,
# names kept): the encoders and every helper only they use. A cut entry
# point is in both builds, as its stub in the base: it shows as the
# difference of its two sizes.
if command -v twiggy >/dev/null; then
  names() { twiggy top -n 1000000 "$1" 2>/dev/null | awk -F'┊' 'NF == 3 { gsub(/^ +| +$/, "", $1); gsub(/^ +/, "", $3); print $1 "\t" $3 }' | sed -E 's/\[[0-9a-f]{16}\]//g'; }
  names "$work/base/raw.wasm" >"$work/base.sizes"
  names "$work/full/raw.wasm" >"$work/full.sizes"
  echo
  echo "linked only with the encoders, before wasm-opt (bytes, largest first):"
  awk -F'\t' 'NR == FNR { base[$2] += $1; next }
    $2 !~ /custom section|function names|^Σ|^type\[|^data segment|^code\[/ && $1 > base[$2] { print $1 - base[$2] "\t" $2 }' \
    "$work/base.sizes" "$work/full.sizes" | sort -t$'\t' -k1 -rn >"$work/only-full.txt"
  awk -F'\t' '{ s += $1 } END { printf "%d bytes in %d functions\n", s, NR }' "$work/only-full.txt"
  head -n "${DEST_SIZE_TOP:-25}" "$work/only-full.txt" | cut -c1-160
fi
