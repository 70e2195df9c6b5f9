#!/usr/bin/env bash
# Fuzzes the scrubber and the stack parser for N seconds each (default 60).
#
#   scripts/fuzz.sh 20
#
# cargo-fuzz needs nightly-only flags (-Zsanitizer); on a stable toolchain
# RUSTC_BOOTSTRAP=1 unlocks them. Installs cargo-fuzz when missing.
set -euo pipefail
secs="${1:-60}"
cd "$(dirname "$0")/.."
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz || cargo install cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
for target in scrub stack; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  echo "== fuzzing $target for ${secs}s"
  # -rss_limit_mb keeps a runaway input from taking the machine down;
  # -max_len covers multi-kilobyte messages and stacks.
  cargo fuzz run "$target" "$corpus" -- \
    -max_total_time="$secs" -max_len=16384 -rss_limit_mb=2048 -timeout=10
done
echo "fuzz: no crash in ${secs}s per target"
