//! Every limit the SDK enforces, in one place, with the documented defaults.

use super::error::{Error, Result};

/// The limits and timings of the SDK. `Policy::default()` is `docs/DESIGN.md`'s defaults.
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
    /// After this many failures the collector answered (5xx, 408, 429) a batch
    /// is dropped (`retry_exhausted`); network errors never count: offline for a
    /// week must not lose what storage could keep.
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
    /// Bytes the SDK's own keys may take in `chrome.storage.local` (queued
    /// items as stored, plus the record). 4 MiB leaves most of the 10 MB
    /// default quota to the extension; past it the oldest items are dropped
    /// (`storage_full`). At least 64 KiB, so one full batch always fits.
    pub max_storage_bytes: usize,
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
            max_storage_bytes: 4 * 1024 * 1024,
        }
    }
}

impl Policy {
    /// Checks the user-settable limits; the error names the option as written in JS.
    pub fn validate(&self) -> Result<()> {
        for limit in OPTION_LIMITS {
            if let Some(value) = self.option(limit.path) {
                limit.check(value)?;
            }
        }
        // The one rule that spans two options, so the table cannot hold it.
        if self.retry_base_delay_ms > self.retry_max_delay_ms {
            return Err(Error::InvalidOption {
                field: "retry.baseDelayMs",
                reason: "must not exceed retry.maxDelayMs",
            });
        }
        Ok(())
    }

    /// The value of a user-settable option, by its JS path (see [`OPTION_LIMITS`]).
    pub fn option(&self, path: &str) -> Option<f64> {
        Some(match path {
            "maxQueuedItems" => self.max_queued_items as f64,
            "batch.maxEvents" => self.batch_max_events as f64,
            "batch.maxBytes" => self.batch_max_bytes as f64,
            "batch.flushIntervalMs" => self.flush_interval_ms as f64,
            "batch.errorFlushDelayMs" => self.error_flush_delay_ms as f64,
            "retry.baseDelayMs" => self.retry_base_delay_ms as f64,
            "retry.maxDelayMs" => self.retry_max_delay_ms as f64,
            "retry.maxAttempts" => self.retry_max_attempts as f64,
            "sampleRate" => self.sample_rate,
            "slowThresholdMs" => self.slow_threshold_ms,
            "maxStorageBytes" => self.max_storage_bytes as f64,
            _ => return None,
        })
    }

    /// Sets a user-settable option by its JS path, so options can be read by
    /// walking [`OPTION_LIMITS`]. Check the value with [`OptionLimit::check`]
    /// first: the casts saturate. Returns `false` for an unknown path.
    pub fn set_option(&mut self, path: &str, value: f64) -> bool {
        match path {
            "maxQueuedItems" => self.max_queued_items = value as usize,
            "batch.maxEvents" => self.batch_max_events = value as usize,
            "batch.maxBytes" => self.batch_max_bytes = value as usize,
            "batch.flushIntervalMs" => self.flush_interval_ms = value as u64,
            "batch.errorFlushDelayMs" => self.error_flush_delay_ms = value as u64,
            "retry.baseDelayMs" => self.retry_base_delay_ms = value as u64,
            "retry.maxDelayMs" => self.retry_max_delay_ms = value as u64,
            "retry.maxAttempts" => self.retry_max_attempts = value as u32,
            "sampleRate" => self.sample_rate = value,
            "slowThresholdMs" => self.slow_threshold_ms = value,
            "maxStorageBytes" => self.max_storage_bytes = value as usize,
            _ => return false,
        }
        true
    }

    /// Largest item that still fits a batch beside the envelope.
    pub(crate) fn item_byte_limit(&self) -> usize {
        self.max_item_bytes
            .min(self.batch_max_bytes.saturating_sub(ENVELOPE_RESERVE))
    }
}

/// Bytes kept free in each batch for the envelope (ids, context, dropped counters).
pub(crate) const ENVELOPE_RESERVE: usize = 768;

/// The range of one user-settable numeric option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionLimit {
    /// The option as written in JS: `maxQueuedItems`, `batch.maxBytes`.
    pub path: &'static str,
    /// Smallest value accepted.
    pub min: f64,
    /// Largest value accepted (`f64::INFINITY`: no upper bound).
    pub max: f64,
    /// Whole numbers only.
    pub integer: bool,
    /// The value when the option is not given (as in `Policy::default()`).
    pub default: f64,
}

impl OptionLimit {
    /// Checks a value given for this option; the error names the option.
    pub fn check(&self, value: f64) -> Result<()> {
        let reason = if self.integer && value.fract() != 0.0 {
            "must be an integer"
        } else if !(value >= self.min && value <= self.max) {
            // NaN lands here too.
            "is out of range (see OPTION_LIMITS)"
        } else {
            return Ok(());
        };
        Err(Error::InvalidOption {
            field: self.path,
            reason,
        })
    }
}

/// Every user-settable numeric option: its range and default. The JS wrapper
/// validates against the same table (`js/constants.js` is generated from it by
/// `tests/constants.rs`), so the two languages cannot disagree on a range.
/// The bounds keep the SDK's memory and traffic bounded whatever the caller
/// passes; `batch.maxBytes` stays below the 64 KiB `keepalive` budget.
#[rustfmt::skip] // one row per option: it reads as a table
pub const OPTION_LIMITS: &[OptionLimit] = &[
    OptionLimit { path: "maxQueuedItems", min: 1.0, max: 100_000.0, integer: true, default: 1_000.0 },
    OptionLimit { path: "batch.maxEvents", min: 1.0, max: 10_000.0, integer: true, default: 50.0 },
    OptionLimit { path: "batch.maxBytes", min: 1_024.0, max: 1_000_000.0, integer: true, default: 60_000.0 },
    OptionLimit { path: "batch.flushIntervalMs", min: 0.0, max: f64::INFINITY, integer: true, default: 30_000.0 },
    OptionLimit { path: "batch.errorFlushDelayMs", min: 0.0, max: f64::INFINITY, integer: true, default: 1_000.0 },
    OptionLimit { path: "retry.baseDelayMs", min: 0.0, max: f64::INFINITY, integer: true, default: 1_000.0 },
    OptionLimit { path: "retry.maxDelayMs", min: 0.0, max: f64::INFINITY, integer: true, default: 3_600_000.0 },
    OptionLimit { path: "retry.maxAttempts", min: 1.0, max: 1_000.0, integer: true, default: 10.0 },
    OptionLimit { path: "sampleRate", min: 0.0, max: 1.0, integer: false, default: 1.0 },
    OptionLimit { path: "slowThresholdMs", min: 0.0, max: f64::INFINITY, integer: false, default: 1_000.0 },
    OptionLimit { path: "maxStorageBytes", min: 65_536.0, max: 1_073_741_824.0, integer: true, default: 4_194_304.0 },
];

/// `environment` when none is given.
pub const DEFAULT_ENVIRONMENT: &str = "production";
/// `compression` when none is given: `gzip` (the other value is `none`).
pub const DEFAULT_COMPRESSION: &str = "gzip";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_defaults_are_the_policy_defaults() {
        let policy = Policy::default();
        for limit in OPTION_LIMITS {
            assert_eq!(
                policy.option(limit.path),
                Some(limit.default),
                "{}",
                limit.path
            );
            assert!(
                limit.check(limit.default).is_ok(),
                "{} default in range",
                limit.path
            );
        }
        assert!(policy.validate().is_ok());
    }

    #[test]
    fn every_path_in_the_table_can_be_read_and_set() {
        for limit in OPTION_LIMITS {
            let mut policy = Policy::default();
            let value = if limit.max.is_finite() {
                limit.max
            } else {
                limit.min + 7.0
            };
            assert!(policy.set_option(limit.path, value), "{}", limit.path);
            assert_eq!(policy.option(limit.path), Some(value), "{}", limit.path);
        }
        assert!(!Policy::default().set_option("batch.nope", 1.0));
    }

    #[test]
    fn values_outside_the_table_are_rejected_naming_the_option() {
        for limit in OPTION_LIMITS {
            let mut bad = vec![limit.min - 1.0, f64::NAN];
            if limit.max.is_finite() {
                bad.push(limit.max + 1.0);
            }
            if limit.integer {
                bad.push(limit.min + 0.5);
            }
            for value in bad {
                let error = limit.check(value).unwrap_err();
                assert!(
                    error.message().contains(&format!("`{}`", limit.path)),
                    "{}: {error}",
                    limit.path
                );
            }
        }
        let policy = Policy {
            batch_max_bytes: 512,
            ..Policy::default()
        };
        assert!(policy
            .validate()
            .unwrap_err()
            .message()
            .contains("`batch.maxBytes`"));
    }
}
