#!/usr/bin/env bash
# The destination encoders' share of the gzipped wasm (issue 14's budget:
# 4 KiB for the Sentry, OTLP and PostHog encoders and response decisions).
#
#   scripts/dest-size.sh            # the working tree
#   DEST_SIZE_TOP=40 scripts/dest-size.sh   # longer twiggy list
#   DEST_SIZE_SRC=<commit> scripts/dest-size.sh   # src/core/dest/ of that commit
#   DEST_SIZE_ONLY=sentry,response scripts/dest-size.sh   # some of sentry, otlp, posthog, response
#
# Nothing in the shipped wasm calls the encoders yet, so the linker leaves
# them out. This links them through a probe export and compares two copies
# of the working tree in target/dest-size/: `base` with a probe of the same
# signature that calls nothing, `probe` with one that calls every encoder
# (Sentry event/feedback/client-report/session envelopes, OTLP logs and
# metrics, the PostHog batch) and the response decisions, on values from JS
# so nothing is folded away. Both are built with scripts/package.sh (the
# shipped build: same flags, wasm-opt passes and import minifying); the
# difference in gzip -9 size of the .wasm is the encoders' share, the
# probe's own glue cancelling out. Then twiggy lists the largest functions of
# the probe build before wasm-opt (names kept), restricted to core::dest and
# what only it pulls in. Needs what `make package` needs (scripts/ensure-tools.sh)
# and twiggy (`cargo install twiggy`).
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

# The probe's body: `$1` is `base` (calls nothing) or `probe` (calls every encoder).
probe() {
  local dir="$1/src/wasm"
  echo 'mod dest_probe;' >>"$dir/mod.rs"
  {
    cat <<'RS'
//! Size probe (scripts/dest-size.sh only, never committed): links the
//! destination encoders into the wasm through one export.
use wasm_bindgen::prelude::wasm_bindgen;
#[allow(unused_imports)]
use crate::core::dest::{otlp, posthog, response, sentry, Kind, Meta, PosthogOptions, Types};
#[allow(unused_imports)]
use crate::core::{sketch::Sketch, wire::{Context, DropCounts, DropReason}};

// Which encoders the probe calls (DEST_SIZE_ONLY); unused by the base probe.
#[allow(dead_code)]
const SENTRY: bool = DEST_ONLY_SENTRY;
#[allow(dead_code)]
const OTLP: bool = DEST_ONLY_OTLP;
#[allow(dead_code)]
const POSTHOG: bool = DEST_ONLY_POSTHOG;
#[allow(dead_code)]
const RESPONSE: bool = DEST_ONLY_RESPONSE;

#[wasm_bindgen(js_name = destProbe)]
pub fn dest_probe(kind: u8, a: String, b: String) -> String {
RS
    # The same values are built in both probes; `base` hands them to
    # black_box where `probe` hands them to the encoders, so the difference
    # is the encoders alone, not the probe's own setup.
    cat <<'RS'
    let context = Context {
        app_version: a.clone(),
        environment: b.clone(),
        browser: a.clone(),
        os: b.clone(),
        locale: a.clone(),
    };
    let now = u64::from(kind) * 1_000;
    let meta = Meta { app_name: &a, context: &context, anonymous_id: &b, now };
    let items: Vec<&str> = b.split('\n').collect();
    let mut counts = DropCounts::default();
    counts.add(DropReason::QueueFull, u64::from(kind));
    let mut sketch = Sketch::new();
    sketch.add(f64::from(kind));
    let options = PosthogOptions { api_key: a.clone(), host: b.clone(), types: Types::default() };
    let answer = response::Response {
        status: Some(u16::from(kind)),
        retry_after: Some(&a),
        rate_limits: Some(&b),
        body: Some(&a),
    };
    let mut out = String::new();
RS
    if [ "$2" = base ]; then
      cat <<'RS'
    std::hint::black_box((&meta, &items, &counts, &sketch, &options, &answer, &mut out));
    out
RS
    else
      cat <<'RS'
    let drops = sentry::drops_of(&counts, "error");
    match kind {
        0 if SENTRY => {
            sentry::envelope(&meta, &a, &drops, &mut out);
        }
        1 if SENTRY => sentry::client_report_envelope(&meta, &drops, &mut out),
        2 if SENTRY => {
            let update = sentry::SessionUpdate {
                sid: &a,
                did: &b,
                init: now > 5,
                started: now / 2,
                now,
                errors: now,
                status: sentry::SessionStatus::of(now > 7, now > 9),
                release: &a,
                environment: &b,
            };
            sentry::session_envelope(&update, &mut out);
        }
        3 if OTLP => {
            otlp::logs(&meta, &items, &mut out);
        }
        4 if OTLP => {
            let series = otlp::Series { name: &a, props: &b, start: now, end: now, sketch: &sketch };
            otlp::metrics(&meta, &[series], &mut out);
        }
        5 if POSTHOG => {
            posthog::batch(&options, &meta, &items, &mut out);
        }
        6.. if RESPONSE => {
            let verdict = response::classify(Kind::ALL[usize::from(kind) % 3], &answer, now);
            let mut limits = response::RateLimits::default();
            limits.update(&answer, now);
            let limited = limits.is_limited(sentry::category(&b).unwrap_or("error"), now);
            out.push(if limited || matches!(verdict, response::Verdict::Rejected) { 'x' } else { 'y' });
            let _ = response::partial_rejected(&a);
        }
        _ => {}
    }
    out
RS
    fi
    echo '}'
  } >"$dir/dest_probe.rs"
  local part
  for part in SENTRY OTLP POSTHOG RESPONSE; do
    local on=true
    case ",${DEST_SIZE_ONLY:-sentry,otlp,posthog,response}," in
      *",${part,,},"*) ;;
      *) on=false ;;
    esac
    sed -i "s/DEST_ONLY_$part;/$on;/" "$dir/dest_probe.rs"
  done
}

gz() { gzip -9 -c "$1" | wc -c; }
declare -A wasm
for side in base probe; do
  copy_tree "$work/$side"
  if [ -n "${DEST_SIZE_SRC:-}" ]; then
    rm -rf "$work/$side/src/core/dest"
    git archive "$DEST_SIZE_SRC" src/core/dest | tar -x -m -C "$work/$side"
  fi
  probe "$work/$side" "$side"
  echo "== building the package with the $side probe" >&2
  # Both copies share target/ and one cargo fingerprint: newer sources rebuild.
  find "$work/$side/src" -type f -exec touch {} +
  (cd "$work/$side" && PACKAGE_FORCE=1 scripts/package.sh >/dev/null)
  wasm[$side]=$(gz "$work/$side/pkg/mv3_telemetry_bg.wasm")
  # Before wasm-bindgen and wasm-opt, with names: for the list below.
  cp "$root/target/size-build/wasm32-unknown-unknown/release/mv3_telemetry.wasm" "$work/$side/raw.wasm"
done

kib() { awk -v b="$1" 'BEGIN { printf "%.2f KiB", b / 1024 }'; }
delta=$((wasm[probe] - wasm[base]))
printf '%-34s %12s %12s %12s\n' "gzip -9" "base probe" "full probe" "difference"
printf '%-34s %12s %12s %12s\n' ".wasm" "$(kib "${wasm[base]}")" "$(kib "${wasm[probe]}")" "$(kib "$delta")"
printf 'src/core/dest/ of %s; linked: %s\n' "${DEST_SIZE_SRC:-the working tree}" "${DEST_SIZE_ONLY:-sentry,otlp,posthog,response}"
if [ -z "${DEST_SIZE_ONLY:-}" ]; then
  printf 'encoders and response decisions: %s (%d bytes); budget 4 KiB: %s\n' "$(kib "$delta")" "$delta" \
    "$([ "$delta" -le 4096 ] && echo met || echo 'not met')"
else
  printf '%s: %s (%d bytes)\n' "$DEST_SIZE_ONLY" "$(kib "$delta")" "$delta"
fi

# What the probe links that the base does not, by function (before
# wasm-opt, names kept): the encoders and every helper only they use.
if command -v twiggy >/dev/null; then
  names() { twiggy top -n 1000000 "$1" 2>/dev/null | awk -F'┊' 'NF == 3 { gsub(/^ +| +$/, "", $1); gsub(/^ +/, "", $3); print $1 "\t" $3 }' | sed -E 's/\[[0-9a-f]{16}\]//g'; }
  names "$work/base/raw.wasm" | cut -f2 | sort -u >"$work/base.names"
  names "$work/probe/raw.wasm" | sort -t$'\t' -k2 >"$work/probe.sizes"
  echo
  echo "linked only with the encoders, before wasm-opt (bytes, largest first):"
  awk -F'\t' 'NR == FNR { base[$1] = 1; next } !($2 in base) && $2 !~ /destProbe|dest_probe|custom section|function names|^Σ|^type\[/ { print }' \
    "$work/base.names" "$work/probe.sizes" | sort -t$'\t' -k1 -rn >"$work/only-probe.txt"
  awk -F'\t' '{ s += $1 } END { printf "%d bytes in %d functions and data\n", s, NR }' "$work/only-probe.txt"
  head -n "${DEST_SIZE_TOP:-25}" "$work/only-probe.txt" | cut -c1-160
fi
