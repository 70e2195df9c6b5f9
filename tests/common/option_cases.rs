//! Options texts the core refuses, with the field its message must name:
//! read by `core::options` on the host (`tests/options.rs`) and by the
//! wasm `Client` constructor in the service worker
//! (`tests/wasm_service_worker.rs`), which must refuse the same ones.

/// (options JSON, the field named in backticks in the error message).
pub const REFUSED_DESTINATION_OPTIONS: &[(&str, &str)] = &[
    (
        r#"{"sentry":{"dsn":"https://o1.ingest.sentry.io/1"}}"#,
        "sentry.dsn",
    ),
    (
        r#"{"otlp":{"endpoint":"https://otel.example.com/v1/logs"}}"#,
        "otlp.endpoint",
    ),
    (
        r#"{"posthog":{"apiKey":"phc_x","types":["timing"]}}"#,
        "posthog.types",
    ),
    (r#"{"compression":"none"}"#, "endpoint"),
];
