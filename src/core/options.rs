//! The options the JS wrapper hands the core, as one JSON text: the wrapper
//! has validated them and filled in every default (`js/options.js`
//! `coreOptions`), then stringified them once. Reading them here, with the
//! core's own parser, replaces a `Reflect.get` per field in the wasm glue
//! (one import call and its shim each). The core still checks ranges through
//! [`Policy::validate`] and the destinations by its own rules, so a wrapper
//! bypassed cannot configure something invalid; anything absent falls back
//! to the documented default.
//!
//! What cannot be JSON stays a JS value and is passed beside this text: the
//! storage area, the `scrub.extraPatterns` RegExps and the `beforeSend` hook.

use super::dest::{Destinations, Kind, OtlpOptions, PosthogOptions, SentryDsn, SentryOptions};
use super::engine::{Consent, Routes};
use super::error::{Error, Result};
use super::json::{self, Json};
use super::policy::{Policy, DEFAULT_ENVIRONMENT};
use super::scrub::ScrubOptions;
use super::wire::Context;

/// What a client is built from.
#[derive(Debug, Clone)]
pub struct Options {
    /// The v1 collector origin, without a trailing slash; empty when only
    /// other destinations are set.
    pub endpoint: String,
    /// Every destination, and the extension's name for their encoders.
    pub routes: Routes,
    /// Compress bodies with gzip.
    pub gzip: bool,
    /// Warn on the console about drops and failures.
    pub debug: bool,
    /// Limits and timings.
    pub policy: Policy,
    /// Facts sent with every batch.
    pub context: Context,
    /// `scrub.denyKeys` and `scrub.allowKeys`.
    pub scrub: ScrubOptions,
    /// The consent before the user chose.
    pub default_consent: Consent,
}

/// The field `key` of an object, `Json::Null` when absent (so reads chain).
fn field<'a>(object: &'a Json, key: &str) -> &'a Json {
    object.get(key).unwrap_or(&Json::Null)
}

fn text(object: &Json, key: &str) -> String {
    field(object, key).to_owned_str().unwrap_or_default()
}

/// The strings of an array field; other elements are skipped.
fn strings(value: &Json) -> Vec<String> {
    // Loops rather than `collect` here and below: each collect into a new
    // element type links its own copy of std's iterator-to-`Vec` code.
    let mut out = Vec::new();
    for item in value.as_array().unwrap_or_default() {
        if let Some(text) = item.to_owned_str() {
            out.push(text);
        }
    }
    out
}

impl Options {
    /// Reads the wrapper's options text. An error names the bad field (the
    /// wrapper has checked every field already, with longer messages).
    pub fn from_json(text: &str) -> Result<Options> {
        let options = match json::parse(text) {
            Ok(value @ Json::Object(_)) => value,
            _ => return Err(Error::OptionsNotAnObject),
        };
        let routes = Routes {
            destinations: destinations(&options)?,
            app_name: self::text(&options, "appName"),
        };
        let endpoint = routes.destinations.endpoint.clone().unwrap_or_default();
        // Each field read directly (a walk of OPTION_LIMITS by path would
        // link the path matching of `Policy::set_option`: more code).
        // `validate` then checks every range, after saturating casts.
        let batch = field(&options, "batch");
        let retry = field(&options, "retry");
        let d = Policy::default();
        let count = |object: &Json, key: &str, default: usize| {
            number(field(object, key)).map_or(default, |n| n as usize)
        };
        let millis = |object: &Json, key: &str, default: u64| {
            number(field(object, key)).map_or(default, |n| n as u64)
        };
        let policy = Policy {
            max_queued_items: count(&options, "maxQueuedItems", d.max_queued_items),
            max_storage_bytes: count(&options, "maxStorageBytes", d.max_storage_bytes),
            batch_max_events: count(batch, "maxEvents", d.batch_max_events),
            batch_max_bytes: count(batch, "maxBytes", d.batch_max_bytes),
            flush_interval_ms: millis(batch, "flushIntervalMs", d.flush_interval_ms),
            error_flush_delay_ms: millis(batch, "errorFlushDelayMs", d.error_flush_delay_ms),
            retry_base_delay_ms: millis(retry, "baseDelayMs", d.retry_base_delay_ms),
            retry_max_delay_ms: millis(retry, "maxDelayMs", d.retry_max_delay_ms),
            retry_max_attempts: number(field(retry, "maxAttempts"))
                .map_or(d.retry_max_attempts, |n| n as u32),
            sample_rate: number(field(&options, "sampleRate")).unwrap_or(d.sample_rate),
            slow_threshold_ms: number(field(&options, "slowThresholdMs"))
                .unwrap_or(d.slow_threshold_ms),
            lifecycle_events: field(&options, "lifecycleEvents")
                .as_bool()
                .unwrap_or(d.lifecycle_events),
            ..d
        };
        policy.validate()?;
        let default_consent = match field(&options, "defaultConsent").as_str() {
            None | Some("") => Consent::Pending,
            Some(other) => Consent::parse(other).ok_or(Error::InvalidOption {
                field: "defaultConsent",
                reason: "must be 'pending', 'granted' or 'denied'",
            })?,
        };
        let environment = self::text(&options, "environment");
        let scrub = field(&options, "scrub");
        Ok(Options {
            endpoint,
            routes,
            gzip: field(&options, "compression").as_str() != Some("none"),
            debug: field(&options, "debug").as_bool().unwrap_or(false),
            policy,
            context: Context {
                app_version: self::text(&options, "appVersion"),
                environment: if environment.is_empty() {
                    DEFAULT_ENVIRONMENT.into()
                } else {
                    environment
                },
                browser: self::text(&options, "browser"),
                os: self::text(&options, "os"),
                locale: self::text(&options, "locale"),
            },
            scrub: ScrubOptions {
                deny_keys: strings(field(scrub, "denyKeys")),
                allow_keys: strings(field(scrub, "allowKeys")),
            },
            default_consent,
        })
    }
}

/// `endpoint`, `sentry`, `otlp` and `posthog`, checked by the core's rules.
fn destinations(options: &Json) -> Result<Destinations> {
    // An absent `types` means the destination's defaults; a present one is checked.
    let types = |object: &Json| object.get("types").map(strings);
    let endpoint = text(options, "endpoint");
    let mut out = Destinations {
        endpoint: match endpoint.as_str() {
            "" => None,
            url => Some(Destinations::endpoint(url)?),
        },
        ..Destinations::default()
    };
    if let Some(sentry) = options.get("sentry") {
        out.sentry = Some(SentryOptions {
            dsn: SentryDsn::parse(&text(sentry, "dsn"))?,
            types: Kind::Sentry.types(types(sentry).as_deref())?,
        });
    }
    if let Some(otlp) = options.get("otlp") {
        let mut pairs = Vec::new();
        for (name, value) in field(otlp, "headers").as_object().unwrap_or_default() {
            if let Some(value) = value.to_owned_str() {
                pairs.push((name.clone(), value));
            }
        }
        out.otlp = Some(OtlpOptions::new(
            &text(otlp, "endpoint"),
            pairs,
            types(otlp).as_deref(),
        )?);
    }
    if let Some(posthog) = options.get("posthog") {
        let host = text(posthog, "host");
        out.posthog = Some(PosthogOptions::new(
            &text(posthog, "apiKey"),
            (!host.is_empty()).then_some(host.as_str()),
            types(posthog).as_deref(),
        )?);
    }
    out.check()
}

/// A JSON number as an `f64`. Integers (every numeric option but two) are
/// exact; a fraction (`sampleRate`, `slowThresholdMs`) is its digits as an
/// integer, multiplied or divided once by a power of ten: exact for up to 15
/// significant digits and a power up to 10^22 (Clinger's fast path; every
/// such power is exact, and `powi` builds it from exact squares), within a
/// few ulps beyond, which a sampling rate or a threshold in milliseconds
/// cannot tell apart. Below about 1e-300 it reads as 0. No general float
/// parser is linked for two options. Not a number: `None` (the option keeps
/// its default).
pub fn number(value: &Json) -> Option<f64> {
    let Json::Number(number) = value else {
        return None;
    };
    // The parser has checked the grammar: `-? digits (. digits)? ([eE] [+-]? digits)?`.
    let (mut mantissa, mut scale, mut exponent) = (0.0_f64, 0_i32, 0_i32);
    let (mut negative, mut exponent_negative, mut part) = (false, false, 0_u8);
    for byte in number.as_str().bytes() {
        match byte {
            b'-' if part == 2 => exponent_negative = true,
            b'-' => negative = true,
            b'.' => part = 1,
            b'e' | b'E' => part = 2,
            b'0'..=b'9' => {
                let digit = i32::from(byte - b'0');
                if part == 2 {
                    // Past 999 the value is 0 or infinite anyway.
                    exponent = (exponent * 10 + digit).min(999);
                } else {
                    mantissa = mantissa * 10.0 + f64::from(digit);
                    scale -= i32::from(part);
                }
            }
            _ => {} // `+`
        }
    }
    let power = scale
        + if exponent_negative {
            -exponent
        } else {
            exponent
        };
    let value = if power < 0 {
        mantissa / 10.0_f64.powi(-power)
    } else {
        mantissa * 10.0_f64.powi(power)
    };
    Some(if negative { -value } else { value })
}
