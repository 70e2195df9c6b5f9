//! Every limit the SDK enforces, in one place, with the documented defaults.

use super::error::{Error, Result};

/// The limits and timings of the SDK. `Policy::default()` is DESIGN.md's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Cap on items held (queued plus batched); past it the oldest is dropped
    /// (`queue_full`), so a worker that cannot reach the collector stays bounded.
    pub max_queued_items: usize,
    /// Items per request: small enough that one failed request re-sends little.
    pub batch_max_events: usize,
    /// Serialized body bytes per request: below the 64 KiB `keepalive` budget.
    pub batch_max_bytes: usize,
    /// Oldest-item age that triggers a send of usage events, timings, feedback.
    pub flush_interval_ms: u64,
    /// Errors go out sooner: an error is often the last thing before a crash.
    pub error_flush_delay_ms: u64,
    /// First retry waits up to this long (full jitter).
    pub retry_base_delay_ms: u64,
    /// Retries never wait longer than this (Retry-After is capped by it too).
    pub retry_max_delay_ms: u64,
    /// After this many failed attempts a batch is dropped (`retry_exhausted`).
    pub retry_max_attempts: u32,
    /// Fraction of usage events kept; errors and feedback are never sampled.
    pub sample_rate: f64,
    /// A session ends after this long without activity (30 minutes, as GA does).
    pub session_idle_ms: u64,
    /// A bare 429 without Retry-After waits this long (Sentry uses 60 s).
    pub default_rate_limit_ms: u64,
    /// Event names longer than this are truncated.
    pub max_name_chars: usize,
    /// Strings inside props are truncated to this many characters.
    pub max_string_chars: usize,
    /// Objects nested deeper than this are replaced by a marker.
    pub max_depth: usize,
    /// Keys per object and elements per array kept; the rest are dropped.
    pub max_collection_len: usize,
    /// Serialized size of one item; a bigger one loses its props first.
    pub max_item_bytes: usize,
    /// A timing sample above this also produces a `slow_operation` event.
    pub slow_threshold_ms: f64,
    /// Distinct (name, props) timing series per window: bounds sketch memory.
    pub max_timing_series: usize,
    /// Feedback messages are cut to this many characters.
    pub max_feedback_chars: usize,
    /// `extension_installed`, `daily_active` and friends.
    pub lifecycle_events: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_queued_items: 1000,
            batch_max_events: 50,
            batch_max_bytes: 60_000,
            flush_interval_ms: 30_000,
            error_flush_delay_ms: 1_000,
            retry_base_delay_ms: 1_000,
            retry_max_delay_ms: 3_600_000,
            retry_max_attempts: 10,
            sample_rate: 1.0,
            session_idle_ms: 30 * 60 * 1000,
            default_rate_limit_ms: 60_000,
            max_name_chars: 128,
            max_string_chars: 1_000,
            max_depth: 8,
            max_collection_len: 100,
            max_item_bytes: 16_384,
            slow_threshold_ms: 1_000.0,
            max_timing_series: 200,
            max_feedback_chars: 4_000,
            lifecycle_events: true,
        }
    }
}

impl Policy {
    /// Checks the user-settable limits; the error names the option as written in JS.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason| Err(Error::InvalidOption { field, reason });
        if self.max_queued_items == 0 {
            return bad("maxQueuedItems", "must be at least 1");
        }
        if self.batch_max_events == 0 {
            return bad("batch.maxEvents", "must be at least 1");
        }
        if self.batch_max_bytes < 1_024 || self.batch_max_bytes > 1_000_000 {
            return bad("batch.maxBytes", "must be between 1024 and 1000000");
        }
        if self.retry_max_attempts == 0 {
            return bad("retry.maxAttempts", "must be at least 1");
        }
        if self.retry_base_delay_ms > self.retry_max_delay_ms {
            return bad("retry.baseDelayMs", "must not exceed retry.maxDelayMs");
        }
        if !(self.slow_threshold_ms >= 0.0) {
            return bad("slowThresholdMs", "must be a number >= 0");
        }
        if !(0.0..=1.0).contains(&self.sample_rate) {
            return bad("sampleRate", "must be a number from 0 to 1");
        }
        Ok(())
    }

    /// Largest item that still fits a batch beside the envelope.
    pub(crate) fn item_byte_limit(&self) -> usize {
        self.max_item_bytes.min(self.batch_max_bytes.saturating_sub(ENVELOPE_RESERVE))
    }
}

/// Bytes kept free in each batch for the envelope (ids, context, dropped counters).
pub(crate) const ENVELOPE_RESERVE: usize = 768;
