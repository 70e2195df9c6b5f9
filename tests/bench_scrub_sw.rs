//! Scrubber throughput in a real Chromium service worker, the wasm half of
//! `make bench` (the native half is `cargo bench --bench scrub`):
//!
//! ```text
//! WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --release --headless --chrome \
//!   -- --test bench_scrub_sw -- --nocapture
//! ```
//!
//! Same corpus, same `regex`-crate baseline and same adversarial inputs as
//! the native bench (`tests/common/scrub_bench_shared.rs`). Prints MB/s of
//! `Scrubber::scrub_text` and of the baseline over the mixed corpus (median
//! of 3 rounds, timed with `performance.now()`), their ratio, and the worst
//! case over the 1 MB adversarial inputs. Never asserts on time.
//!
//! wasm-bindgen-test captures `console.log` and shows it only for failing
//! tests; `-- --nocapture` makes the runner print it for passing ones too.
//! The default 20 s test timeout is too short: raise it with
//! `WASM_BINDGEN_TEST_TIMEOUT` (the Makefile does).
//!
//! Named `bench_*`, so `make test` (`--test 'wasm_*'`) never runs it.
#![cfg(target_arch = "wasm32")]

#[path = "common/scrub_bench_shared.rs"]
mod shared;

use std::hint::black_box;

use mv3_telemetry::core::scrub::Scrubber;
use shared::{adversarial_inputs, build_corpus, dirty_lines, RegexBaseline};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_service_worker);

#[wasm_bindgen]
extern "C" {
    // The worker's global `performance` (no `window` in a service worker).
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;

    #[wasm_bindgen(js_namespace = console)]
    fn log(s: &str);
}

/// Mixed corpus size; 10 MB like the native bench.
const CORPUS_BYTES: usize = 10_000_000;
const ROUNDS: usize = 3;

/// Milliseconds taken by `f`.
fn time_ms(f: impl FnOnce()) -> f64 {
    let t = now();
    f();
    now() - t
}

/// Median of `rounds` timings of `f`, in milliseconds.
fn median_ms(rounds: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..rounds).map(|_| time_ms(&mut f)).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mbps(bytes: usize, ms: f64) -> f64 {
    bytes as f64 / 1e6 / (ms / 1e3)
}

#[wasm_bindgen_test]
fn scrub_throughput_in_service_worker() {
    let t_build = now();
    let lines = build_corpus(CORPUS_BYTES);
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let ours = Scrubber::default();
    let baseline = RegexBaseline::new();
    let build_ms = now() - t_build;

    // Sanity, as in the native bench: ours removes the obvious secrets
    // (correctness, not time; the baseline's IP rule skips IPs after `/`).
    for l in dirty_lines() {
        assert_ne!(ours.scrub_text(&l), l.as_str(), "ours missed {l}");
    }

    let t_ours = median_ms(ROUNDS, || {
        for l in &lines {
            black_box(ours.scrub_text(black_box(l)));
        }
    });
    let t_regex = median_ms(ROUNDS, || {
        for l in &lines {
            black_box(baseline.scrub(black_box(l)));
        }
    });

    log(&format!(
        "[service worker] corpus: {:.1} MB in {} lines (~15% with a secret), built in {:.0} ms",
        bytes as f64 / 1e6,
        lines.len(),
        build_ms
    ));
    log(&format!(
        "[service worker] mv3-telemetry scrubber, per line : {:8.1} MB/s  (median of {ROUNDS})",
        mbps(bytes, t_ours)
    ));
    log(&format!(
        "[service worker] regex baseline, per line         : {:8.1} MB/s  (median of {ROUNDS})",
        mbps(bytes, t_regex)
    ));
    log(&format!(
        "[service worker] ratio ours / regex               : {:8.2}x",
        t_regex / t_ours
    ));

    let mut worst = ("", 0.0f64, 0usize);
    log("[service worker] adversarial 1 MB inputs:");
    for (name, input) in &adversarial_inputs() {
        let ms = median_ms(ROUNDS, || {
            black_box(ours.scrub_text(black_box(input)));
        });
        log(&format!(
            "[service worker]   {name:22} {ms:8.2} ms  ({:7.1} MB/s)",
            mbps(input.len(), ms)
        ));
        if ms > worst.1 {
            worst = (name, ms, input.len());
        }
    }
    log(&format!(
        "[service worker] worst case over 1 MB adversarial inputs: {} at {:.2} ms per MB ({:.1} MB/s)",
        worst.0,
        worst.1,
        mbps(worst.2, worst.1)
    ));
}
