//! Ingestion endpoints: accepted shapes, encodings, validation errors, CORS.

mod common;

use common::{batch, deletion, gzip, TestServer};
use serde_json::{json, Value};

/// Turns a valid batch into an invalid one.
type BreakBody = Box<dyn Fn(&mut Value)>;

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (
        status,
        response.json().await.expect("error bodies are JSON"),
    )
}

#[tokio::test]
async fn every_item_endpoint_accepts_a_valid_batch_and_answers_the_item_count() {
    let server = TestServer::start().await;
    for endpoint in ["events", "errors", "performance", "feedback"] {
        let body = batch(
            endpoint,
            &format!("b-{endpoint}"),
            &[&format!("{endpoint}-1"), &format!("{endpoint}-2")],
        );
        let response = server.post(&format!("/v1/{endpoint}"), &body).await;
        assert_eq!(response.status(), 200, "{endpoint}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({ "ok": true, "accepted": 2 })
        );
    }
    let stats = server.stats().await;
    assert_eq!(stats["batches"], 4);
    assert_eq!(stats["items"], 8);
    for endpoint in ["events", "errors", "performance", "feedback"] {
        assert_eq!(
            stats["per_endpoint"][endpoint],
            json!({ "requests": 1, "batches": 1, "items": 2, "unique_items": 2 })
        );
    }
}

#[tokio::test]
async fn deletion_requests_are_accepted_and_stored_with_their_anonymous_id() {
    let server = TestServer::start().await;
    let response = server.post("/v1/deletion", &deletion("anon-1")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "ok": true, "accepted": 0 })
    );
    let batches = server.get_json("/__mock/batches?endpoint=deletion").await;
    assert_eq!(batches.as_array().unwrap().len(), 1);
    assert_eq!(batches[0]["body"]["anonymous_id"], "anon-1");
    assert_eq!(batches[0]["endpoint"], "deletion");
    let missing = server
        .post("/v1/deletion", &json!({ "anonymous_id": "anon-1" }))
        .await;
    assert_eq!(error_of(missing).await.1["field"], "requested_at");
}

#[tokio::test]
async fn gzip_bodies_are_decoded_and_counted() {
    let server = TestServer::start().await;
    let body = batch("events", "gz-1", &["g1", "g2", "g3"]);
    let compressed = gzip(&serde_json::to_vec(&body).unwrap());
    let response = server
        .post_raw(
            "/v1/events",
            compressed,
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
                ("x-batch-id", "gz-1"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["accepted"], 3);
    let batches = server.get_json("/__mock/batches").await;
    assert_eq!(batches[0]["gzip"], true);
    assert_eq!(batches[0]["batch_id"], "gz-1");
    assert_eq!(batches[0]["body"], body, "the decoded body is stored");
    let requests = server.get_json("/__mock/requests").await;
    assert_eq!(requests[0]["gzip"], true);
    assert_eq!(requests[0]["items"], 3);
}

#[tokio::test]
async fn malformed_json_is_rejected_naming_the_body() {
    let server = TestServer::start().await;
    for bad in [&b"{not json"[..], b"", b"[1,2", b"\xff\xfe{}"] {
        let (status, error) =
            error_of(server.post_raw("/v1/events", bad.to_vec(), &[]).await).await;
        assert_eq!(status, 400);
        assert_eq!(error["field"], "body");
        assert!(
            error["error"].as_str().unwrap().contains("malformed JSON"),
            "{error}"
        );
    }
    let stats = server.stats().await;
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["batches"], 0);
    assert_eq!(stats["per_status"]["400"], 4);
}

#[tokio::test]
async fn wrong_shapes_are_rejected_naming_the_field() {
    let server = TestServer::start().await;
    let cases: Vec<(&str, BreakBody)> = vec![
        ("body", Box::new(|b| *b = json!([1, 2]))),
        (
            "batch_id",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("batch_id");
            }),
        ),
        ("batch_id", Box::new(|b| b["batch_id"] = json!(""))),
        ("sent_at", Box::new(|b| b["sent_at"] = json!(12))),
        ("sdk", Box::new(|b| b["sdk"] = json!("mv3-telemetry"))),
        (
            "sdk.name",
            Box::new(|b| {
                b["sdk"].as_object_mut().unwrap().remove("name");
            }),
        ),
        ("sdk.version", Box::new(|b| b["sdk"]["version"] = json!(1))),
        (
            "anonymous_id",
            Box::new(|b| b["anonymous_id"] = Value::Null),
        ),
        ("session_id", Box::new(|b| b["session_id"] = json!(false))),
        ("context", Box::new(|b| b["context"] = json!([]))),
        ("items", Box::new(|b| b["items"] = json!({}))),
        ("items[1]", Box::new(|b| b["items"][1] = json!("item"))),
        ("items[1].id", Box::new(|b| b["items"][1]["id"] = json!(""))),
        (
            "items[0].id",
            Box::new(|b| {
                b["items"][0].as_object_mut().unwrap().remove("id");
            }),
        ),
        (
            "items[1].type",
            Box::new(|b| b["items"][1]["type"] = json!(7)),
        ),
        (
            "dropped",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("dropped");
            }),
        ),
        (
            "dropped.sampled",
            Box::new(|b| b["dropped"]["sampled"] = json!(-1)),
        ),
        (
            "dropped.queue_full",
            Box::new(|b| b["dropped"]["queue_full"] = json!(1.5)),
        ),
    ];
    for (field, break_it) in cases {
        let mut body = batch("events", "shape", &["a", "b"]);
        break_it(&mut body);
        let response = server
            .post_raw("/v1/events", serde_json::to_vec(&body).unwrap(), &[])
            .await;
        let (status, error) = error_of(response).await;
        assert_eq!(
            (status, error["field"].as_str().unwrap()),
            (400, field),
            "{error}"
        );
        assert!(!error["error"].as_str().unwrap().is_empty());
    }
    assert_eq!(server.stats().await["batches"], 0);
}

#[tokio::test]
async fn items_whose_type_does_not_match_the_endpoint_are_rejected() {
    let server = TestServer::start().await;
    let mut body = batch("errors", "mixed", &["e1", "e2"]);
    body["items"][1]["type"] = json!("event");
    let (status, error) = error_of(server.post("/v1/errors", &body).await).await;
    assert_eq!(status, 400);
    assert_eq!(error["field"], "items[1].type");
    let (status, _) = error_of(
        server
            .post("/v1/performance", &batch("events", "wrong", &["x"]))
            .await,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_batch_id_header_that_contradicts_the_body_is_rejected() {
    let server = TestServer::start().await;
    let body = serde_json::to_vec(&batch("events", "body-id", &["x"])).unwrap();
    let (status, error) = error_of(
        server
            .post_raw("/v1/events", body, &[("x-batch-id", "other-id")])
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["field"], "batch_id");
}

#[tokio::test]
async fn bodies_over_one_megabyte_are_rejected_plain_or_gzip() {
    let server = TestServer::start().await;
    let mut big = batch("events", "big", &["x"]);
    big["items"][0]["props"]["blob"] = json!("a".repeat(1024 * 1024 + 10));
    let plain = serde_json::to_vec(&big).unwrap();
    let (status, error) = error_of(server.post_raw("/v1/events", plain.clone(), &[]).await).await;
    assert_eq!((status, error["field"].as_str().unwrap()), (400, "body"));

    // Compresses to a few kilobytes but inflates past the limit.
    let compressed = gzip(&plain);
    assert!(compressed.len() < 64 * 1024);
    let (status, error) = error_of(
        server
            .post_raw("/v1/events", compressed, &[("content-encoding", "gzip")])
            .await,
    )
    .await;
    assert_eq!((status, error["field"].as_str().unwrap()), (400, "body"));

    // A gzip bomb: 16 MB of zeros in about 16 KB.
    let bomb = gzip(&vec![0u8; 16 * 1024 * 1024]);
    let (status, error) = error_of(
        server
            .post_raw("/v1/events", bomb, &[("content-encoding", "gzip")])
            .await,
    )
    .await;
    assert_eq!((status, error["field"].as_str().unwrap()), (400, "body"));
    assert_eq!(server.stats().await["batches"], 0);
}

#[tokio::test]
async fn invalid_gzip_and_unknown_encodings_are_rejected() {
    let server = TestServer::start().await;
    let (status, error) = error_of(
        server
            .post_raw(
                "/v1/events",
                b"not gzip at all".to_vec(),
                &[("content-encoding", "gzip")],
            )
            .await,
    )
    .await;
    assert_eq!((status, error["field"].as_str().unwrap()), (400, "body"));
    let body = serde_json::to_vec(&batch("events", "br", &["x"])).unwrap();
    let (status, error) = error_of(
        server
            .post_raw("/v1/events", body, &[("content-encoding", "br")])
            .await,
    )
    .await;
    assert_eq!(
        (status, error["field"].as_str().unwrap()),
        (400, "content-encoding")
    );
}

#[tokio::test]
async fn arbitrary_bodies_never_crash_the_server() {
    let server = TestServer::start().await;
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = "{\"a\":".repeat(50_000);
    let mut bodies: Vec<Vec<u8>> = vec![
        deep_array.into_bytes(),
        deep_object.into_bytes(),
        b"1e999999".to_vec(),
        b"null".to_vec(),
        b"\"just a string\"".to_vec(),
        br#"{"batch_id":"x","items":[null,{"id":{}}]}"#.to_vec(),
        br#"{"batch_id":"\ud800"}"#.to_vec(),
        vec![0u8; 4096],
    ];
    // Deterministic pseudo-random bytes, with and without a gzip header.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for length in [1usize, 7, 100, 10_000] {
        let noise: Vec<u8> = (0..length)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let mut fake_gzip = vec![0x1f, 0x8b, 0x08, 0x00];
        fake_gzip.extend_from_slice(&noise);
        bodies.push(noise);
        bodies.push(fake_gzip);
    }
    for endpoint in ["events", "errors", "performance", "feedback", "deletion"] {
        for body in &bodies {
            for encoding in ["identity", "gzip"] {
                let response = server
                    .post_raw(
                        &format!("/v1/{endpoint}"),
                        body.clone(),
                        &[("content-encoding", encoding)],
                    )
                    .await;
                assert_eq!(response.status(), 400, "{endpoint} {encoding}");
                let error: Value = response.json().await.unwrap();
                assert!(error["field"].is_string());
            }
        }
    }
    // Still serving normally afterwards.
    assert_eq!(
        server
            .post("/v1/events", &batch("events", "after", &["ok"]))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn unknown_paths_answer_404() {
    let server = TestServer::start().await;
    for path in ["/v1/unknown", "/v2/events", "/nothing", "/__mock/nothing"] {
        let response = server.post_raw(path, b"{}".to_vec(), &[]).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    let response = server
        .client
        .get(server.url("/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = server
        .client
        .get(server.url("/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        405,
        "a real endpoint read with GET is a wrong method, not a missing path"
    );
    assert_eq!(
        server.stats().await["requests"],
        0,
        "404s are not ingestion requests"
    );
}

#[tokio::test]
async fn cors_preflight_from_an_extension_origin_is_allowed() {
    let server = TestServer::start().await;
    let origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
    let response = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/v1/events"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,content-encoding,x-batch-id",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], origin);
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    for method in ["POST", "GET", "OPTIONS"] {
        assert!(methods.contains(method), "{methods}");
    }
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in ["content-type", "content-encoding", "x-batch-id"] {
        assert!(allowed.contains(header), "{allowed}");
    }
    assert_eq!(
        headers["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase(),
        "retry-after, x-sentry-rate-limits"
    );
}

#[tokio::test]
async fn cors_headers_are_echoed_for_extension_and_local_origins_only() {
    let server = TestServer::start().await;
    let body = serde_json::to_vec(&batch("events", "cors", &["c"])).unwrap();
    for (origin, allowed) in [
        ("chrome-extension://abcdefghijklmnopabcdefghijklmnop", true),
        ("http://127.0.0.1:5173", true),
        ("http://localhost", true),
        ("http://localhost.evil.example", false),
        ("https://example.com", false),
    ] {
        let response = server
            .post_raw("/v1/events", body.clone(), &[("origin", origin)])
            .await;
        assert_eq!(
            response.status(),
            200,
            "requests are served whatever the origin"
        );
        let echoed = response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(echoed.as_deref() == Some(origin), allowed, "{origin}");
        assert_eq!(echoed.is_some(), allowed, "{origin}");
    }
    // Errors carry CORS headers too, or an extension could not read why it was refused.
    let origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
    let response = server
        .post_raw("/v1/events", b"{".to_vec(), &[("origin", origin)])
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["access-control-allow-origin"], origin);
}

#[tokio::test]
async fn requests_without_an_origin_work() {
    let server = TestServer::start().await;
    let response = server
        .post("/v1/feedback", &batch("feedback", "no-origin", &["f1"]))
        .await;
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}
