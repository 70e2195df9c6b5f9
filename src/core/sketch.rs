//! Mergeable quantile sketch for `timing` items (`docs/DESIGN.md` section 5).
//!
//! A DDSketch-style log-bucket sketch (Masson, Rim & Lee, "DDSketch: a fast
//! and fully-mergeable quantile sketch with relative-error guarantees",
//! VLDB 2019). A positive value `v` lands in bucket `i = ceil(ln v / ln γ)`
//! with `γ = (1 + α) / (1 - α)`, which covers `(γ^(i-1), γ^i]`; answering a
//! quantile with `γ^i · (1 - α)` is then within relative error `α` of every
//! value in that bucket, whatever the distribution.
//!
//! γ is 2^(2^-6) (α ≈ 0.54 %, inside the documented 1 %): sketch bucket `i` is
//! then exactly bucket `i - 1` of an OpenTelemetry exponential histogram at
//! scale 6, so timings export to OTLP without loss (`docs/destinations.md`). Only one count per
//! bucket is kept, never the samples, so memory is bounded by the number of
//! buckets, and two sketches merge by adding counts.
//!
//! The counts are one dense run of buckets (`offset` plus a `Vec`), because
//! durations cluster within a few orders of magnitude: the run is short,
//! indexing is one subtraction, and it persists as a plain JSON array.

use super::json::{self, Json};

/// The OpenTelemetry scale the buckets are: γ = 2^(2^-SCALE).
pub const SCALE: i32 = 6;

/// ln γ = ln 2 / 64. `tests/sketch.rs` checks it through the answers at
/// bucket edges.
const LN_GAMMA: f64 = std::f64::consts::LN_2 / 64.0;

/// ln(1 - α) = ln(2 / (γ + 1)), from a 50-digit computation. A literal,
/// because `f64::ln` is not `const`.
const LN_ONE_MINUS_ALPHA: f64 = -0.005429874538852127;

/// Sketches persisted before γ became 2^(2^-6) used α = 0.01: γ = 101/99.
/// Their buckets are re-indexed when read (`from_json` without `scale`).
const LEGACY_LN_GAMMA: f64 = 0.020000666706669525;
/// ln(0.99) for the legacy buckets' answers.
const LEGACY_LN_ONE_MINUS_ALPHA: f64 = -0.010050335853501442;

/// Multiplying is cheaper than dividing on every `add`.
const INV_LN_GAMMA: f64 = 1.0 / LN_GAMMA;

/// DDSketch-style log-bucket sketch of non-negative durations in milliseconds.
///
/// Inputs: negative values, `-0.0` and NaN are recorded as `0` (a duration
/// cannot be negative, and dropping the sample would make `count` lie);
/// `+∞` is recorded as `f64::MAX`. Values below [`Sketch::ZERO_THRESHOLD`]
/// go to a separate zero bucket whose quantile answer is `0` (then clamped
/// into `[min, max]`), so sub-microsecond values have an absolute error below
/// 1 µs instead of a relative one.
///
/// Memory: at most [`Sketch::MAX_BUCKETS`] counts. When a value would widen
/// the run beyond that, the lowest buckets are folded into the lowest kept
/// one, so the high quantiles (the ones latency work cares about) keep their
/// accuracy and only quantiles that fall in the folded buckets are
/// overestimated. 4096 buckets span γ^4096 = 2^64 ≈ 10^19.3, so folding needs one
/// window to hold values that far apart, e.g. 1 µs and 6·10^14 ms (20,000
/// years); +∞ or f64::MAX samples are the realistic way to get there.
///
/// Persisted by [`Sketch::to_json`] as `{offset, counts, zeros, count, sum_bits, min_bits,
/// max_bits}`: the float fields are their IEEE-754 bit patterns as integers,
/// so a restored sketch is bit-identical and the snapshot path links no
/// float formatting. The state is canonical (it depends only on the multiset
/// of samples, not their order), so equal sample sets compare equal.
#[derive(Debug, Clone, PartialEq)]
pub struct Sketch {
    /// Bucket index of `counts[0]`; meaningless while `counts` is empty.
    offset: i32,
    /// Counts of buckets `offset ..= offset + len - 1`; both ends are non-zero.
    counts: Vec<u64>,
    /// Samples below [`Sketch::ZERO_THRESHOLD`] (after clamping).
    zeros: u64,
    /// Every sample, including `zeros`.
    count: u64,
    /// Sum of the (clamped) samples, in arrival order.
    sum: f64,
    /// Smallest sample; `+∞` while empty.
    min: f64,
    /// Largest sample; `-∞` while empty.
    max: f64,
}

/// The fields of a `timing` item, from [`Sketch::summary`]; all in ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub count: u64,
    /// Sum of the samples (`f64` addition in arrival order; a merge adds
    /// the partial sums, so only the last bits can depend on the split).
    pub sum: f64,
    /// Exact smallest sample.
    pub min: f64,
    /// Exact largest sample.
    pub max: f64,
    /// Median, within 1% relative error (see [`Sketch::quantile`]).
    pub p50: f64,
    /// 95th percentile, within 1% relative error (see [`Sketch::quantile`]).
    pub p95: f64,
    /// 99th percentile, within 1% relative error (see [`Sketch::quantile`]).
    pub p99: f64,
}

impl Default for Sketch {
    fn default() -> Sketch {
        Sketch::new()
    }
}

impl Sketch {
    /// Relative error bound α of every quantile answer, (γ - 1) / (γ + 1)
    /// for γ = 2^(1/64), from a 50-digit computation.
    pub const RELATIVE_ACCURACY: f64 = 0.005415159415902569;

    /// Most buckets a sketch keeps (32 KiB of counts); see the type's docs.
    pub const MAX_BUCKETS: usize = 4096;

    /// Samples below this many milliseconds (1 µs) count as zero: no browser
    /// clock resolves them (`performance.now()` is coarsened to 5 µs or
    /// more), and a floor keeps `ln` away from tiny and subnormal inputs.
    pub const ZERO_THRESHOLD: f64 = 1e-3;

    /// An empty sketch.
    pub fn new() -> Sketch {
        Sketch {
            offset: 0,
            counts: Vec::new(),
            zeros: 0,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Records one duration in milliseconds (clamped as the type's docs say).
    ///
    /// O(1), except when the value opens a bucket outside the current run:
    /// then the run is copied once (at most [`Sketch::MAX_BUCKETS`] counts).
    /// The run only widens or slides up, so that happens a bounded number of
    /// times however many samples arrive.
    pub fn add(&mut self, value_ms: f64) {
        // `!(v > 0)` is true for NaN too; `min` turns +∞ into f64::MAX.
        let v = if value_ms > 0.0 {
            value_ms.min(f64::MAX)
        } else {
            0.0
        };
        // Saturating here and below: only a corrupt stored state gets near
        // u64::MAX, and it must not panic a debug build.
        self.count = self.count.saturating_add(1);
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if v < Self::ZERO_THRESHOLD {
            self.zeros = self.zeros.saturating_add(1);
        } else {
            // v is in [1e-3, f64::MAX], so the index is within -637 ..= 65536.
            self.absorb((v.ln() * INV_LN_GAMMA).ceil() as i32, &[1]);
        }
    }

    /// Adds `other`'s samples: the result equals the sketch of both sample
    /// sets (except that `sum` may differ in the last bits, as float addition
    /// depends on order).
    pub fn merge(&mut self, other: &Sketch) {
        if other.count == 0 {
            return;
        }
        self.count = self.count.saturating_add(other.count);
        self.zeros = self.zeros.saturating_add(other.zeros);
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.absorb(other.offset, &other.counts);
    }

    /// Number of samples recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of the samples (after clamping); `+∞` only if it overflows `f64`.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Smallest sample, exactly; `None` if empty.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest sample, exactly; `None` if empty.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// True if no sample was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of stored bucket counts (the zero bucket not included); never
    /// above [`Sketch::MAX_BUCKETS`] for sketches built by `add`/`merge`.
    pub fn bucket_count(&self) -> usize {
        self.counts.len()
    }

    /// Samples in the zero bucket (below [`Sketch::ZERO_THRESHOLD`]).
    pub fn zeros(&self) -> u64 {
        self.zeros
    }

    /// The non-zero buckets as (index, count), lowest first: what an
    /// exporter re-buckets (`core::dest::otlp`).
    pub fn buckets(&self) -> impl Iterator<Item = (i32, u64)> + '_ {
        let offset = self.offset;
        self.counts
            .iter()
            .enumerate()
            .map(move |(k, &c)| (offset.saturating_add(k as i32), c))
    }

    /// The `q`-quantile, `None` if empty.
    ///
    /// Convention (lower rank): the estimate of the sample at 0-based rank
    /// `floor(q · (n - 1))` of the sorted samples, with `q · (n - 1)`
    /// computed in `f64`; `q` is clamped into `[0, 1]` (NaN reads as 0).
    /// Ranks 0 and n - 1 answer the exact min and max (tracked anyway);
    /// other answers are within [`Sketch::RELATIVE_ACCURACY`] of the sample
    /// at that rank (unless it was below [`Sketch::ZERO_THRESHOLD`] or in
    /// folded buckets, see the type's docs), clamped into `[min, max]`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let q = if q > 0.0 { q.min(1.0) } else { 0.0 };
        // `as` floors (and saturates) a non-negative float.
        let rank = (q * (self.count - 1) as f64) as u64;
        if rank == 0 {
            return Some(self.min);
        }
        if rank >= self.count - 1 {
            return Some(self.max);
        }
        let mut seen = self.zeros;
        // Falls back to `max` only if a corrupt stored state has counts that
        // do not add up to `count`.
        let mut value = if rank < seen { 0.0 } else { self.max };
        if rank >= seen {
            for (k, &c) in self.counts.iter().enumerate() {
                seen = seen.saturating_add(c);
                if rank < seen {
                    // γ^i (1 - α), summed in the exponent so the top bucket
                    // (up to f64::MAX) does not overflow to ∞ on the way.
                    let index = self.offset as f64 + k as f64;
                    value = (index * LN_GAMMA + LN_ONE_MINUS_ALPHA).exp();
                    break;
                }
            }
        }
        // Not `f64::clamp`: it panics if a corrupt state has min > max.
        Some(value.max(self.min).min(self.max))
    }

    /// count, sum, min, max, p50, p95, p99 for a `timing` item; `None` if
    /// empty (an empty window sends no item).
    pub fn summary(&self) -> Option<Summary> {
        Some(Summary {
            count: self.count,
            sum: self.sum,
            min: self.min()?,
            max: self.max()?,
            p50: self.quantile(0.50)?,
            p95: self.quantile(0.95)?,
            p99: self.quantile(0.99)?,
        })
    }

    /// Appends the persisted form, `{"offset":..,"counts":[..],"zeros":..,
    /// "count":..,"sum_bits":..,"min_bits":..,"max_bits":..}`: the float
    /// fields as their IEEE-754 bit patterns, which JSON integers carry
    /// exactly, so a restored sketch is bit-identical and no float is
    /// formatted.
    pub fn to_json(&self, out: &mut String) {
        out.push_str("{\"offset\":");
        json::push_i64(out, i64::from(self.offset));
        out.push_str(",\"counts\":");
        json::push_array(out, self.counts.iter().copied(), json::push_u64);
        out.push_str(",\"zeros\":");
        json::push_u64(out, self.zeros);
        out.push_str(",\"count\":");
        json::push_u64(out, self.count);
        out.push_str(",\"sum_bits\":");
        json::push_u64(out, self.sum.to_bits());
        out.push_str(",\"min_bits\":");
        json::push_u64(out, self.min.to_bits());
        out.push_str(",\"max_bits\":");
        json::push_u64(out, self.max.to_bits());
        out.push_str(",\"scale\":6}");
    }

    /// Reads what [`to_json`](Sketch::to_json) wrote; `None` if a field is
    /// missing or not an integer of its range. The state is taken as stored
    /// (the other methods stay panic-free on a corrupt one).
    ///
    /// A sketch written before γ was 2^(2^-6) (no `scale`) has each bucket
    /// moved whole to the bucket holding its answer value: within 1.55 % after
    /// that, for the one window a worker update catches open.
    pub fn from_json(value: &Json) -> Option<Sketch> {
        let bits = |key| value.get(key)?.as_u64().map(f64::from_bits);
        let mut sketch = Sketch {
            offset: i32::try_from(value.get("offset")?.as_i64()?).ok()?,
            counts: value.get("counts")?.array_of(Json::as_u64)?,
            zeros: value.get("zeros")?.as_u64()?,
            count: value.get("count")?.as_u64()?,
            sum: bits("sum_bits")?,
            min: bits("min_bits")?,
            max: bits("max_bits")?,
        };
        if value.get("scale").is_none() {
            let legacy = std::mem::take(&mut sketch.counts);
            for (k, &c) in legacy.iter().enumerate() {
                let ln = (f64::from(sketch.offset) + k as f64) * LEGACY_LN_GAMMA
                    + LEGACY_LN_ONE_MINUS_ALPHA;
                if c > 0 {
                    // Saturating float-to-int `as`: no panic on a corrupt state.
                    sketch.absorb((ln * INV_LN_GAMMA).ceil() as i32, &[c]);
                }
            }
        }
        Some(sketch)
    }

    /// Adds `counts` (buckets `lo ..`) into the run, widening it as needed
    /// and folding whatever falls below the [`Sketch::MAX_BUCKETS`] window
    /// into its lowest bucket.
    ///
    /// The result depends only on the final lowest and highest indices, so
    /// any order of `add`s and `merge`s of the same samples gives the same
    /// state: the run is `[max(lowest, highest - MAX_BUCKETS + 1), highest]`
    /// and its first bucket holds every sample at or below it.
    fn absorb(&mut self, lo: i32, counts: &[u64]) {
        if counts.is_empty() {
            return;
        }
        // i64: no overflow whatever a stored state holds.
        let lo = i64::from(lo);
        let hi = lo + counts.len() as i64 - 1;
        let (old_lo, old_hi) = match self.counts.len() {
            0 => (lo, hi),
            n => (
                i64::from(self.offset),
                i64::from(self.offset) + n as i64 - 1,
            ),
        };
        let new_hi = hi.max(old_hi);
        let new_lo = lo.min(old_lo).max(new_hi - Self::MAX_BUCKETS as i64 + 1);
        if self.counts.is_empty() || new_lo != old_lo || new_hi != old_hi {
            let mut run = vec![0; (new_hi - new_lo + 1) as usize];
            spread(&mut run, new_lo, old_lo, &self.counts);
            self.counts = run;
            // Within i32 for any state `add`/`merge` build (indices are
            // -637 ..= 65536); `as` cannot panic on a corrupt stored one.
            self.offset = new_lo as i32;
        }
        spread(&mut self.counts, new_lo, lo, counts);
    }
}

/// Adds `src` (buckets from `src_lo`) into `dst` (buckets from `dst_lo`);
/// buckets below `dst_lo` land in `dst[0]`. `dst` must reach every bucket of
/// `src`.
fn spread(dst: &mut [u64], dst_lo: i64, src_lo: i64, src: &[u64]) {
    for (k, &c) in src.iter().enumerate() {
        let at = (src_lo + k as i64 - dst_lo).max(0) as usize;
        dst[at] = dst[at].saturating_add(c);
    }
}
