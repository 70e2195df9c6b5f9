//! `core::sketch` behaviour written once, so it can run on the host
//! (`tests/sketch.rs`) and, if wired into `tests/wasm_service_worker.rs`,
//! inside the browser. Needs no dev-dependency: samples come from a seeded
//! splitmix64 and Box-Muller, exact quantiles from sorting.

use mv3_telemetry::core::json::{self, Json};
use mv3_telemetry::core::sketch::{Sketch, Summary};

const ALPHA: f64 = Sketch::RELATIVE_ACCURACY;

/// The bound with room for float rounding only: at a bucket edge the error
/// is exactly α in real arithmetic, and `ln`/`exp` may add an ulp or two.
const TOLERANCE: f64 = ALPHA * (1.0 + 1e-9);

/// splitmix64 (Steele, Lea & Flood): tiny, seedable, good enough for samples.
pub struct Rng(u64);

impl Rng {
    /// A generator whose stream is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal by Box-Muller (one of the pair; simplicity over speed).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]: ln never sees 0
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Uniform over 0 .. 1000 ms.
pub fn uniform_samples(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.uniform(0.0, 1000.0)).collect()
}

/// Page-load-like: median 50 ms, a long right tail.
pub fn log_normal_samples(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (50f64.ln() + 1.5 * rng.normal()).exp())
        .collect()
}

/// Cache hits around 20 ms and misses around 800 ms: the quantiles sit in
/// both modes and p95 in the sparse valley's tail.
pub fn bimodal_samples(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let (mean, sd) = if rng.unit() < 0.9 {
                (20.0, 3.0)
            } else {
                (800.0, 120.0)
            };
            (mean + sd * rng.normal()).max(0.0)
        })
        .collect()
}

/// Uniform in the exponent: equal mass per order of magnitude over
/// `10^lo .. 10^hi`.
pub fn log_uniform_samples(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| 10f64.powf(rng.uniform(lo, hi))).collect()
}

/// A sketch fed `samples` in order.
pub fn sketch_of(samples: &[f64]) -> Sketch {
    let mut sketch = Sketch::new();
    for &v in samples {
        sketch.add(v);
    }
    sketch
}

/// The documented convention: the sample at rank floor(q * (n - 1)).
pub fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[(q * (sorted.len() - 1) as f64) as usize]
}

/// The sketch as its persisted JSON text ([`Sketch::to_json`]).
pub fn sketch_text(sketch: &Sketch) -> String {
    let mut out = String::new();
    sketch.to_json(&mut out);
    out
}

/// A sketch read back from its persisted JSON text ([`Sketch::from_json`]).
pub fn read_sketch(text: &str) -> Option<Sketch> {
    Sketch::from_json(&json::parse(text).ok()?)
}

/// The persisted state minus `sum_bits`: everything that must not depend
/// on the order of float additions.
fn state_except_sum(sketch: &Sketch) -> Json {
    match json::parse(&sketch_text(sketch)).unwrap() {
        Json::Object(entries) => Json::Object(
            entries
                .into_iter()
                .filter(|(key, _)| key != "sum_bits")
                .collect(),
        ),
        other => panic!("not an object: {other:?}"),
    }
}

fn relative_error(estimate: f64, exact: f64) -> f64 {
    if exact == 0.0 {
        estimate.abs()
    } else {
        (estimate - exact).abs() / exact
    }
}

/// Checks p50/p95/p99 (and a few more) against sorting, and that count,
/// sum, min and max are exact.
fn assert_accurate(samples: &[f64]) {
    let sketch = sketch_of(samples);
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sketch.count(), samples.len() as u64);
    // Same additions in the same order: bit-identical.
    assert_eq!(
        sketch.sum().to_bits(),
        samples.iter().fold(0.0, |a, &v| a + v).to_bits()
    );
    assert_eq!(sketch.min(), Some(sorted[0]));
    assert_eq!(sketch.max(), Some(sorted[sorted.len() - 1]));
    for q in [0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0] {
        let exact = exact_quantile(&sorted, q);
        let estimate = sketch.quantile(q).unwrap();
        let error = relative_error(estimate, exact);
        assert!(
            error <= TOLERANCE,
            "q={q}: estimate {estimate} exact {exact} error {error}"
        );
    }
    let summary = sketch.summary().unwrap();
    assert_eq!(summary.p50, sketch.quantile(0.5).unwrap());
    assert_eq!(summary.p95, sketch.quantile(0.95).unwrap());
    assert_eq!(summary.p99, sketch.quantile(0.99).unwrap());
    assert!(sketch.bucket_count() <= Sketch::MAX_BUCKETS);
}

pub fn quantiles_of_100k_uniform_samples_are_within_one_percent_and_the_totals_exact() {
    assert_accurate(&uniform_samples(100_000, 1));
}

pub fn quantiles_of_100k_log_normal_samples_are_within_one_percent_and_the_totals_exact() {
    assert_accurate(&log_normal_samples(100_000, 2));
}

pub fn quantiles_of_100k_bimodal_samples_are_within_one_percent_and_the_totals_exact() {
    assert_accurate(&bimodal_samples(100_000, 3));
}

pub fn quantiles_over_twelve_orders_of_magnitude_are_within_one_percent() {
    assert_accurate(&log_uniform_samples(100_000, 4, -3.0, 9.0));
}

pub fn a_million_samples_from_a_microsecond_to_a_billion_ms_stay_under_the_bucket_cap() {
    let samples = log_uniform_samples(1_000_000, 5, -3.0, 9.0);
    let sketch = sketch_of(&samples);
    assert_eq!(sketch.count(), 1_000_000);
    // 12 decades / log10(γ) ≈ 2551 buckets: no folding needed.
    assert!(
        sketch.bucket_count() <= Sketch::MAX_BUCKETS,
        "{} buckets",
        sketch.bucket_count()
    );
    assert!(
        sketch.bucket_count() > 2500,
        "{} buckets",
        sketch.bucket_count()
    );
    // About 4 digits and a comma per bucket, plus the fixed fields.
    let text = sketch_text(&sketch);
    assert!(text.len() < 12 * 1024, "{} bytes", text.len());
}

pub fn buckets_beyond_the_cap_fold_into_the_lowest_and_the_high_quantiles_stay_accurate() {
    // 1 µs .. 1e300 ms is far more than 4096 buckets wide.
    let mut samples = log_uniform_samples(10_000, 6, -3.0, 300.0);
    samples.push(1e-3);
    samples.push(1e300);
    let sketch = sketch_of(&samples);
    assert_eq!(sketch.bucket_count(), Sketch::MAX_BUCKETS);
    let mut sorted = samples.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sketch.min(), Some(1e-3));
    assert_eq!(sketch.max(), Some(1e300));
    assert_eq!(sketch.quantile(0.0), Some(1e-3), "clamped to the exact min");
    // The top 2048 buckets hold 1e282 .. 1e300: every quantile above the
    // ~94th percentile is still within 1%; lower ones are overestimated.
    for q in [0.95, 0.99, 0.999] {
        let exact = exact_quantile(&sorted, q);
        let error = relative_error(sketch.quantile(q).unwrap(), exact);
        assert!(error <= TOLERANCE, "q={q}: error {error}");
    }
    let p50 = sketch.quantile(0.5).unwrap();
    assert!(p50 >= exact_quantile(&sorted, 0.5) && p50 <= 1e300, "{p50}");
}

pub fn merging_two_sketches_equals_the_sketch_of_the_union() {
    // Multiples of 1/1024 below 2^40: every partial sum is exact, so even
    // `sum` is bit-identical whatever the order of additions.
    let quantize = |v: f64| (v.min(1e9) * 1024.0).round() / 1024.0;
    let a: Vec<f64> = log_normal_samples(50_000, 7)
        .into_iter()
        .map(quantize)
        .collect();
    let b: Vec<f64> = bimodal_samples(30_000, 8)
        .into_iter()
        .map(quantize)
        .collect();
    let mut merged = sketch_of(&a);
    merged.merge(&sketch_of(&b));
    let union = sketch_of(&[a.clone(), b.clone()].concat());
    assert_eq!(merged, union);
    let mut other_way = sketch_of(&b);
    other_way.merge(&sketch_of(&a));
    assert_eq!(other_way, union);
    for q in [0.0, 0.5, 0.95, 0.99, 1.0] {
        assert_eq!(merged.quantile(q), union.quantile(q));
    }
}

pub fn merging_arbitrary_floats_matches_the_union_except_for_the_last_bits_of_the_sum() {
    let a = uniform_samples(20_000, 9);
    let b = log_uniform_samples(20_000, 10, -3.0, 12.0);
    let mut merged = sketch_of(&a);
    merged.merge(&sketch_of(&b));
    let union = sketch_of(&[a, b].concat());
    assert!(relative_error(merged.sum(), union.sum()) < 1e-12);
    let mut merged_but_sum: Summary = merged.summary().unwrap();
    merged_but_sum.sum = union.sum();
    assert_eq!(merged_but_sum, union.summary().unwrap());
    assert_eq!(state_except_sum(&merged), state_except_sum(&union));
}

pub fn merging_sketches_whose_union_is_wider_than_the_cap_equals_the_union() {
    // Disjoint ranges, each narrower than the cap, together wider: merged
    // both ways, the folding must land as if every sample went to one sketch.
    let low = log_uniform_samples(5_000, 11, -3.0, 9.0);
    let high = log_uniform_samples(5_000, 12, 11.0, 21.0);
    assert!(
        sketch_of(&low).bucket_count() < Sketch::MAX_BUCKETS
            && sketch_of(&high).bucket_count() < Sketch::MAX_BUCKETS
    );
    let union = sketch_of(&[low.clone(), high.clone()].concat());
    assert_eq!(union.bucket_count(), Sketch::MAX_BUCKETS);
    for (first, second) in [(&low, &high), (&high, &low)] {
        let mut merged = sketch_of(first);
        merged.merge(&sketch_of(second));
        assert_eq!(state_except_sum(&merged), state_except_sum(&union));
        assert_eq!(merged.quantile(0.5), union.quantile(0.5));
        assert_eq!(merged.quantile(0.99), union.quantile(0.99));
    }
}

pub fn merging_with_an_empty_sketch_changes_nothing() {
    let sketch = sketch_of(&log_normal_samples(1_000, 13));
    let mut merged = sketch.clone();
    merged.merge(&Sketch::new());
    assert_eq!(merged, sketch);
    let mut empty = Sketch::new();
    empty.merge(&sketch);
    assert_eq!(empty, sketch);
}

pub fn the_order_of_samples_does_not_change_the_state() {
    let samples: Vec<f64> = log_uniform_samples(5_000, 14, -4.0, 20.0)
        .into_iter()
        .map(|v| (v * 1024.0).round() / 1024.0)
        .collect();
    let mut ascending = samples.clone();
    ascending.sort_by(f64::total_cmp);
    let descending: Vec<f64> = ascending.iter().rev().copied().collect();
    // Sums up to 1e20 round differently per order; everything else is equal.
    let forward = state_except_sum(&sketch_of(&samples));
    assert_eq!(state_except_sum(&sketch_of(&ascending)), forward);
    assert_eq!(state_except_sum(&sketch_of(&descending)), forward);
}

pub fn a_sketch_round_trips_through_the_project_json_bit_exactly() {
    let mut samples = log_normal_samples(10_000, 15);
    samples.extend([0.0, 1e-4, 0.1 + 0.2, f64::MAX, 1e300, 5e-324]);
    for sketch in [
        Sketch::new(),
        sketch_of(&[42.0]),
        sketch_of(&samples),
        sketch_of(&log_uniform_samples(10_000, 16, -3.0, 300.0)),
    ] {
        let text = sketch_text(&sketch);
        let back = read_sketch(&text).unwrap_or_else(|| panic!("unreadable: {text}"));
        assert_eq!(back, sketch);
        assert_eq!(back.sum().to_bits(), sketch.sum().to_bits());
        assert_eq!(back.summary(), sketch.summary());
        assert!(
            !text.contains('.') && !text.contains("null"),
            "floats are stored as bit patterns: {text}"
        );
    }
}

pub fn a_restored_sketch_keeps_counting_where_the_old_one_stopped() {
    let samples = bimodal_samples(20_000, 17);
    let (before, after) = samples.split_at(12_345);
    let mut restored = read_sketch(&sketch_text(&sketch_of(before))).unwrap();
    for &v in after {
        restored.add(v);
    }
    assert_eq!(restored, sketch_of(&samples));
}

pub fn an_empty_sketch_answers_none() {
    let sketch = Sketch::new();
    assert!(sketch.is_empty());
    assert_eq!(sketch.count(), 0);
    assert_eq!(sketch.sum(), 0.0);
    assert_eq!(sketch.min(), None);
    assert_eq!(sketch.max(), None);
    assert_eq!(sketch.quantile(0.5), None);
    assert_eq!(sketch.summary(), None);
    assert_eq!(sketch.bucket_count(), 0);
    assert_eq!(Sketch::default(), sketch);
}

pub fn a_single_value_is_every_quantile_exactly() {
    let sketch = sketch_of(&[123.456]);
    assert!(!sketch.is_empty());
    let expected = Summary {
        count: 1,
        sum: 123.456,
        min: 123.456,
        max: 123.456,
        p50: 123.456,
        p95: 123.456,
        p99: 123.456,
    };
    assert_eq!(sketch.summary(), Some(expected));
    assert_eq!(sketch.quantile(0.0), Some(123.456));
    assert_eq!(sketch.bucket_count(), 1);
}

pub fn zeros_and_sub_microsecond_values_go_to_the_zero_bucket() {
    let sketch = sketch_of(&[0.0, 0.0, 1e-4, 5e-324, 0.0]);
    assert_eq!(sketch.bucket_count(), 0);
    assert_eq!(sketch.count(), 5);
    assert_eq!(sketch.min(), Some(0.0));
    assert_eq!(sketch.max(), Some(1e-4));
    assert_eq!(sketch.quantile(0.5), Some(0.0));
    // The zero bucket answers 0, clamped to the exact max at q = 1.
    assert_eq!(sketch.quantile(1.0), Some(1e-4));
    let mixed = sketch_of(&[0.0, 0.0, 0.0, 10.0]);
    assert_eq!(mixed.quantile(0.5), Some(0.0));
    assert_eq!(mixed.quantile(1.0), Some(10.0));
    assert_eq!(mixed.bucket_count(), 1);
}

pub fn negative_and_nan_samples_count_as_zero_and_infinity_as_the_largest_float() {
    let sketch = sketch_of(&[-5.0, f64::NAN, -0.0, f64::NEG_INFINITY, 7.0]);
    assert_eq!(sketch.count(), 5);
    assert_eq!(sketch.sum(), 7.0);
    assert_eq!(
        sketch.min().map(f64::to_bits),
        Some(0f64.to_bits()),
        "+0, not -0"
    );
    assert_eq!(sketch.quantile(0.5), Some(0.0));
    assert_eq!(sketch.max(), Some(7.0));
    let infinite = sketch_of(&[f64::INFINITY, 1.0]);
    assert_eq!(infinite.max(), Some(f64::MAX));
    assert_eq!(infinite.quantile(1.0), Some(f64::MAX));
    assert_eq!(infinite.sum(), f64::MAX);
    assert!(infinite.bucket_count() <= Sketch::MAX_BUCKETS);
}

pub fn huge_values_are_within_one_percent_and_the_sum_saturates_to_infinity() {
    // 16 decades up to 1e308: within the 17.8 decades the cap spans.
    let samples = log_uniform_samples(10_000, 18, 292.0, 308.0);
    assert_accurate(&samples);
    let sketch = sketch_of(&[f64::MAX, f64::MAX, 1e308]);
    assert_eq!(sketch.sum(), f64::INFINITY);
    assert_eq!(sketch.max(), Some(f64::MAX));
    // The top bucket's value does not overflow on the way: 1.77e308 shares
    // f64::MAX's bucket and is answered within 1%, not as ∞ clamped to max.
    let top = sketch_of(&[0.0, 1.77e308, 1.77e308, f64::MAX]);
    assert!(relative_error(top.quantile(0.5).unwrap(), 1.77e308) <= TOLERANCE);
}

pub fn quantile_uses_the_lower_rank_and_clamps_q() {
    // Four samples in distinct buckets: floor(q * 3) picks the rank.
    let samples = [1.0, 10.0, 100.0, 1000.0];
    let sketch = sketch_of(&samples);
    for (q, exact) in [
        (0.0, 1.0),
        (0.33, 1.0),
        (0.34, 10.0),
        (0.66, 10.0),
        (0.67, 100.0),
        (0.99, 100.0),
        (1.0, 1000.0),
    ] {
        let estimate = sketch.quantile(q).unwrap();
        assert!(
            relative_error(estimate, exact) <= TOLERANCE,
            "q={q}: {estimate} for {exact}"
        );
    }
    // Ranks 0 and n - 1 are the exact extremes; q outside [0, 1] clamps.
    assert_eq!(sketch.quantile(0.0), Some(1.0));
    assert_eq!(sketch.quantile(1.0), Some(1000.0));
    assert_eq!(sketch.quantile(-1.0), Some(1.0));
    assert_eq!(sketch.quantile(f64::NAN), Some(1.0));
    assert_eq!(sketch.quantile(2.0), Some(1000.0));
}

pub fn answers_are_the_bucket_value_of_the_gamma_formula_and_the_edge_error_is_one_percent() {
    let gamma = (1.0 + ALPHA) / (1.0 - ALPHA);
    for k in [-300, -1, 0, 1, 57, 1000, 30_000] {
        // Mid-bucket, the answer is γ^k (1 - α) whatever rounding does.
        let x = gamma.powf(k as f64 - 0.5);
        // Rank 1 of 4 is x's bucket; the extremes only keep it unclamped.
        let estimate = sketch_of(&[0.0, x, x, 4.0 * x]).quantile(0.5).unwrap();
        let bucket_value = gamma.powi(k) * (1.0 - ALPHA);
        assert!(
            relative_error(estimate, bucket_value) < 1e-9,
            "k={k}: {estimate} vs {bucket_value}"
        );
        // Just above the bucket's lower edge the error is (almost) all of α.
        let edge = gamma.powi(k - 1) * (1.0 + 1e-7);
        let error = relative_error(
            sketch_of(&[0.0, edge, edge, 4.0 * edge])
                .quantile(0.5)
                .unwrap(),
            edge,
        );
        assert!(
            error <= TOLERANCE && error > 0.999 * ALPHA,
            "k={k}: {error}"
        );
    }
}

pub fn the_summary_has_every_timing_field() {
    let samples = uniform_samples(1_001, 19);
    let sketch = sketch_of(&samples);
    let summary = sketch.summary().unwrap();
    assert_eq!(summary.count, 1_001);
    assert_eq!(summary.sum, sketch.sum());
    assert_eq!(Some(summary.min), sketch.min());
    assert_eq!(Some(summary.max), sketch.max());
    assert!(
        summary.min <= summary.p50
            && summary.p50 <= summary.p95
            && summary.p95 <= summary.p99
            && summary.p99 <= summary.max
    );
}

pub fn a_sketch_stored_with_the_old_gamma_reads_with_its_quantiles_within_the_two_errors() {
    // What a release with γ = 101/99 persisted for 1, 10 and 100 ms (three
    // samples): buckets ceil(ln v / ln(101/99)) = 0, 116 and 231, no `scale`.
    let mut counts = vec!["0"; 232];
    for i in [0, 116, 231] {
        counts[i] = "1";
    }
    let text = format!(
        r#"{{"offset":0,"counts":[{}],"zeros":0,"count":3,"sum_bits":{},"min_bits":{},"max_bits":{}}}"#,
        counts.join(","),
        111f64.to_bits(),
        1f64.to_bits(),
        100f64.to_bits()
    );
    let sketch = read_sketch(&text).expect("a legacy sketch reads");
    assert_eq!(
        (sketch.count(), sketch.sum(), sketch.min(), sketch.max()),
        (3, 111.0, Some(1.0), Some(100.0))
    );
    // Each old bucket moved whole: the middle sample is within the old 1 %
    // plus the new α of 10 ms, and a new sample lands beside it.
    let median = sketch.quantile(0.5).unwrap();
    assert!(
        (median - 10.0).abs() / 10.0 <= 0.01 + ALPHA + 1e-9,
        "{median}"
    );
    let mut fresh = Sketch::new();
    for v in [1.0, 10.0, 100.0] {
        fresh.add(v);
    }
    assert!(
        sketch_text(&fresh).ends_with(r#","scale":6}"#),
        "new sketches say their scale"
    );
    assert_eq!(read_sketch(&sketch_text(&fresh)), Some(fresh));
}

pub fn a_corrupt_stored_state_reads_without_panicking() {
    // Hand-written states `add`/`merge` never build: min above max, counts
    // that do not add up, a run longer than the cap at the edge of i32.
    let long = vec!["1"; Sketch::MAX_BUCKETS + 10].join(",");
    let inf = f64::INFINITY.to_bits();
    let texts = [
        format!(r#"{{"offset":0,"counts":[1,2],"zeros":0,"count":99,"sum_bits":0,"min_bits":{},"max_bits":0}}"#, 5f64.to_bits()),
        format!(r#"{{"offset":2147483000,"counts":[{long}],"zeros":3,"count":1,"sum_bits":{inf},"min_bits":{inf},"max_bits":{inf}}}"#),
        r#"{"offset":-2147483648,"counts":[],"zeros":0,"count":5,"sum_bits":0,"min_bits":0,"max_bits":18444492273895866368}"#.to_string(),
        format!(r#"{{"offset":-5,"counts":[{max},{max}],"zeros":{max},"count":{max},"sum_bits":0,"min_bits":0,"max_bits":0}}"#, max = u64::MAX),
    ];
    for text in &texts {
        let mut sketch = read_sketch(text).unwrap_or_else(|| panic!("unreadable: {text}"));
        let _ = sketch.summary();
        let _ = sketch.quantile(0.5);
        sketch.add(3.0);
        sketch.add(1e300);
        sketch.merge(&sketch.clone());
        sketch.merge(&sketch_of(&[1e-3, 1.0]));
        assert!(sketch.bucket_count() <= Sketch::MAX_BUCKETS, "{text}");
        let _ = sketch.summary();
    }
}

/// Declares one test per case with the given test attribute. The including
/// crate must have this file as its root module `sketch_cases`
/// (`#[path = "common/sketch_cases.rs"] mod sketch_cases;`).
#[macro_export]
macro_rules! sketch_cases {
    ($attr:meta) => {
        $crate::sketch_cases!(@each $attr;
            quantiles_of_100k_uniform_samples_are_within_one_percent_and_the_totals_exact,
            quantiles_of_100k_log_normal_samples_are_within_one_percent_and_the_totals_exact,
            quantiles_of_100k_bimodal_samples_are_within_one_percent_and_the_totals_exact,
            quantiles_over_twelve_orders_of_magnitude_are_within_one_percent,
            a_million_samples_from_a_microsecond_to_a_billion_ms_stay_under_the_bucket_cap,
            buckets_beyond_the_cap_fold_into_the_lowest_and_the_high_quantiles_stay_accurate,
            merging_two_sketches_equals_the_sketch_of_the_union,
            merging_arbitrary_floats_matches_the_union_except_for_the_last_bits_of_the_sum,
            merging_sketches_whose_union_is_wider_than_the_cap_equals_the_union,
            merging_with_an_empty_sketch_changes_nothing,
            the_order_of_samples_does_not_change_the_state,
            a_sketch_round_trips_through_the_project_json_bit_exactly,
            a_restored_sketch_keeps_counting_where_the_old_one_stopped,
            an_empty_sketch_answers_none,
            a_single_value_is_every_quantile_exactly,
            zeros_and_sub_microsecond_values_go_to_the_zero_bucket,
            negative_and_nan_samples_count_as_zero_and_infinity_as_the_largest_float,
            huge_values_are_within_one_percent_and_the_sum_saturates_to_infinity,
            quantile_uses_the_lower_rank_and_clamps_q,
            answers_are_the_bucket_value_of_the_gamma_formula_and_the_edge_error_is_one_percent,
            the_summary_has_every_timing_field,
            a_corrupt_stored_state_reads_without_panicking,
            a_sketch_stored_with_the_old_gamma_reads_with_its_quantiles_within_the_two_errors
        );
    };
    (@each $attr:meta; $($case:ident),* $(,)?) => {
        $(
            #[$attr]
            fn $case() {
                $crate::sketch_cases::$case();
            }
        )*
    };
}
