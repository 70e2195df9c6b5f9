//! The destinations' options and response decisions (`core::dest`), written
//! once and run on the host (`tests/destinations.rs`) and in a service
//! worker (`tests/wasm_service_worker.rs`). The encoders are checked against
//! Sentry's and OpenTelemetry's own types in `tests/destinations.rs` (host only).

use mv3_telemetry::core::dest::response::{classify, RateLimits, Response, Verdict};
use mv3_telemetry::core::dest::{
    Destinations, ItemType, Kind, OtlpOptions, PosthogOptions, SentryDsn, Types,
};
use mv3_telemetry::core::Error;
use wasm_bindgen_test::wasm_bindgen_test;

/// 2026-11-30T10:00:00Z
pub const NOW: u64 = 1_796_032_800_000;

fn field_of(error: Error) -> &'static str {
    match error {
        Error::InvalidOption { field, .. } => field,
        other => panic!("expected an option error, got {other:?}"),
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sentry_dsn_gives_the_envelope_url_with_query_authentication() {
    let dsn = SentryDsn::parse("https://abc123@o1.ingest.sentry.io/4505").unwrap();
    assert_eq!(dsn.public_key, "abc123");
    assert_eq!(dsn.project_id, "4505");
    assert_eq!(
        dsn.envelope_url(),
        "https://o1.ingest.sentry.io/api/4505/envelope/?sentry_key=abc123&sentry_version=7&sentry_client=mv3-telemetry/"
            .to_owned()
            + env!("CARGO_PKG_VERSION")
    );
    let self_hosted = SentryDsn::parse("http://key@localhost:9000/sentry/42").unwrap();
    assert_eq!(
        self_hosted.envelope_url().split('?').next().unwrap(),
        "http://localhost:9000/sentry/api/42/envelope/"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_dsn_without_public_key_or_project_id_or_over_plain_http_names_sentry_dsn() {
    for dsn in [
        "https://o1.ingest.sentry.io/4505",
        "https://@o1.ingest.sentry.io/4505",
        "https://abc@o1.ingest.sentry.io/",
        "https://abc@o1.ingest.sentry.io",
        "https://abc@o1.ingest.sentry.io/project",
        "http://abc@o1.ingest.sentry.io/4505",
        "",
    ] {
        let error = SentryDsn::parse(dsn).expect_err(dsn);
        assert_eq!(field_of(error.clone()), "sentry.dsn", "{dsn}");
        assert!(error
            .message()
            .starts_with("mv3-telemetry: option `sentry.dsn` "));
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn types_default_to_what_each_destination_carries_and_reject_what_it_cannot() {
    assert_eq!(
        Kind::Sentry.types(None).unwrap(),
        Types::of(&[ItemType::Error, ItemType::Feedback])
    );
    assert_eq!(Kind::Otlp.types(None).unwrap(), Types::of(&ItemType::ALL));
    assert_eq!(
        Kind::Posthog.types(None).unwrap(),
        Types::of(&[ItemType::Event, ItemType::Error])
    );
    let errors_only = Kind::Sentry.types(Some(&names(&["error"]))).unwrap();
    assert!(errors_only.contains(ItemType::Error) && !errors_only.contains(ItemType::Feedback));
    for (kind, bad, field) in [
        (Kind::Sentry, &["event"][..], "sentry.types"),
        (Kind::Sentry, &["timing"][..], "sentry.types"),
        (Kind::Posthog, &["feedback"][..], "posthog.types"),
        (Kind::Posthog, &["timing"][..], "posthog.types"),
        (Kind::Otlp, &["metric"][..], "otlp.types"),
        (Kind::Otlp, &[][..], "otlp.types"),
    ] {
        assert_eq!(
            field_of(kind.types(Some(&names(bad))).unwrap_err()),
            field,
            "{bad:?}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn an_otlp_endpoint_is_a_base_url_and_http_is_only_for_localhost() {
    let local = OtlpOptions::new("http://127.0.0.1:4318/", vec![], None).unwrap();
    assert_eq!(local.endpoint, "http://127.0.0.1:4318");
    let hosted = OtlpOptions::new(
        "https://otel.example.com/otlp",
        vec![("x-api-key".into(), "k".into())],
        None,
    )
    .unwrap();
    assert_eq!(hosted.endpoint, "https://otel.example.com/otlp");
    for url in [
        "https://otel.example.com/v1/logs",
        "https://otel.example.com/v1/metrics/",
        "http://otel.example.com",
        "https://user:pw@otel.example.com",
        "otel.example.com",
    ] {
        assert_eq!(
            field_of(OtlpOptions::new(url, vec![], None).unwrap_err()),
            "otlp.endpoint",
            "{url}"
        );
    }
    let bad_header = OtlpOptions::new(
        "https://otel.example.com",
        vec![("bad name".into(), "v".into())],
        None,
    );
    assert_eq!(field_of(bad_header.unwrap_err()), "otlp.headers");
}

#[wasm_bindgen_test(unsupported = test)]
fn posthog_needs_an_api_key_and_defaults_to_the_us_cloud() {
    let options = PosthogOptions::new("phc_abc", None, None).unwrap();
    assert_eq!(options.host, "https://us.i.posthog.com");
    assert_eq!(
        field_of(PosthogOptions::new("", None, None).unwrap_err()),
        "posthog.apiKey"
    );
    assert_eq!(
        field_of(
            PosthogOptions::new("phc_abc", Some("http://eu.i.posthog.com"), None).unwrap_err()
        ),
        "posthog.host"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn no_destination_at_all_names_endpoint_and_any_one_destination_makes_endpoint_optional() {
    assert_eq!(
        field_of(Destinations::default().check().unwrap_err()),
        "endpoint"
    );
    let sentry_only = Destinations {
        sentry: Some(mv3_telemetry::core::dest::SentryOptions {
            dsn: SentryDsn::parse("https://k@o1.ingest.sentry.io/1").unwrap(),
            types: Kind::Sentry.types(None).unwrap(),
        }),
        ..Destinations::default()
    };
    assert!(sentry_only.check().is_ok());
    assert_eq!(
        Destinations::endpoint("http://localhost:8787/").unwrap(),
        "http://localhost:8787"
    );
    assert_eq!(
        field_of(Destinations::endpoint("http://collector.example.com").unwrap_err()),
        "endpoint"
    );
}

fn status(code: u16) -> Response<'static> {
    Response {
        status: Some(code),
        retry_after: None,
        rate_limits: None,
        body: None,
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sentry_rate_limits_apply_per_category_on_every_response_including_200() {
    let mut limits = RateLimits::default();
    let ok_with_limit = Response {
        rate_limits: Some(
            "60:error:organization:quota_exceeded, 10::project, 7:transaction;span:key",
        ),
        ..status(200)
    };
    limits.update(&ok_with_limit, NOW);
    assert_eq!(limits.until("error"), NOW + 60_000);
    // An empty category list limits every category; unknown categories limit nothing of ours.
    assert_eq!(limits.until("feedback"), NOW + 10_000);
    assert!(limits.is_limited("error", NOW + 59_999));
    assert!(!limits.is_limited("error", NOW + 60_000));
    assert_eq!(
        classify(Kind::Sentry, &ok_with_limit, NOW),
        Verdict::Delivered { rejected: 0 }
    );
    // The longest limit stays: a shorter one later does not shorten it.
    limits.update(
        &Response {
            rate_limits: Some("5:error"),
            ..status(200)
        },
        NOW,
    );
    assert_eq!(limits.until("error"), NOW + 60_000);
    // A fraction of a second rounds up: a limit is never cut short.
    let mut fraction = RateLimits::default();
    fraction.update(
        &Response {
            rate_limits: Some("2.5:feedback"),
            ..status(429)
        },
        NOW,
    );
    assert_eq!(
        (fraction.until("feedback"), fraction.until("error")),
        (NOW + 3_000, 0)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sentry_429_uses_retry_after_and_a_bare_one_waits_60_seconds() {
    let mut limits = RateLimits::default();
    limits.update(
        &Response {
            retry_after: Some("120"),
            ..status(429)
        },
        NOW,
    );
    assert_eq!(
        (limits.until("error"), limits.until("feedback")),
        (NOW + 120_000, NOW + 120_000)
    );
    let mut bare = RateLimits::default();
    bare.update(&status(429), NOW);
    assert_eq!(bare.until("error"), NOW + 60_000);
    assert_eq!(
        classify(Kind::Sentry, &status(429), NOW),
        Verdict::RateLimited
    );
    // A 503 without a limit header limits nothing: it is retried.
    let mut none = RateLimits::default();
    none.update(&status(503), NOW);
    assert_eq!(none, RateLimits::default());
    assert_eq!(
        classify(Kind::Sentry, &status(503), NOW),
        Verdict::Retry { not_before: None }
    );
    assert_eq!(classify(Kind::Sentry, &status(413), NOW), Verdict::Rejected);
}

#[wasm_bindgen_test(unsupported = test)]
fn otlp_partial_success_is_delivered_with_its_rejected_count_and_only_429_502_503_504_retry() {
    let partial = Response {
        body: Some(r#"{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"too old"}}"#),
        ..status(200)
    };
    assert_eq!(
        classify(Kind::Otlp, &partial, NOW),
        Verdict::Delivered { rejected: 3 }
    );
    let points = Response {
        body: Some(r#"{"partialSuccess":{"rejectedDataPoints":2}}"#),
        ..status(200)
    };
    assert_eq!(
        classify(Kind::Otlp, &points, NOW),
        Verdict::Delivered { rejected: 2 }
    );
    assert_eq!(
        classify(
            Kind::Otlp,
            &Response {
                body: Some("{}"),
                ..status(200)
            },
            NOW
        ),
        Verdict::Delivered { rejected: 0 }
    );
    for code in [429, 502, 503, 504] {
        let answer = Response {
            retry_after: Some("30"),
            ..status(code)
        };
        assert_eq!(
            classify(Kind::Otlp, &answer, NOW),
            Verdict::Retry {
                not_before: Some(NOW + 30_000)
            },
            "{code}"
        );
    }
    for code in [400, 401, 403, 404, 413, 500, 501] {
        assert_eq!(
            classify(Kind::Otlp, &status(code), NOW),
            Verdict::Rejected,
            "{code}"
        );
    }
    let network = Response {
        status: None,
        ..status(0)
    };
    assert_eq!(
        classify(Kind::Otlp, &network, NOW),
        Verdict::Retry { not_before: None }
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn posthog_retries_408_429_and_5xx_and_drops_other_4xx() {
    assert_eq!(
        classify(Kind::Posthog, &status(200), NOW),
        Verdict::Delivered { rejected: 0 }
    );
    for code in [408, 429, 500, 503] {
        assert_eq!(
            classify(Kind::Posthog, &status(code), NOW),
            Verdict::Retry { not_before: None },
            "{code}"
        );
    }
    for code in [400, 401, 413] {
        assert_eq!(
            classify(Kind::Posthog, &status(code), NOW),
            Verdict::Rejected,
            "{code}"
        );
    }
}
