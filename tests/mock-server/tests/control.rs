//! Control API: faults, stats and duplicates, listings, reset, record file, bounds, page.

mod common;

use std::time::{Duration, Instant};

use common::{batch, deletion, TestServer};
use mock_server::Config;
use serde_json::{json, Value};

#[tokio::test]
async fn a_status_fault_answers_that_status_with_retry_after_and_records_no_batch() {
    let server = TestServer::start().await;
    server
        .add_faults(json!({ "status": 429, "retry_after": 7 }))
        .await;
    let response = server
        .post("/v1/events", &batch("events", "f-1", &["a"]))
        .await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");

    server
        .add_faults(json!({ "retry_after": "Wed, 21 Oct 2026 07:28:00 GMT" }))
        .await;
    let response = server
        .post("/v1/events", &batch("events", "f-1", &["a"]))
        .await;
    assert_eq!(response.status(), 503, "503 is the default status");
    assert_eq!(
        response.headers()["retry-after"],
        "Wed, 21 Oct 2026 07:28:00 GMT"
    );

    let response = server
        .post("/v1/events", &batch("events", "f-1", &["a"]))
        .await;
    assert_eq!(response.status(), 200, "faults are used up");

    let stats = server.stats().await;
    assert_eq!(stats["requests"], 3);
    assert_eq!(stats["batches"], 1);
    assert_eq!(stats["per_status"], json!({ "200": 1, "429": 1, "503": 1 }));
    assert_eq!(
        stats["duplicate_batch_ids"], 0,
        "faulted attempts are not batches"
    );
    let requests = server.get_json("/__mock/requests").await;
    let statuses: Vec<&Value> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, [&json!(429), &json!(503), &json!(200)]);
    assert!(requests
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["batch_id"] == "f-1" && r["items"] == 1));
}

#[tokio::test]
async fn faults_are_consumed_in_order_and_count_requests() {
    let server = TestServer::start().await;
    server
        .add_faults(json!([{ "status": 500, "count": 2 }, { "status": 408 }]))
        .await;
    let listed = server.get_json("/__mock/faults").await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["count"], 2);
    let mut statuses = Vec::new();
    for n in 0..4 {
        let response = server
            .post(
                "/v1/errors",
                &batch("errors", &format!("b{n}"), &[&format!("e{n}")]),
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [500, 500, 408, 200]);
    assert_eq!(server.get_json("/__mock/faults").await, json!([]));
}

#[tokio::test]
async fn a_fault_scoped_to_an_endpoint_leaves_the_others_alone() {
    let server = TestServer::start().await;
    server
        .add_faults(json!({ "status": 502, "endpoint": "errors" }))
        .await;
    assert_eq!(
        server
            .post("/v1/events", &batch("events", "e", &["1"]))
            .await
            .status(),
        200
    );
    assert_eq!(
        server
            .post("/v1/errors", &batch("errors", "r", &["2"]))
            .await
            .status(),
        502
    );
    assert_eq!(
        server
            .post("/v1/errors", &batch("errors", "r", &["2"]))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_delay_without_status_waits_then_accepts_the_batch() {
    let server = TestServer::start().await;
    server.add_faults(json!({ "delay_ms": 300 })).await;
    let started = Instant::now();
    let response = server
        .post("/v1/performance", &batch("performance", "slow", &["t1"]))
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), 200);
    assert_eq!(server.stats().await["batches"], 1);

    server
        .add_faults(json!({ "delay_ms": 200, "status": 504 }))
        .await;
    let started = Instant::now();
    let response = server
        .post("/v1/performance", &batch("performance", "slow-2", &["t2"]))
        .await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(response.status(), 504);
}

#[tokio::test]
async fn a_delayed_request_keeps_its_arrival_order_in_the_listings() {
    let server = TestServer::start().await;
    server.add_faults(json!({ "delay_ms": 300 })).await;
    let first = batch("events", "first", &["1"]);
    let slow = server.post("/v1/events", &first);
    let fast = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server
            .post("/v1/events", &batch("events", "second", &["2"]))
            .await
    };
    let (slow, fast) = tokio::join!(slow, fast);
    assert_eq!((slow.status().as_u16(), fast.status().as_u16()), (200, 200));
    let batches = server.get_json("/__mock/batches").await;
    let ids: Vec<&Value> = batches
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["batch_id"])
        .collect();
    assert_eq!(ids, [&json!("first"), &json!("second")]);
}

#[tokio::test]
async fn a_dropped_connection_reads_the_body_then_closes_without_an_answer() {
    let server = TestServer::start().await;
    server.add_faults(json!({ "drop_connection": true })).await;
    let body = batch("events", "dropped", &["d1", "d2", "d3"]);
    let result = server
        .client
        .post(server.url("/v1/events"))
        .header("x-batch-id", "dropped")
        .json(&body)
        .send()
        .await;
    let error = result.expect_err("the client must see a connection error, not a response");
    assert!(
        !error.is_timeout(),
        "closed at once, not left hanging: {error}"
    );

    let requests = server.get_json("/__mock/requests").await;
    assert_eq!(requests[0]["status"], Value::Null);
    assert_eq!(requests[0]["items"], 3, "the whole body was read");
    assert_eq!(requests[0]["batch_id"], "dropped");
    let stats = server.stats().await;
    assert_eq!(stats["requests"], 1);
    assert_eq!(stats["per_status"], json!({}), "no status was sent");

    // The server is still fine for the next request.
    assert_eq!(
        server
            .post("/v1/events", &batch("events", "next", &["n1"]))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_retry_after_a_dropped_connection_is_counted_as_a_duplicate() {
    let server = TestServer::start().await;
    server.add_faults(json!({ "drop_connection": true })).await;
    let body = batch("events", "retried", &["r1", "r2"]);
    assert!(server
        .client
        .post(server.url("/v1/events"))
        .json(&body)
        .send()
        .await
        .is_err());
    // Like an SDK whose answer was lost: same batch, same ids.
    assert_eq!(server.post("/v1/events", &body).await.status(), 200);

    let stats = server.stats().await;
    assert_eq!(
        stats["batches"], 2,
        "the collector kept the first copy before the socket dropped"
    );
    assert_eq!(stats["items"], 4);
    assert_eq!(stats["unique_items"], 2);
    assert_eq!(stats["duplicate_item_ids"], 2);
    assert_eq!(stats["duplicate_batch_ids"], 1);
}

#[tokio::test]
async fn invalid_fault_specs_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    for (spec, field) in [
        (json!({ "status": 42 }), "status"),
        (json!({ "count": -1 }), "count"),
        (json!({ "retryAfter": 1 }), "retryAfter"),
        (json!({ "endpoint": "metrics" }), "endpoint"),
        (
            json!([{ "status": 503 }, { "drop_connection": "yes" }]),
            "[1].drop_connection",
        ),
        (json!("503"), "body"),
    ] {
        let response = server
            .client
            .post(server.url("/__mock/faults"))
            .json(&spec)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{spec}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["field"],
            field,
            "{spec}"
        );
    }
    assert_eq!(
        server.get_json("/__mock/faults").await,
        json!([]),
        "a refused list adds nothing"
    );
}

#[tokio::test]
async fn duplicate_item_and_batch_ids_are_counted_across_endpoints() {
    let server = TestServer::start().await;
    server
        .post("/v1/events", &batch("events", "b1", &["i1", "i2", "i2"]))
        .await;
    server
        .post("/v1/events", &batch("events", "b1", &["i1", "i3"]))
        .await;
    server
        .post("/v1/errors", &batch("errors", "b2", &["i3", "i4"]))
        .await;
    let stats = server.stats().await;
    assert_eq!(stats["items"], 7);
    assert_eq!(stats["unique_items"], 4);
    assert_eq!(stats["duplicate_item_ids"], 3);
    assert_eq!(stats["duplicate_batch_ids"], 1);
    assert_eq!(stats["per_endpoint"]["events"]["unique_items"], 3);
    assert_eq!(stats["per_endpoint"]["errors"]["unique_items"], 1);
}

#[tokio::test]
async fn stats_have_the_documented_shape_with_the_five_v1_endpoints_and_the_four_receivers() {
    let server = TestServer::start().await;
    server
        .post("/v1/feedback", &batch("feedback", "fb", &["f"]))
        .await;
    server.post_raw("/v1/feedback", b"oops".to_vec(), &[]).await;
    let stats = server.stats().await;
    let zero = json!({ "requests": 0, "batches": 0, "items": 0, "unique_items": 0 });
    assert_eq!(
        stats,
        json!({
            "requests": 2, "batches": 1, "items": 1, "unique_items": 1,
            "duplicate_item_ids": 0, "duplicate_batch_ids": 0,
            "per_endpoint": {
                "events": zero, "errors": zero, "performance": zero,
                "feedback": { "requests": 2, "batches": 1, "items": 1, "unique_items": 1 },
                "deletion": zero,
                "sentry": zero, "otlp_logs": zero, "otlp_metrics": zero, "posthog": zero
            },
            "per_status": { "200": 1, "400": 1 }
        })
    );
}

#[tokio::test]
async fn listings_are_in_arrival_order_and_filter_by_endpoint() {
    let server = TestServer::start().await;
    server
        .post("/v1/events", &batch("events", "e1", &["1"]))
        .await;
    server
        .post("/v1/errors", &batch("errors", "r1", &["2"]))
        .await;
    server
        .post_raw("/v1/errors", b"{".to_vec(), &[("x-batch-id", "broken")])
        .await;
    server.post("/v1/deletion", &deletion("anon")).await;
    server
        .post("/v1/events", &batch("events", "e2", &["3"]))
        .await;

    let all = server.get_json("/__mock/batches").await;
    let ids: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["batch_id"])
        .collect();
    assert_eq!(
        ids,
        [&json!("e1"), &json!("r1"), &Value::Null, &json!("e2")]
    );
    let seqs: Vec<u64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]));
    let first = &all[0];
    for key in [
        "seq",
        "endpoint",
        "received_at_ms",
        "batch_id",
        "gzip",
        "body",
    ] {
        assert!(first.get(key).is_some(), "batch entries have {key}");
    }
    assert!(first["received_at_ms"].as_u64().unwrap() > 1_700_000_000_000);

    let events = server.get_json("/__mock/batches?endpoint=events").await;
    assert_eq!(events.as_array().unwrap().len(), 2);
    let latest = server.get_json("/__mock/batches?limit=1").await;
    assert_eq!(latest[0]["batch_id"], "e2");

    let requests = server.get_json("/__mock/requests?endpoint=errors").await;
    assert_eq!(requests.as_array().unwrap().len(), 2);
    assert_eq!(requests[1]["status"], 400);
    assert_eq!(
        requests[1]["batch_id"], "broken",
        "the header names a batch whose body is unreadable"
    );
    assert_eq!(requests[1]["items"], 0);
    for key in [
        "seq",
        "endpoint",
        "received_at_ms",
        "status",
        "batch_id",
        "gzip",
        "items",
    ] {
        assert!(requests[0].get(key).is_some(), "request entries have {key}");
    }
    let response = server
        .client
        .get(server.url("/__mock/batches?endpoint=metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn reset_clears_batches_requests_stats_seen_ids_and_faults() {
    let server = TestServer::start().await;
    server
        .post("/v1/events", &batch("events", "b", &["i"]))
        .await;
    server
        .add_faults(json!({ "status": 500, "count": 5 }))
        .await;
    let response = server
        .client
        .post(server.url("/__mock/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.get_json("/__mock/batches").await, json!([]));
    assert_eq!(server.get_json("/__mock/requests").await, json!([]));
    assert_eq!(server.get_json("/__mock/faults").await, json!([]));
    assert_eq!(server.stats().await["requests"], 0);
    // Seen ids are forgotten too: the same batch is not a duplicate any more.
    assert_eq!(
        server
            .post("/v1/events", &batch("events", "b", &["i"]))
            .await
            .status(),
        200
    );
    let stats = server.stats().await;
    assert_eq!(
        (
            stats["duplicate_item_ids"].as_u64(),
            stats["duplicate_batch_ids"].as_u64()
        ),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn the_record_file_gets_one_json_line_per_accepted_batch() {
    let path =
        std::env::temp_dir().join(format!("mock-server-record-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = TestServer::start_with(Config {
        record: Some(path.clone()),
        ..Config::default()
    })
    .await;
    server
        .post("/v1/events", &batch("events", "rec-1", &["1", "2"]))
        .await;
    server
        .post_raw("/v1/events", b"not json".to_vec(), &[])
        .await;
    server.add_faults(json!({ "status": 503 })).await;
    server
        .post("/v1/events", &batch("events", "rec-faulted", &["3"]))
        .await;
    server.post("/v1/deletion", &deletion("anon-r")).await;

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["batch_id"], "rec-1");
    assert_eq!(lines[0]["body"]["items"][1]["id"], "2");
    assert_eq!(lines[1]["endpoint"], "deletion");
    assert_eq!(lines[1]["body"]["anonymous_id"], "anon-r");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn stored_batches_are_bounded_and_the_oldest_are_dropped() {
    let server = TestServer::start_with(Config {
        max_batches: 5,
        max_requests: 7,
        ..Config::default()
    })
    .await;
    for n in 0..20 {
        server
            .post(
                "/v1/events",
                &batch("events", &format!("bound-{n}"), &[&format!("id-{n}")]),
            )
            .await;
    }
    let batches = server.get_json("/__mock/batches").await;
    let ids: Vec<&str> = batches
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["batch_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["bound-15", "bound-16", "bound-17", "bound-18", "bound-19"]
    );
    assert_eq!(
        server
            .get_json("/__mock/requests")
            .await
            .as_array()
            .unwrap()
            .len(),
        7
    );
    let stats = server.stats().await;
    assert_eq!(
        (stats["batches"].as_u64(), stats["items"].as_u64()),
        (Some(20), Some(20)),
        "counters keep counting"
    );
    let info = server.get_json("/__mock/info").await;
    assert_eq!(info["stored_batches"], 5);
    assert_eq!(info["evicted_batches"], 15);
}

#[tokio::test]
async fn stored_bytes_are_bounded_too() {
    let server = TestServer::start_with(Config {
        max_stored_bytes: 20_000,
        ..Config::default()
    })
    .await;
    for n in 0..10 {
        let mut body = batch("events", &format!("big-{n}"), &[&format!("id-{n}")]);
        body["items"][0]["props"]["blob"] = json!("x".repeat(5_000));
        server.post("/v1/events", &body).await;
    }
    let info = server.get_json("/__mock/info").await;
    assert!(info["stored_bytes"].as_u64().unwrap() <= 20_000, "{info}");
    assert!(info["stored_batches"].as_u64().unwrap() >= 1);
    assert_eq!(server.stats().await["batches"], 10);
}

#[tokio::test]
async fn seen_id_sets_are_bounded() {
    let server = TestServer::start_with(Config {
        max_seen_ids: 3,
        ..Config::default()
    })
    .await;
    server
        .post(
            "/v1/events",
            &batch("events", "s1", &["a", "b", "c", "d", "e"]),
        )
        .await;
    let info = server.get_json("/__mock/info").await;
    assert_eq!(info["seen_item_ids"], 3);
    // "e" is still remembered, "a" was forgotten to stay within the bound.
    server
        .post("/v1/events", &batch("events", "s2", &["e", "a"]))
        .await;
    assert_eq!(server.stats().await["duplicate_item_ids"], 1);
}

#[tokio::test]
async fn the_live_page_is_self_contained_html_that_polls_the_control_api() {
    let server = TestServer::start().await;
    let response = server.client.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    for needle in [
        "/__mock/stats",
        "/__mock/batches",
        "setTimeout(refresh, 1000)",
        "duplicate item ids",
        "Latest errors",
    ] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    for external in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "@import",
    ] {
        assert!(
            !html.contains(external),
            "page loads an external asset: {external}"
        );
    }
    assert!(
        !html.contains("innerHTML"),
        "received text must never be inserted as markup"
    );
}
