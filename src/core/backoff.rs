//! Response classification and retry timing (`docs/DESIGN.md` section 5).

use super::json::parse_u64;
use super::time::{parse_http_date, Millis};
use crate::core::split::all_bytes;

/// What the platform observed for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The collector answered with this status (and maybe a `Retry-After` header).
    Status {
        /// The HTTP status.
        code: u16,
        /// The `Retry-After` header, as sent.
        retry_after: Option<String>,
    },
    /// No answer: DNS, connection refused or reset, CORS, offline, aborted by timeout.
    NetworkError,
}

/// What to do with a batch after an [`Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: the collector has it; forget it.
    Delivered,
    /// 400/401/403/404/413/422 and other 4xx: retrying cannot help; drop and count `rejected`.
    Rejected,
    /// 408/429/5xx/network error: try again later.
    Retry,
}

/// Classifies an outcome. Unlike Glean (every 4xx deletes), 408 and 429 are
/// retried: they mean "later", not "never".
pub fn classify(outcome: &Outcome) -> Verdict {
    match outcome {
        Outcome::NetworkError => Verdict::Retry,
        Outcome::Status { code, .. } => match code {
            200..=299 => Verdict::Delivered,
            408 | 429 => Verdict::Retry,
            500..=599 => Verdict::Retry,
            // 1xx/3xx never reach us through fetch (redirects are followed);
            // treat the odd one as transient rather than lose data.
            100..=199 | 300..=399 => Verdict::Retry,
            _ => Verdict::Rejected,
        },
    }
}

/// How long `Retry-After` asks us to wait, from delta-seconds or an HTTP-date.
/// Unparseable values are ignored (the caller falls back to backoff).
pub fn retry_after_delay(value: &str, now: Millis) -> Option<Millis> {
    let value = value.trim();
    if !value.is_empty() && value.len() <= 10 && all_bytes(value, |b| b.is_ascii_digit()) {
        return parse_u64(value).map(|s| s.saturating_mul(1000));
    }
    parse_http_date(value).map(|at| at.saturating_sub(now))
}

/// Full-jitter exponential backoff: a uniform delay in
/// `[0, min(max, base * 2^(attempt-1))]` (AWS's "full jitter"), which spreads
/// the retries of many installations after a collector outage.
/// `attempt` counts failures so far (1 after the first), `unit` is uniform in `[0,1)`.
pub fn full_jitter_delay(attempt: u32, base_ms: Millis, max_ms: Millis, unit: f64) -> Millis {
    let exponent = attempt.saturating_sub(1).min(62);
    let ceiling = base_ms.saturating_mul(1u64 << exponent).min(max_ms);
    ((ceiling as f64) * unit.clamp(0.0, 1.0)) as Millis
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Outcome {
        Outcome::Status {
            code,
            retry_after: None,
        }
    }

    #[test]
    fn every_status_class_is_classified_as_designed() {
        for code in [200, 201, 202, 204, 299] {
            assert_eq!(classify(&status(code)), Verdict::Delivered, "{code}");
        }
        for code in [400, 401, 403, 404, 410, 413, 422] {
            assert_eq!(classify(&status(code)), Verdict::Rejected, "{code}");
        }
        for code in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(classify(&status(code)), Verdict::Retry, "{code}");
        }
        assert_eq!(classify(&Outcome::NetworkError), Verdict::Retry);
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = 784_111_777_000;
        assert_eq!(retry_after_delay("2", now), Some(2_000));
        assert_eq!(retry_after_delay(" 120 ", now), Some(120_000));
        assert_eq!(
            retry_after_delay("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(10_000)
        );
        assert_eq!(
            retry_after_delay("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(0)
        );
        assert_eq!(retry_after_delay("soon", now), None);
        assert_eq!(retry_after_delay("-5", now), None);
    }

    #[test]
    fn jittered_delays_stay_within_their_exponential_ceiling() {
        for attempt in 1..=40 {
            let ceiling = 1_000u64
                .saturating_mul(1 << (attempt - 1).min(62))
                .min(3_600_000);
            for step in 0..=100 {
                let unit = step as f64 / 100.0 * 0.999_999;
                let delay = full_jitter_delay(attempt, 1_000, 3_600_000, unit);
                assert!(delay <= ceiling, "attempt {attempt}: {delay} > {ceiling}");
            }
            assert_eq!(full_jitter_delay(attempt, 1_000, 3_600_000, 0.0), 0);
        }
        assert_eq!(full_jitter_delay(1, 1_000, 3_600_000, 0.5), 500);
        assert_eq!(full_jitter_delay(30, 1_000, 3_600_000, 0.5), 1_800_000);
    }
}
