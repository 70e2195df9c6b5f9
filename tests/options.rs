//! The options text the JS wrapper hands the core (`coreOptionsText` of
//! `js/options.js`), read by `core::options`: `cargo test --test options`.
#![cfg(not(target_arch = "wasm32"))]

use mv3_telemetry::core::json::{self, Json};
use mv3_telemetry::core::options::{number, Options};
use mv3_telemetry::core::policy::OPTION_LIMITS;
use mv3_telemetry::core::{Consent, Policy};

#[path = "common/option_cases.rs"]
mod option_cases;
use option_cases::REFUSED_DESTINATION_OPTIONS;

const ENDPOINT: &str = r#""endpoint":"https://collector.example.com""#;

fn read(fields: &str) -> Options {
    let text = if fields.is_empty() {
        format!("{{{ENDPOINT}}}")
    } else {
        format!("{{{ENDPOINT},{fields}}}")
    };
    Options::from_json(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn refused(text: &str) -> String {
    match Options::from_json(text) {
        Ok(_) => panic!("{text} is taken"),
        Err(e) => e.message(),
    }
}

fn number_of(text: &str) -> f64 {
    number(&json::parse(text).unwrap()).unwrap()
}

#[test]
fn options_that_name_only_an_endpoint_take_every_documented_default() {
    let options = read("");
    assert_eq!(options.policy, Policy::default());
    assert_eq!(options.endpoint, "https://collector.example.com");
    assert_eq!(options.default_consent, Consent::Pending);
    assert!(options.gzip);
    assert!(!options.debug);
    assert_eq!(options.context.environment, "production");
    assert!(options.scrub.deny_keys.is_empty());
}

#[test]
fn the_wrappers_full_options_text_is_read_field_by_field() {
    let options = read(
        r#""appVersion":"1.2.3","appName":"My extension","environment":"staging",
        "defaultConsent":"granted","batch":{"maxEvents":7,"maxBytes":2048,"flushIntervalMs":5,"errorFlushDelayMs":6},
        "retry":{"baseDelayMs":10,"maxDelayMs":20,"maxAttempts":3},"scrub":{"denyKeys":["token",1],"allowKeys":["id"]},
        "compression":"none","debug":true,"lifecycleEvents":false,"maxQueuedItems":9,"sampleRate":0.25,
        "slowThresholdMs":12.5,"maxStorageBytes":65536,"browser":"Chrome 156","os":"linux","locale":"en-US""#,
    );
    let policy = &options.policy;
    assert_eq!(
        (
            policy.batch_max_events,
            policy.batch_max_bytes,
            policy.flush_interval_ms,
            policy.error_flush_delay_ms
        ),
        (7, 2048, 5, 6)
    );
    assert_eq!(
        (
            policy.retry_base_delay_ms,
            policy.retry_max_delay_ms,
            policy.retry_max_attempts
        ),
        (10, 20, 3)
    );
    assert_eq!(
        (
            policy.max_queued_items,
            policy.max_storage_bytes,
            policy.sample_rate,
            policy.slow_threshold_ms
        ),
        (9, 65536, 0.25, 12.5)
    );
    assert!(!policy.lifecycle_events);
    assert_eq!(options.default_consent, Consent::Granted);
    assert!(!options.gzip);
    assert!(options.debug);
    assert_eq!(options.routes.app_name, "My extension");
    assert_eq!(options.context.app_version, "1.2.3");
    assert_eq!(options.context.environment, "staging");
    assert_eq!(options.context.browser, "Chrome 156");
    assert_eq!(options.context.os, "linux");
    assert_eq!(options.context.locale, "en-US");
    assert_eq!(
        options.scrub.deny_keys,
        ["token"],
        "a non-string key is skipped"
    );
    assert_eq!(options.scrub.allow_keys, ["id"]);
}

#[test]
fn every_limit_in_the_table_is_read_from_its_path() {
    for limit in OPTION_LIMITS {
        let value = if limit.max.is_finite() {
            limit.max
        } else {
            limit.min + 7.0
        };
        let fields = match limit.path.split_once('.') {
            Some((section, key)) => format!(r#""{section}":{{"{key}":{value}}}"#),
            None => format!(r#""{}":{value}"#, limit.path),
        };
        // `retry.baseDelayMs` must not exceed `retry.maxDelayMs`.
        let fields = if limit.path.starts_with("retry.") && limit.path.ends_with("DelayMs") {
            format!(r#""retry":{{"baseDelayMs":{value},"maxDelayMs":{value}}}"#)
        } else {
            fields
        };
        assert_eq!(
            read(&fields).policy.option(limit.path),
            Some(value),
            "{}",
            limit.path
        );
    }
}

#[test]
fn a_value_outside_its_range_is_refused_naming_the_option() {
    // Below 0 a duration saturates to 0, which is in range: the wrapper
    // refuses it first; the core only keeps the SDK bounded.
    for limit in OPTION_LIMITS
        .iter()
        .filter(|l| l.min >= 1.0 || l.max.is_finite())
    {
        let bad = if limit.max.is_finite() {
            limit.max + 1.0
        } else {
            limit.min - 1.0
        };
        let fields = match limit.path.split_once('.') {
            Some((section, key)) => format!(r#""{section}":{{"{key}":{bad}}}"#),
            None => format!(r#""{}":{bad}"#, limit.path),
        };
        let message = refused(&format!("{{{ENDPOINT},{fields}}}"));
        assert!(
            message.contains(&format!("`{}`", limit.path)),
            "{}: {message}",
            limit.path
        );
    }
    let message = refused(&format!(
        r#"{{{ENDPOINT},"retry":{{"baseDelayMs":10,"maxDelayMs":5}}}}"#
    ));
    assert!(message.contains("`retry.baseDelayMs`"), "{message}");
}

#[test]
fn a_value_of_the_wrong_type_leaves_the_default() {
    let options =
        read(r#""maxQueuedItems":"5","debug":"true","batch":[],"scrub":{"denyKeys":"token"}"#);
    assert_eq!(options.policy, Policy::default());
    assert!(!options.debug);
    assert!(options.scrub.deny_keys.is_empty());
}

#[test]
fn a_bad_consent_and_a_text_that_is_no_object_keep_their_messages() {
    assert_eq!(
        refused(&format!(r#"{{{ENDPOINT},"defaultConsent":"yes"}}"#)),
        "mv3-telemetry: option `defaultConsent` must be 'pending', 'granted' or 'denied'"
    );
    for text in ["[]", "\"x\"", "null", "{", ""] {
        assert_eq!(refused(text), "mv3-telemetry: options must be an object");
    }
}

#[test]
fn valid_destinations_are_taken_and_invalid_ones_refused_naming_the_field() {
    let sentry =
        Options::from_json(r#"{"sentry":{"dsn":"https://k@o1.ingest.sentry.io/1"}}"#).unwrap();
    assert!(sentry.routes.destinations.sentry.is_some());
    assert_eq!(sentry.endpoint, "", "no v1 collector");
    let otlp = Options::from_json(
        r#"{"endpoint":"https://c.example","otlp":{"endpoint":"https://otel.example.com","headers":{"x-api-key":"k","x-n":1}}}"#,
    )
    .unwrap();
    let otlp = otlp.routes.destinations.otlp.unwrap();
    assert_eq!(
        otlp.headers,
        [("x-api-key".into(), "k".into())],
        "a non-string value is skipped"
    );
    let posthog = Options::from_json(
        r#"{"endpoint":"https://c.example","posthog":{"apiKey":"phc_x","types":["event"]}}"#,
    )
    .unwrap();
    assert_eq!(
        posthog.routes.destinations.posthog.unwrap().host,
        "https://us.i.posthog.com"
    );
    for &(text, field) in REFUSED_DESTINATION_OPTIONS {
        let message = refused(text);
        assert!(message.contains(&format!("`{field}`")), "{text}: {message}");
    }
}

#[test]
fn fractions_read_exactly_where_fifteen_digits_suffice_and_within_a_few_ulps_beyond() {
    for text in [
        "0",
        "1",
        "0.5",
        "0.1",
        "0.25",
        "0.001",
        "1e-7",
        "1E-7",
        "2.5e3",
        "12.5",
        "-0.75",
        "0.333333333333333",
        "1e21",
        "123456789012345.6",
    ] {
        assert_eq!(number_of(text), text.parse::<f64>().unwrap(), "{text}");
    }
    for text in [
        "0.30000000000000004",
        "0.1234567890123456789",
        "1.7976931348623157e308",
        "1e-300",
        "123456789012345678901234567890",
    ] {
        let ours = number_of(text);
        let exact: f64 = text.parse().unwrap();
        let ulps = (ours.to_bits() as i64 - exact.to_bits() as i64).abs();
        assert!(ulps <= 8, "{text}: {ours} vs {exact} ({ulps} ulps)");
    }
    assert_eq!(number(&Json::String("1".into())), None);
}

#[test]
fn the_largest_finite_number_stands_for_an_infinite_slow_threshold() {
    // JSON has no Infinity: the wrapper writes Number.MAX_VALUE for it.
    let options = read(r#""slowThresholdMs":1.7976931348623157e308"#);
    assert!(options.policy.slow_threshold_ms > 1e300);
}
