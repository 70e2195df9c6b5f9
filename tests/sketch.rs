//! `core::sketch` on the host: `cargo test --test sketch`.
//!
//! The shared cases, then the persisted size and observed error reported
//! for the record (`-- --nocapture` shows them).
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/sketch_cases.rs"]
mod sketch_cases;

use sketch_cases::{
    bimodal_samples, exact_quantile, log_normal_samples, log_uniform_samples, sketch_of,
    sketch_text, uniform_samples,
};

sketch_cases!(test);

#[test]
fn a_100k_sample_sketch_persists_in_a_few_kilobytes() {
    for (name, samples) in [
        ("uniform 0..1000 ms", uniform_samples(100_000, 1)),
        ("log-normal, median 50 ms", log_normal_samples(100_000, 2)),
        ("bimodal 20 ms / 800 ms", bimodal_samples(100_000, 3)),
    ] {
        let sketch = sketch_of(&samples);
        let bytes = sketch_text(&sketch).len();
        let mut sorted = samples;
        sorted.sort_by(f64::total_cmp);
        let worst = [0.5, 0.95, 0.99]
            .map(|q| {
                let exact = exact_quantile(&sorted, q);
                (sketch.quantile(q).unwrap() - exact).abs() / exact
            })
            .into_iter()
            .fold(0.0, f64::max);
        eprintln!(
            "{name}: {} buckets, {bytes} bytes of JSON, worst p50/p95/p99 error {worst:.5}",
            sketch.bucket_count()
        );
        assert!(bytes < 4 * 1024, "{name}: {bytes} bytes");
    }
    let wide = sketch_of(&log_uniform_samples(1_000_000, 5, -3.0, 9.0));
    eprintln!(
        "1e6 log-uniform 1e-3..1e9 ms: {} buckets, {} bytes of JSON",
        wide.bucket_count(),
        sketch_text(&wide).len()
    );
}
