#![cfg(not(target_arch = "wasm32"))]
//! The scrubber's time grows linearly with its input, whatever the input:
//! each adversarial input of `tests/common/scrub_bench_shared.rs` is timed at
//! two sizes, eight times apart. Linear work takes about 8 times as long on
//! the larger one, quadratic work 64 times; the test fails above 24 times,
//! far enough from both that a busy machine does not decide it (best of a
//! few rounds, and a floor for inputs too fast to time).

use std::hint::black_box;
use std::time::{Duration, Instant};

use mv3_telemetry::core::scrub::Scrubber;
#[path = "common/scrub_bench_shared.rs"]
mod shared;

fn best_of(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn scrubbing_time_grows_linearly_on_every_adversarial_input() {
    let s = Scrubber::default();
    let small = shared::adversarial_inputs_of(4 << 10);
    let large = shared::adversarial_inputs_of(32 << 10);
    let mut slow = Vec::new();
    for ((name, a), (_, b)) in small.iter().zip(&large) {
        let ta = best_of(5, || {
            black_box(s.scrub_text(black_box(a)));
        });
        let tb = best_of(3, || {
            black_box(s.scrub_text(black_box(b)));
        });
        // Below 0.2 ms the small input is too fast to time reliably.
        let floor = Duration::from_micros(200);
        let ratio = tb.as_secs_f64() / ta.max(floor).as_secs_f64();
        println!("{name:24} {ta:>10.2?} {tb:>10.2?}  x{ratio:.1}");
        if ratio > 24.0 {
            slow.push(format!("{name}: x{ratio:.1} for 8 times the input"));
        }
    }
    assert!(slow.is_empty(), "not linear: {slow:#?}");
}
