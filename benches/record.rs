//! The native cost of the record path (`cargo bench --bench record`): what a
//! `track(name, {10 props})` costs inside the core (parse the props JSON,
//! clean, scrub, build the item, queue it) and what the debounced persist
//! adds per event, with 0 and with 1,000 items already queued.
//!
//! Prints, never asserts on time. For figures comparable with the wasm
//! build's code, run with the size-tuned release profile (the default here);
//! `CARGO_PROFILE_BENCH_OPT_LEVEL=3` shows the speed-tuned native ceiling.

use std::hint::black_box;
use std::time::Instant;

use mv3_telemetry::core::{Consent, Context, Engine, Policy, Scrubber, SplitMix};

/// The props of the browser bench's `track()` (`TEN_PROPS` in bench/lib.mjs),
/// as the JS wrapper hands them over.
const PROPS: &str = r#"{"a":1,"b":"two","c":true,"d":4.5,"e":"https://example.com/page","f":null,"g":"seven","h":8,"i":"nine","j":[1,2]}"#;

/// 2026-11-21T10:00:00Z
const START: u64 = 1_795_255_200_000;

fn engine(rng: &mut SplitMix) -> Engine {
    let context = Context {
        app_version: "1.0.2".into(),
        ..Context::default()
    };
    // No eviction: the figure is the cost of recording, not of the cap.
    let policy = Policy {
        max_queued_items: 100_000,
        ..Policy::default()
    };
    Engine::new(policy, context, Scrubber::default(), Consent::Granted, rng).unwrap()
}

/// Nanoseconds per event over `calls` track calls, a persist every 200
/// (the debounce batches about that many in a burst), best of 5 rounds.
fn measure(queued: usize, calls: usize) -> (f64, f64) {
    let mut best = (f64::MAX, f64::MAX);
    // RECORD_BENCH_ROUNDS=1 with a small RECORD_BENCH_CALLS suits valgrind.
    let rounds = env_usize("RECORD_BENCH_ROUNDS", 5);
    for _ in 0..rounds {
        let mut rng = SplitMix(7);
        let mut engine = engine(&mut rng);
        let mut now = START;
        for _ in 0..queued {
            engine.record_event("warm", Some(PROPS), now, &mut rng);
        }
        if let Some(w) = engine.take_writes() {
            black_box(w);
            engine.writes_done(true);
        }
        let (mut record_ns, mut persist_ns) = (0u128, 0u128);
        for chunk in 0..calls / 200 {
            let t = Instant::now();
            for _ in 0..200 {
                now += 1;
                let props = Some(black_box(PROPS));
                black_box(engine.record_event("button_clicked", props, now, &mut rng));
            }
            record_ns += t.elapsed().as_nanos();
            let t = Instant::now();
            if let Some(w) = engine.take_writes() {
                black_box(w);
                engine.writes_done(true);
            }
            persist_ns += t.elapsed().as_nanos();
            black_box(chunk);
        }
        let n = (calls / 200 * 200) as f64;
        best.0 = best.0.min(record_ns as f64 / n);
        best.1 = best.1.min(persist_ns as f64 / n);
    }
    best
}

/// A count from the environment, or `default`.
fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    println!("== record path, native (per track call with 10 props)");
    for queued in [0, 1_000] {
        let (record, persist) = measure(queued, env_usize("RECORD_BENCH_CALLS", 10_000));
        println!(
            "{queued:>5} queued: record {record:>7.0} ns, persist {persist:>6.0} ns per event, total {:>7.0} ns",
            record + persist
        );
    }
}
