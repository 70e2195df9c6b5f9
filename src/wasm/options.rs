//! The options object from the JS wrapper, read field by field: the wrapper
//! has validated it and filled in the defaults (`js/options.js`); the core
//! still checks its ranges through [`Policy::validate`] and falls back to the
//! documented defaults for anything absent.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::dest::{
    Destinations, Kind, OtlpOptions, PosthogOptions, SentryDsn, SentryOptions,
};
use crate::core::scrub::{ScrubOptions, Scrubber};
use crate::core::{Consent, Context, Policy, Routes};

/// What a [`super::Client`] is built from.
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

fn field(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn number(object: &JsValue, key: &str) -> Option<f64> {
    field(object, key).as_f64()
}

fn text(object: &JsValue, key: &str) -> String {
    field(object, key).as_string().unwrap_or_default()
}

fn strings(object: &JsValue, key: &str) -> Vec<String> {
    field(object, key)
        .dyn_into::<Array>()
        .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default()
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

impl Options {
    /// Reads the wrapper's options object; a `TypeError` names a bad field.
    pub fn read(options: &JsValue) -> Result<Options, JsValue> {
        if !options.is_object() {
            return Err(type_error("mv3-telemetry: options must be an object"));
        }
        let routes = Routes {
            destinations: destinations(options)?,
            app_name: text(options, "appName"),
        };
        let endpoint = routes.destinations.endpoint.clone().unwrap_or_default();
        let batch = field(options, "batch");
        let retry = field(options, "retry");
        let scrub = field(options, "scrub");
        let d = Policy::default();
        let count = |object: &JsValue, key: &str, default: usize| {
            number(object, key).map_or(default, |n| n as usize)
        };
        let millis = |object: &JsValue, key: &str, default: u64| {
            number(object, key).map_or(default, |n| n as u64)
        };
        let policy = Policy {
            max_queued_items: count(options, "maxQueuedItems", d.max_queued_items),
            max_storage_bytes: count(options, "maxStorageBytes", d.max_storage_bytes),
            batch_max_events: count(&batch, "maxEvents", d.batch_max_events),
            batch_max_bytes: count(&batch, "maxBytes", d.batch_max_bytes),
            flush_interval_ms: millis(&batch, "flushIntervalMs", d.flush_interval_ms),
            error_flush_delay_ms: millis(&batch, "errorFlushDelayMs", d.error_flush_delay_ms),
            retry_base_delay_ms: millis(&retry, "baseDelayMs", d.retry_base_delay_ms),
            retry_max_delay_ms: millis(&retry, "maxDelayMs", d.retry_max_delay_ms),
            retry_max_attempts: number(&retry, "maxAttempts")
                .map_or(d.retry_max_attempts, |n| n as u32),
            sample_rate: number(options, "sampleRate").unwrap_or(d.sample_rate),
            slow_threshold_ms: number(options, "slowThresholdMs").unwrap_or(d.slow_threshold_ms),
            lifecycle_events: field(options, "lifecycleEvents")
                .as_bool()
                .unwrap_or(d.lifecycle_events),
            ..d
        };
        policy.validate().map_err(|e| type_error(&e.message()))?;
        let default_consent = match text(options, "defaultConsent").as_str() {
            "" => Consent::Pending,
            other => Consent::parse(other).ok_or_else(|| type_error("mv3-telemetry: option `defaultConsent` must be 'pending', 'granted' or 'denied'"))?,
        };
        let environment = text(options, "environment");
        Ok(Options {
            endpoint,
            routes,
            gzip: text(options, "compression") != "none",
            debug: field(options, "debug").as_bool().unwrap_or(false),
            policy,
            context: Context {
                app_version: text(options, "appVersion"),
                environment: if environment.is_empty() {
                    "production".into()
                } else {
                    environment
                },
                browser: text(options, "browser"),
                os: text(options, "os"),
                locale: text(options, "locale"),
            },
            scrub: ScrubOptions {
                deny_keys: strings(&scrub, "denyKeys"),
                allow_keys: strings(&scrub, "allowKeys"),
            },
            default_consent,
        })
    }
}

/// `endpoint`, `sentry`, `otlp` and `posthog`, checked by the core's rules
/// (the wrapper has checked them already, with longer messages).
fn destinations(options: &JsValue) -> Result<Destinations, JsValue> {
    let error = |e: crate::core::Error| type_error(&e.message());
    let types = |object: &JsValue| {
        let list = field(object, "types");
        (!list.is_undefined()).then(|| strings(object, "types"))
    };
    let endpoint = text(options, "endpoint");
    let mut out = Destinations {
        endpoint: match endpoint.as_str() {
            "" => None,
            url => Some(Destinations::endpoint(url).map_err(error)?),
        },
        ..Destinations::default()
    };
    let sentry = field(options, "sentry");
    if !sentry.is_undefined() {
        out.sentry = Some(SentryOptions {
            dsn: SentryDsn::parse(&text(&sentry, "dsn")).map_err(error)?,
            types: Kind::Sentry
                .types(types(&sentry).as_deref())
                .map_err(error)?,
        });
    }
    let otlp = field(options, "otlp");
    if !otlp.is_undefined() {
        let headers = field(&otlp, "headers");
        let mut pairs = Vec::new();
        // `Object.entries` throws on undefined: only an object is read.
        if headers.is_object() {
            for entry in js_sys::Object::entries(headers.unchecked_ref()).iter() {
                let entry: Array = entry.unchecked_into();
                if let (Some(name), Some(value)) =
                    (entry.get(0).as_string(), entry.get(1).as_string())
                {
                    pairs.push((name, value));
                }
            }
        }
        out.otlp = Some(
            OtlpOptions::new(&text(&otlp, "endpoint"), pairs, types(&otlp).as_deref())
                .map_err(error)?,
        );
    }
    let posthog = field(options, "posthog");
    if !posthog.is_undefined() {
        let host = text(&posthog, "host");
        out.posthog = Some(
            PosthogOptions::new(
                &text(&posthog, "apiKey"),
                (!host.is_empty()).then_some(host.as_str()),
                types(&posthog).as_deref(),
            )
            .map_err(error)?,
        );
    }
    out.check().map_err(error)
}

/// `scrub.extraPatterns`, each made global so every match is replaced. They run
/// through the browser's own RegExp engine: no regex code in the wasm.
pub fn global_patterns(patterns: &JsValue) -> Vec<js_sys::RegExp> {
    let Some(array) = patterns.dyn_ref::<Array>() else {
        return Vec::new();
    };
    array
        .iter()
        .filter_map(|p| p.dyn_into::<js_sys::RegExp>().ok())
        .map(|re| {
            let flags = String::from(re.flags());
            if flags.contains('g') {
                re
            } else {
                js_sys::RegExp::new(&String::from(re.source()), &(flags + "g"))
            }
        })
        .collect()
}

/// The scrubber with the user's keys and extra patterns.
pub fn scrubber(options: ScrubOptions, patterns: Vec<js_sys::RegExp>) -> Scrubber {
    let scrubber = Scrubber::new(options);
    if patterns.is_empty() {
        return scrubber;
    }
    scrubber.with_extra_pass(Box::new(move |text: &str| {
        let mut current: Option<String> = None;
        for re in &patterns {
            let subject = current.as_deref().unwrap_or(text);
            re.set_last_index(0);
            if re.test(subject) {
                let replaced: String = js_sys::JsString::from(subject)
                    .replace_by_pattern(re, "[Filtered]")
                    .into();
                current = Some(replaced);
            }
        }
        current
    }))
}
