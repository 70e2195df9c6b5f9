//! The receivers of the SDK's other destinations (`docs/destinations.md`),
//! fed with bodies written by the SDK's own encoders: Sentry envelopes, OTLP
//! logs and metrics, PostHog batches; their stats, auth and fault injection.

mod common;

use common::{gzip, TestServer};
use mv3_telemetry::core::dest::{otlp, posthog, sentry, Meta, PosthogOptions};
use mv3_telemetry::core::sketch::Sketch;
use mv3_telemetry::core::wire::items::{error_json, event_json, feedback_json};
use mv3_telemetry::core::Context;
use serde_json::{json, Value};

const NOW: u64 = 1_796_032_800_000;
const ENVELOPE: &str =
    "/api/42/envelope/?sentry_key=abc&sentry_version=7&sentry_client=mv3-telemetry/0.1.0";

fn context() -> Context {
    Context {
        app_version: "1.0.0".into(),
        environment: "test".into(),
        browser: "Chrome 156".into(),
        os: "linux".into(),
        locale: "en".into(),
    }
}

fn error_item(id: &str) -> String {
    error_json(id, NOW, "TypeError", "boom", &[], "f", "{}", &[])
}

fn event_item(id: &str) -> String {
    event_json(id, "opened", NOW, "{}")
}

async fn post_body(server: &TestServer, path: &str, body: String, zip: bool) -> reqwest::Response {
    let headers: &[(&str, &str)] = if zip {
        &[("content-encoding", "gzip")]
    } else {
        &[]
    };
    let bytes = if zip {
        gzip(body.as_bytes())
    } else {
        body.into_bytes()
    };
    server.post_raw(path, bytes, headers).await
}

#[tokio::test]
async fn each_receiver_accepts_what_the_sdk_encodes_and_counts_its_items_by_id() {
    let server = TestServer::start().await;
    let context = context();
    let meta = Meta {
        app_name: "Ext",
        context: &context,
        anonymous_id: "anon",
        now: NOW,
    };
    let error_id = "11111111-1111-4111-8111-111111111111";

    let mut envelope = String::new();
    sentry::envelope(&meta, &error_item(error_id), &[], &mut envelope);
    let response = post_body(&server, ENVELOPE, envelope.clone(), true).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "id": "11111111111141118111111111111111" })
    );

    let mut feedback = String::new();
    sentry::envelope(
        &meta,
        &feedback_json(
            "22222222-2222-4222-8222-222222222222",
            NOW,
            "bug",
            None,
            Some("hi"),
            None,
        ),
        &[],
        &mut feedback,
    );
    assert_eq!(
        post_body(&server, ENVELOPE, feedback, false).await.status(),
        200
    );

    let mut logs = String::new();
    otlp::logs(
        &meta,
        &[
            &event_item("33333333-3333-4333-8333-333333333333"),
            &error_item(error_id),
        ],
        &mut logs,
    );
    let response = post_body(&server, "/v1/logs", logs, true).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));

    let mut sketch = Sketch::new();
    sketch.add(12.5);
    let mut metrics = String::new();
    otlp::metrics(
        &meta,
        &[otlp::Series {
            name: "load",
            props: "{}",
            start: NOW - 30_000,
            end: NOW,
            sketch: &sketch,
        }],
        &mut metrics,
    );
    assert_eq!(
        post_body(&server, "/v1/metrics", metrics, false)
            .await
            .status(),
        200
    );

    let options = PosthogOptions::new("phc_test", Some("http://127.0.0.1"), None).unwrap();
    let mut batch = String::new();
    posthog::batch(
        &options,
        &meta,
        &[&event_item("44444444-4444-4444-8444-444444444444")],
        &mut batch,
    );
    // PostHog sniffs gzip bodies without a Content-Encoding header.
    let response = server
        .post_raw("/batch/", gzip(batch.as_bytes()), &[])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": 1 })
    );

    let stats = server.stats().await;
    assert_eq!(
        stats["per_endpoint"]["sentry"],
        json!({ "requests": 2, "batches": 2, "items": 2, "unique_items": 2 })
    );
    assert_eq!(stats["per_endpoint"]["otlp_logs"]["items"], 2);
    assert_eq!(stats["per_endpoint"]["otlp_metrics"]["items"], 1);
    assert_eq!(stats["per_endpoint"]["posthog"]["items"], 1);
    // The error went to Sentry and to OTLP: one delivery to each, no duplicate.
    assert_eq!(stats["duplicate_item_ids"], 0);
    let kept = server.get_json("/__mock/batches?endpoint=sentry").await;
    let kept = kept.as_array().unwrap();
    assert_eq!(
        kept[0]["body"]["items"][0]["payload"]["exception"]["values"][0]["value"],
        "boom"
    );
    assert_eq!(kept[0]["gzip"], true);
}

#[tokio::test]
async fn sentry_without_its_key_is_refused_with_403_and_a_bad_envelope_with_400() {
    let server = TestServer::start().await;
    let response = server
        .post_raw("/api/42/envelope/", b"{}\n".to_vec(), &[])
        .await;
    assert_eq!(response.status(), 403);
    let response = server.post_raw(ENVELOPE, b"not json\n".to_vec(), &[]).await;
    assert_eq!(response.status(), 400);
    let no_infer = "{\"sent_at\":\"x\"}\n{\"type\":\"event\"}\n{\"event_id\":\"11111111111141118111111111111111\",\"sdk\":{}}\n";
    let response = server
        .post_raw(ENVELOPE, no_infer.as_bytes().to_vec(), &[])
        .await;
    assert_eq!(response.status(), 400, "an event must carry infer_ip never");
    let stats = server.stats().await;
    assert_eq!(stats["per_endpoint"]["sentry"]["requests"], 3);
    assert_eq!(stats["per_endpoint"]["sentry"]["batches"], 0);
}

#[tokio::test]
async fn a_rate_limit_fault_rides_on_a_200_or_a_429_for_the_sentry_receiver_only() {
    let server = TestServer::start().await;
    server
        .add_faults(json!([
            { "endpoint": "sentry", "rate_limits": "60:error:organization" },
            { "endpoint": "sentry", "status": 429, "rate_limits": "30::key", "retry_after": "30" }
        ]))
        .await;
    let context = context();
    let meta = Meta {
        app_name: "Ext",
        context: &context,
        anonymous_id: "anon",
        now: NOW,
    };
    let mut envelope = String::new();
    sentry::envelope(
        &meta,
        &error_item("55555555-5555-4555-8555-555555555555"),
        &[],
        &mut envelope,
    );
    let first = post_body(&server, ENVELOPE, envelope.clone(), false).await;
    assert_eq!(first.status(), 200, "delivered, and limited from now on");
    assert_eq!(
        first.headers()["x-sentry-rate-limits"],
        "60:error:organization"
    );
    let second = post_body(&server, ENVELOPE, envelope.clone(), false).await;
    assert_eq!(second.status(), 429);
    assert_eq!(second.headers()["x-sentry-rate-limits"], "30::key");
    assert_eq!(second.headers()["retry-after"], "30");
    let third = post_body(&server, ENVELOPE, envelope, false).await;
    assert_eq!(
        (
            third.status().as_u16(),
            third.headers().get("x-sentry-rate-limits").is_none()
        ),
        (200, true)
    );
    let stats = server.stats().await;
    assert_eq!(stats["per_endpoint"]["sentry"]["batches"], 2);
    assert_eq!(
        stats["duplicate_item_ids"], 1,
        "the same event accepted twice by one receiver"
    );
    assert_eq!(stats["per_status"], json!({ "200": 2, "429": 1 }));
}

#[tokio::test]
async fn a_fault_aimed_at_one_receiver_leaves_the_others_and_the_v1_paths_alone() {
    let server = TestServer::start().await;
    server
        .add_faults(json!({ "endpoint": "otlp_logs", "status": 503, "count": 2 }))
        .await;
    let context = context();
    let meta = Meta {
        app_name: "Ext",
        context: &context,
        anonymous_id: "anon",
        now: NOW,
    };
    let mut logs = String::new();
    otlp::logs(
        &meta,
        &[&event_item("66666666-6666-4666-8666-666666666666")],
        &mut logs,
    );
    let options = PosthogOptions::new("phc_test", None, None).unwrap();
    let mut batch = String::new();
    posthog::batch(
        &options,
        &meta,
        &[&event_item("66666666-6666-4666-8666-666666666666")],
        &mut batch,
    );
    assert_eq!(
        post_body(&server, "/batch/", batch, false).await.status(),
        200
    );
    assert_eq!(
        post_body(&server, "/v1/logs", logs.clone(), false)
            .await
            .status(),
        503
    );
    assert_eq!(
        post_body(&server, "/v1/logs", logs.clone(), false)
            .await
            .status(),
        503
    );
    assert_eq!(
        post_body(&server, "/v1/logs", logs, false).await.status(),
        200
    );
    // `/v1/sentry` is not a v1 endpoint.
    assert_eq!(server.post("/v1/sentry", &json!({})).await.status(), 404);
}
