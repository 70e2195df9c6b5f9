//! What a destination's answer means for the batch it carried
//! (`docs/destinations.md`): the same four outcomes for every backend, decided
//! from the status, the headers and (OTLP) the body.

use super::Kind;
use crate::core::backoff::retry_after_delay;
use crate::core::json::{self, parse_u64, Json};
use crate::core::split::pieces;
use crate::core::time::Millis;

/// A bare Sentry 429 (no `X-Sentry-Rate-Limits`, no `Retry-After`) waits this long.
pub const DEFAULT_RATE_LIMIT_MS: Millis = 60_000;

/// What to do with a batch after its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The backend has it; `rejected` of its records it refused for good
    /// (OTLP `partialSuccess`): counted as `rejected`, never retried.
    Delivered {
        /// Records refused inside an accepted request.
        rejected: u64,
    },
    /// Try again later, not before `not_before` if the backend said so.
    Retry {
        /// From `Retry-After`.
        not_before: Option<Millis>,
    },
    /// Retrying cannot help: drop and count `rejected`.
    Rejected,
    /// Sentry refused it under a rate limit: drop and count `ratelimit_backoff`
    /// (Sentry counts it server side, so no client report is sent for it).
    RateLimited,
}

/// The answer as the platform saw it.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// The HTTP status; `None` for a network error.
    pub status: Option<u16>,
    /// The `Retry-After` header.
    pub retry_after: Option<&'a str>,
    /// Sentry's `X-Sentry-Rate-Limits` header.
    pub rate_limits: Option<&'a str>,
    /// The body, read only for OTLP 2xx answers.
    pub body: Option<&'a str>,
}

/// Decides, for `kind`. Sentry's rate-limit headers are applied separately
/// (on every response) by [`RateLimits::update`].
pub fn classify(kind: Kind, response: &Response, now: Millis) -> Verdict {
    let Some(status) = response.status else {
        return Verdict::Retry { not_before: None };
    };
    let not_before = response
        .retry_after
        .and_then(|v| retry_after_delay(v, now))
        .map(|d| now.saturating_add(d));
    match (kind, status) {
        (_, 200..=299) => Verdict::Delivered {
            rejected: if kind == Kind::Otlp {
                response.body.map_or(0, partial_rejected)
            } else {
                0
            },
        },
        (Kind::Sentry, 429) => Verdict::RateLimited,
        // OTLP/HTTP: only these are retryable; everything else is permanent.
        (Kind::Otlp, 429 | 502 | 503 | 504) => Verdict::Retry { not_before },
        (Kind::Otlp, _) => Verdict::Rejected,
        (_, 408 | 429 | 500..=599) => Verdict::Retry { not_before },
        // 413 too: the same body would be too large again.
        _ => Verdict::Rejected,
    }
}

/// `partialSuccess.rejectedLogRecords` or `.rejectedDataPoints` of an OTLP
/// answer (an int64, so a string, though numbers are accepted); 0 otherwise.
pub fn partial_rejected(body: &str) -> u64 {
    let Ok(value) = json::parse(body) else {
        return 0;
    };
    let Some(partial) = value.get("partialSuccess") else {
        return 0;
    };
    let mut rejected = 0;
    for key in ["rejectedLogRecords", "rejectedDataPoints"] {
        rejected += match partial.get(key) {
            Some(Json::String(s)) => parse_u64(s),
            Some(n) => n.as_u64(),
            None => None,
        }
        .unwrap_or(0);
    }
    rejected
}

/// The Sentry categories we send, and the rate limit of each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// `error` (event items) limited until then.
    pub error: Millis,
    /// `feedback` limited until then.
    pub feedback: Millis,
    /// `session` (release-health updates) limited until then.
    pub session: Millis,
}

impl RateLimits {
    /// Applies one response's limits: `X-Sentry-Rate-Limits` whatever the
    /// status (200 included), else a 429's `Retry-After`, else 60 s for a
    /// bare 429. Each category keeps the later of its old and new limit.
    pub fn update(&mut self, response: &Response, now: Millis) {
        let header = response.rate_limits.unwrap_or_default().trim();
        if header.is_empty() {
            if response.status == Some(429) {
                let delay = response
                    .retry_after
                    .and_then(|v| retry_after_delay(v, now))
                    .unwrap_or(DEFAULT_RATE_LIMIT_MS);
                self.extend("", "", now.saturating_add(delay));
            }
            return;
        }
        for limit in pieces(header, b',') {
            let mut parts = pieces(limit.trim(), b':');
            let Some(seconds) = parts.next().and_then(seconds_ms) else {
                continue;
            };
            let categories = parts.next().unwrap_or_default();
            // `"".split(';')` yields one empty category: the list-is-empty case.
            for category in pieces(categories, b';') {
                self.extend(categories, category.trim(), now.saturating_add(seconds));
            }
        }
    }

    /// Limits `category` until `until` (keeping a later limit), or every
    /// category when the header's list (`categories`) is empty. Categories
    /// we never send cannot limit us.
    fn extend(&mut self, categories: &str, category: &str, until: Millis) {
        let all = categories.is_empty();
        if all || category == "error" {
            self.error = self.error.max(until);
        }
        if all || category == "feedback" {
            self.feedback = self.feedback.max(until);
        }
        if all || category == "session" {
            self.session = self.session.max(until);
        }
    }

    /// When items of `category` (`error`, `feedback` or `session`) may go
    /// again; 0 if now.
    pub fn until(&self, category: &str) -> Millis {
        match category {
            "error" => self.error,
            "feedback" => self.feedback,
            "session" => self.session,
            _ => 0,
        }
    }

    /// True if `category` is limited at `now`.
    pub fn is_limited(&self, category: &str, now: Millis) -> bool {
        self.until(category) > now
    }
}

/// `60` seconds as milliseconds; a fraction (`60.5`) rounds up to the next
/// second, so a limit is never cut short.
fn seconds_ms(text: &str) -> Option<Millis> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let seconds = parse_u64(&text[..digits])?;
    let rest = &text.as_bytes()[digits..];
    let round_up = match rest.first() {
        None => 0,
        Some(b'.') if rest[1..].iter().all(u8::is_ascii_digit) => {
            u64::from(rest[1..].iter().any(|b| *b != b'0'))
        }
        Some(_) => return None,
    };
    // `min` rather than `saturating_mul`: a checked 64-bit multiply costs a
    // 128-bit multiply routine in wasm.
    Some((seconds + round_up).min(Millis::MAX / 1000) * 1000)
}
