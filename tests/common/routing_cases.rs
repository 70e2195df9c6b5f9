//! Several destinations at once (`docs/destinations.md`): one cursor per
//! destination in each lane, written once and run on the host
//! (`tests/engine.rs`) and in a service worker (`tests/wasm_service_worker.rs`).

use mv3_telemetry::core::backoff::Outcome;
use mv3_telemetry::core::dest::{
    Destinations, Kind, OtlpOptions, PosthogOptions, SentryDsn, SentryOptions,
};
use mv3_telemetry::core::names::CHUNK_PREFIX;
use mv3_telemetry::core::{
    Action, Consent, DropReason, Endpoint, ErrorInput, Policy, Recorded, Request, Routes,
};
use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;

use super::engine_cases::{Rig, START};

const V1: &str = "http://127.0.0.1:8787";

/// Routes to the v1 collector (if `v1`) and the named backends, with
/// their default `types`.
pub fn routes(v1: bool, kinds: &[Kind]) -> Routes {
    let has = |kind| kinds.contains(&kind);
    Routes {
        destinations: Destinations {
            endpoint: v1.then(|| V1.to_owned()),
            sentry: has(Kind::Sentry).then(|| SentryOptions {
                dsn: SentryDsn::parse("http://pub1@127.0.0.1:8787/42").unwrap(),
                types: Kind::Sentry.types(None).unwrap(),
            }),
            otlp: has(Kind::Otlp).then(|| {
                OtlpOptions::new(
                    "http://127.0.0.1:8787/otel",
                    vec![("x-api-key".into(), "k1".into())],
                    None,
                )
                .unwrap()
            }),
            posthog: has(Kind::Posthog).then(|| {
                PosthogOptions::new("phc_test", Some("http://127.0.0.1:8787"), None).unwrap()
            }),
        },
        app_name: "Demo Ext".into(),
    }
}

fn routed(v1: bool, kinds: &[Kind]) -> Rig {
    let mut rig = Rig::granted();
    rig.engine.set_routes(routes(v1, kinds));
    rig
}

fn error(rig: &mut Rig, message: &str) -> Recorded {
    let input = ErrorInput {
        kind: "TypeError",
        message,
        stack: Some("TypeError: x\n    at f (chrome-extension://abc/bg.js:1:2)"),
        context: None,
        causes: None,
    };
    rig.engine.record_error(input, rig.now, &mut rig.rng)
}

/// Every request due now, but Sentry's release-health updates (their own
/// cases below).
fn flush(rig: &mut Rig) -> Vec<Request> {
    rig.flush_now()
        .into_iter()
        .filter(|r| !(r.dest == Some(Kind::Sentry) && r.batch_id.is_empty()))
        .collect()
}

/// The `client_report` payload among an envelope's items.
fn client_report(items: &[(String, Value)]) -> &Value {
    &items
        .iter()
        .find(|(t, _)| t == "client_report")
        .expect("a client report")
        .1
}

fn to(requests: &[Request], dest: Option<Kind>) -> Vec<&Request> {
    requests.iter().filter(|r| r.dest == dest).collect()
}

fn answer_with(
    rig: &mut Rig,
    request: &Request,
    code: u16,
    limits: Option<&str>,
    body: Option<&str>,
) {
    let outcome = Outcome::Status {
        code,
        retry_after: None,
    };
    rig.engine
        .on_response(request.id, &outcome, limits, body, rig.now, &mut rig.rng);
}

/// The envelope's item headers and payloads, by item type.
fn envelope_items(request: &Request) -> Vec<(String, Value)> {
    let mut lines = request.body.lines();
    let _header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let mut out = Vec::new();
    while let Some(header) = lines.next() {
        let header: Value = serde_json::from_str(header).unwrap();
        let payload: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        out.push((header["type"].as_str().unwrap().to_owned(), payload));
    }
    out
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_item_going_to_two_destinations_is_stored_once_and_kept_until_both_have_it() {
    let mut rig = routed(true, &[Kind::Sentry]);
    error(&mut rig, "boom");
    rig.persist();
    let chunks: Vec<String> = rig.chunk_keys();
    assert_eq!(chunks.len(), 1, "one chunk for one item: {chunks:?}");
    let sends = flush(&mut rig);
    let (v1, sentry) = (to(&sends, None), to(&sends, Some(Kind::Sentry)));
    assert_eq!((v1.len(), sentry.len()), (1, 1), "{sends:?}");
    assert!(sentry[0]
        .url
        .starts_with("http://127.0.0.1:8787/api/42/envelope/?sentry_key=pub1"));
    assert_eq!(sentry[0].content_type, "application/x-sentry-envelope");
    let v1 = v1[0].clone();
    let sentry = sentry[0].clone();
    rig.answer(&v1, 200, None);
    assert_eq!(rig.chunk_keys().len(), 1, "Sentry has not got it yet");
    assert_eq!(rig.engine.stats().queued, 1);
    rig.answer(&sentry, 200, None);
    assert_eq!(rig.engine.stats().queued, 0);
    assert!(rig.chunk_keys().is_empty(), "retired once both have it");
    assert_eq!(rig.engine.stats().sent, 2, "one delivery per destination");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn one_destination_down_never_holds_back_the_others() {
    let mut rig = routed(true, &[Kind::Otlp, Kind::Posthog]);
    for round in 0..5 {
        rig.track("click", json!({ "round": round }));
        let sends = flush(&mut rig);
        for request in &sends {
            let code = if request.dest == Some(Kind::Otlp) {
                503
            } else {
                200
            };
            rig.answer(request, code, None);
        }
        assert!(
            sends.iter().any(|r| r.dest.is_none())
                && sends.iter().any(|r| r.dest == Some(Kind::Posthog)),
            "round {round}: the v1 collector and PostHog deliver: {sends:?}"
        );
        rig.now += 60_000;
    }
    // OTLP was down the whole time: it alone holds the five events. Its
    // batch kept its first item across retries; the rest follow at once.
    assert_eq!(rig.engine.stats().queued, 5);
    let mut records = 0;
    for _ in 0..2 {
        let sends = flush(&mut rig);
        let otlp = to(&sends, Some(Kind::Otlp));
        assert_eq!(otlp.len(), 1, "{sends:?}");
        assert_eq!(otlp[0].url, "http://127.0.0.1:8787/otel/v1/logs");
        assert_eq!(
            otlp[0].headers,
            vec![("x-api-key".to_owned(), "k1".to_owned())]
        );
        let body: Value = serde_json::from_str(&otlp[0].body).unwrap();
        records += body["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
            .as_array()
            .unwrap()
            .len();
        let otlp = otlp[0].clone();
        rig.answer(&otlp, 200, None);
    }
    assert_eq!(records, 5, "every event waited for OTLP");
    assert_eq!(rig.engine.stats().queued, 0);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_sentry_rate_limit_on_errors_holds_errors_back_for_its_duration_and_counts_them() {
    let mut rig = routed(true, &[Kind::Sentry]);
    error(&mut rig, "first");
    let sends = flush(&mut rig);
    let sentry = to(&sends, Some(Kind::Sentry))[0].clone();
    let v1 = to(&sends, None)[0].clone();
    rig.answer(&v1, 200, None);
    // Accepted, with a limit on errors for 60 s.
    answer_with(&mut rig, &sentry, 200, Some("60:error:organization"), None);
    assert_eq!(rig.engine.stats().sent, 2);
    for i in 0..3 {
        rig.now += 10_000;
        error(&mut rig, &format!("during the limit {i}"));
        let sends = flush(&mut rig);
        assert!(to(&sends, Some(Kind::Sentry)).is_empty(), "{sends:?}");
        for request in to(&sends, None) {
            let request = request.clone();
            rig.answer(&request, 200, None);
        }
    }
    assert_eq!(
        rig.engine.stats().dropped.get(DropReason::RateLimitBackoff),
        3
    );
    assert_eq!(rig.engine.stats().queued, 0, "dropped, not held in storage");
    rig.now = START + 61_000;
    error(&mut rig, "after the limit");
    let sends = flush(&mut rig);
    let sentry = to(&sends, Some(Kind::Sentry));
    assert_eq!(sentry.len(), 1);
    let items = envelope_items(sentry[0]);
    assert_eq!(items[0].0, "event");
    let report = client_report(&items);
    assert_eq!(
        report["discarded_events"],
        json!([{ "reason": "ratelimit_backoff", "category": "error", "quantity": 3 }])
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_sentry_429_limits_only_the_categories_it_names() {
    let mut rig = routed(false, &[Kind::Sentry]);
    error(&mut rig, "e1");
    let sentry = flush(&mut rig).remove(0);
    answer_with(&mut rig, &sentry, 429, Some("120:error"), None);
    assert_eq!(
        rig.engine.stats().dropped.get(DropReason::RateLimitBackoff),
        1
    );
    rig.now += 1_000;
    rig.engine.record_feedback(
        "bug",
        Some(2),
        Some("it broke"),
        None,
        rig.now,
        &mut rig.rng,
    );
    error(&mut rig, "e2");
    let sends = flush(&mut rig);
    assert_eq!(
        sends.len(),
        1,
        "feedback goes; the error is limited: {sends:?}"
    );
    assert_eq!(sends[0].endpoint, Endpoint::Feedback);
    assert_eq!(envelope_items(&sends[0])[0].0, "feedback");
    assert_eq!(
        rig.engine.stats().dropped.get(DropReason::RateLimitBackoff),
        2
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn types_decide_which_lanes_a_destination_reads_and_unrouted_items_are_not_kept() {
    let mut rig = routed(false, &[Kind::Sentry]);
    assert_eq!(rig.track("click", json!({})), Recorded::Accepted);
    assert_eq!(
        rig.engine.stats().queued,
        0,
        "no destination carries events"
    );
    error(&mut rig, "boom");
    assert_eq!(rig.engine.stats().queued, 1);
    let sends = flush(&mut rig);
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].dest, Some(Kind::Sentry));
    // Revoking purges every cursor; without a v1 endpoint there is no
    // deletion request to send.
    rig.engine.set_consent(false, rig.now, &mut rig.rng);
    rig.persist();
    assert!(flush(&mut rig).is_empty());
    assert_eq!(rig.engine.stats().queued, 0);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_otlp_partial_success_is_delivered_and_its_rejected_records_counted() {
    let mut rig = routed(false, &[Kind::Otlp]);
    for i in 0..4 {
        rig.track("e", json!({ "i": i }));
    }
    let otlp = flush(&mut rig).remove(0);
    answer_with(
        &mut rig,
        &otlp,
        200,
        None,
        Some(r#"{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"bad"}}"#),
    );
    let stats = rig.engine.stats();
    assert_eq!((stats.sent, stats.retries, stats.queued), (3, 0, 0));
    assert_eq!(stats.dropped.get(DropReason::Rejected), 1);
    // 400 is permanent for OTLP; 502 is retried.
    rig.track("e", json!({}));
    let otlp = flush(&mut rig).remove(0);
    answer_with(&mut rig, &otlp, 502, None, None);
    assert_eq!(rig.engine.stats().retries, 1);
    rig.now += 600_000;
    let otlp = flush(&mut rig).remove(0);
    answer_with(&mut rig, &otlp, 400, None, None);
    assert_eq!(rig.engine.stats().dropped.get(DropReason::Rejected), 2);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn timings_reach_otlp_as_exponential_histograms_and_the_v1_collector_unchanged() {
    let mut rig = routed(true, &[Kind::Otlp]);
    for ms in [1.0, 2.0, 4.0, 8.0, 1_000.0] {
        let props = json!({ "tab": "popup" }).to_string();
        rig.engine
            .record_timing("load", ms, Some(&props), rig.now, &mut rig.rng);
    }
    let sends = flush(&mut rig);
    let metrics = sends
        .iter()
        .find(|r| r.url.ends_with("/v1/metrics"))
        .expect("a metrics request");
    let body: Value = serde_json::from_str(&metrics.body).unwrap();
    let metric = &body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
    assert_eq!(metric["name"], "load");
    let point = &metric["exponentialHistogram"]["dataPoints"][0];
    assert_eq!(point["count"], "5");
    assert_eq!(point["scale"], 6);
    let total: u64 = point["positive"]["bucketCounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 5);
    let v1 = sends
        .iter()
        .find(|r| r.dest.is_none() && r.endpoint == Endpoint::Performance)
        .expect("a v1 performance batch");
    let item = &serde_json::from_str::<Value>(&v1.body).unwrap()["items"][0];
    assert_eq!(item["count"], 5);
    assert!(
        item.get("otlp").is_none(),
        "the v1 item is as documented: {item}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn each_destination_resumes_its_own_batch_after_a_restart() {
    let mut rig = routed(true, &[Kind::Sentry, Kind::Posthog]);
    error(&mut rig, "boom");
    let sends = flush(&mut rig);
    assert_eq!(sends.len(), 3, "{sends:?}");
    // PostHog delivers; the worker dies before the other two answer.
    let posthog = to(&sends, Some(Kind::Posthog))[0].clone();
    rig.answer(&posthog, 200, None);
    let v1_batch = to(&sends, None)[0].batch_id.clone();
    let sentry_body = to(&sends, Some(Kind::Sentry))[0].body.clone();
    rig.restart(Consent::Pending);
    rig.engine
        .set_routes(routes(true, &[Kind::Sentry, Kind::Posthog]));
    let again = flush(&mut rig);
    assert_eq!(again.len(), 2, "PostHog already has it: {again:?}");
    assert_eq!(to(&again, None)[0].batch_id, v1_batch, "same v1 batch id");
    let event_id = |body: &str| -> Value {
        serde_json::from_str::<Value>(body.lines().next().unwrap()).unwrap()["event_id"].clone()
    };
    assert_eq!(
        event_id(&to(&again, Some(Kind::Sentry))[0].body),
        event_id(&sentry_body)
    );
    for request in &again {
        rig.answer(request, 200, None);
    }
    assert_eq!(rig.engine.stats().queued, 0);
    assert!(rig.chunk_keys().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_destination_added_later_gets_new_items_and_one_removed_releases_its_items() {
    let mut rig = routed(true, &[]);
    rig.track("before", json!({}));
    rig.persist();
    rig.restart(Consent::Pending);
    rig.engine.set_routes(routes(true, &[Kind::Posthog]));
    rig.track("after", json!({}));
    let sends = flush(&mut rig);
    let posthog = to(&sends, Some(Kind::Posthog));
    let body: Value = serde_json::from_str(&posthog[0].body).unwrap();
    let names: Vec<&str> = body["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["after"],
        "only what was recorded after it was added"
    );
    // PostHog is configured away before it answered: the items it held
    // leave once the v1 collector has them.
    rig.restart(Consent::Pending);
    rig.engine.set_routes(routes(true, &[]));
    for request in flush(&mut rig) {
        rig.answer(&request, 200, None);
    }
    assert_eq!(rig.engine.stats().queued, 0);
    assert!(rig.chunk_keys().is_empty());
    assert!(rig.storage.keys().all(|k| !k.starts_with(CHUNK_PREFIX)));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn the_cap_counts_an_evicted_item_once_per_destination_that_still_needed_it() {
    let policy = mv3_telemetry::core::Policy {
        max_queued_items: 10,
        ..Default::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    rig.engine.set_routes(routes(true, &[Kind::Posthog]));
    for i in 0..10 {
        rig.track("e", json!({ "i": i }));
    }
    // The v1 collector takes all ten; PostHog is down.
    for request in flush(&mut rig) {
        let code = if request.dest.is_none() { 200 } else { 503 };
        rig.answer(&request, code, None);
    }
    assert_eq!(rig.engine.stats().queued, 10, "PostHog still needs them");
    rig.now += 1_000;
    for i in 0..5 {
        rig.track("more", json!({ "i": i }));
    }
    let stats = rig.engine.stats();
    assert_eq!(stats.queued, 10);
    assert_eq!(
        stats.dropped.get(DropReason::QueueFull),
        5,
        "five oldest lost for PostHog only (the v1 collector had them)"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn errors_dropped_by_before_send_reach_sentrys_client_report() {
    use mv3_telemetry::core::engine::HookVerdict;
    let mut rig = routed(false, &[Kind::Sentry]);
    rig.engine.set_before_send(Box::new(|item: &str| {
        if item.contains("secret plan") {
            HookVerdict::Drop
        } else {
            HookVerdict::Keep
        }
    }));
    error(&mut rig, "the secret plan failed");
    error(&mut rig, "the secret plan failed again");
    rig.now += 1_000;
    error(&mut rig, "a plain failure");
    let sends = flush(&mut rig);
    assert_eq!(sends.len(), 1);
    let items = envelope_items(&sends[0]);
    let report = client_report(&items);
    assert_eq!(
        report["discarded_events"],
        json!([{ "reason": "before_send", "category": "error", "quantity": 2 }])
    );
}

/// The `session` payloads of a request, in order.
fn sessions(request: &Request) -> Vec<Value> {
    envelope_items(request)
        .into_iter()
        .filter(|(t, _)| t == "session")
        .map(|(_, p)| p)
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
pub fn sentry_gets_release_health_sessions_ok_errored_crashed_and_exited() {
    let mut rig = routed(false, &[Kind::Sentry]);
    rig.track("open", json!({}));
    let sends = rig.flush_now();
    assert_eq!(sends.len(), 1, "only the session update: {sends:?}");
    let first = sessions(&sends[0]);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["init"], true);
    assert_eq!(first[0]["status"], "ok");
    assert_eq!(first[0]["errors"], 0);
    assert_eq!(first[0]["did"], rig.engine.anonymous_id().unwrap());
    assert_eq!(first[0]["attrs"]["release"], "Demo Ext@1.0.2");
    let sid = first[0]["sid"].clone();
    let request = sends[0].clone();
    rig.answer(&request, 200, None);
    assert!(rig.flush_now().is_empty(), "nothing more is owed");

    // A handled error: still ok, with one error.
    rig.now += 1_000;
    error(&mut rig, "handled");
    let sends = rig.flush_now();
    let update = sends
        .iter()
        .flat_map(sessions)
        .next()
        .expect("an update after the error");
    assert_eq!(
        (
            update["sid"].clone(),
            update["status"].clone(),
            update["errors"].clone()
        ),
        (sid.clone(), json!("ok"), json!(1))
    );
    assert!(
        update.get("init").is_none(),
        "init only until Sentry has it"
    );
    for request in &sends {
        rig.answer(request, 200, None);
    }

    // An uncaught error crashes the session.
    rig.now += 1_000;
    let input = ErrorInput {
        kind: "Error",
        message: "uncaught",
        stack: None,
        context: Some(r#"{"mechanism":"onerror"}"#),
        causes: None,
    };
    rig.engine.record_error(input, rig.now, &mut rig.rng);
    let sends = rig.flush_now();
    let update = sends.iter().flat_map(sessions).next().unwrap();
    assert_eq!(
        (update["status"].clone(), update["errors"].clone()),
        (json!("crashed"), json!(2))
    );
    for request in &sends {
        rig.answer(request, 200, None);
    }

    // After 30 idle minutes a new session starts; the old one is sent as
    // ended (crashed stays crashed), the new one with init.
    rig.now += 31 * 60_000;
    rig.track("back", json!({}));
    let sends = rig.flush_now();
    let updates: Vec<Value> = sends.iter().flat_map(sessions).collect();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert_eq!(
        (updates[0]["sid"].clone(), updates[0]["status"].clone()),
        (sid, json!("crashed"))
    );
    assert_eq!(
        (updates[1]["status"].clone(), updates[1]["init"].clone()),
        (json!("ok"), json!(true))
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_sentry_rate_limit_on_sessions_holds_session_updates_back_and_counts_them() {
    let mut rig = routed(false, &[Kind::Sentry]);
    rig.track("open", json!({}));
    let first = rig.flush_now().remove(0);
    assert_eq!(sessions(&first).len(), 1);
    // Accepted, with a limit on sessions (not errors) for 60 s; it survives a restart.
    answer_with(&mut rig, &first, 200, Some("60:session:organization"), None);
    rig.persist();
    rig.restart(Consent::Pending);
    rig.engine.set_routes(routes(false, &[Kind::Sentry]));

    rig.now += 10_000;
    error(&mut rig, "during the limit");
    let sends = rig.flush_now();
    let items: Vec<(String, Value)> = sends.iter().flat_map(envelope_items).collect();
    assert!(
        items.iter().all(|(t, _)| t != "session"),
        "no session update while `session` is limited: {items:?}"
    );
    assert!(
        items.iter().any(|(t, _)| t == "event"),
        "errors are not limited"
    );
    assert_eq!(
        client_report(&items)["discarded_events"],
        json!([{ "reason": "ratelimit_backoff", "category": "session", "quantity": 1 }])
    );
    for request in &sends {
        answer_with(&mut rig, request, 200, None, None);
    }
    assert!(
        rig.flush_now().is_empty(),
        "counted once, nothing else owed"
    );

    // After the limit, the next change sends the session's whole state.
    rig.now = START + 61_000;
    error(&mut rig, "after the limit");
    let updates: Vec<Value> = rig.flush_now().iter().flat_map(sessions).collect();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(
        (updates[0]["status"].clone(), updates[0]["errors"].clone()),
        (json!("ok"), json!(2))
    );
    assert!(
        updates[0].get("init").is_none(),
        "Sentry had the first update"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_all_categories_rate_limit_holds_session_updates_back_too() {
    let mut rig = routed(false, &[Kind::Sentry]);
    rig.track("open", json!({}));
    let first = rig.flush_now().remove(0);
    // An empty category list limits every category.
    answer_with(&mut rig, &first, 200, Some("60::organization"), None);
    rig.now += 1_000;
    let input = ErrorInput {
        kind: "Error",
        message: "uncaught",
        stack: None,
        context: Some(r#"{"mechanism":"onerror"}"#),
        causes: None,
    };
    rig.engine.record_error(input, rig.now, &mut rig.rng);
    let items: Vec<(String, Value)> = rig.flush_now().iter().flat_map(envelope_items).collect();
    assert!(
        items.iter().all(|(t, _)| t != "session" && t != "event"),
        "{items:?}"
    );
    // One report per category, errors' and sessions'.
    let discarded: Vec<Value> = items
        .iter()
        .filter(|(t, _)| t == "client_report")
        .flat_map(|(_, p)| p["discarded_events"].as_array().unwrap().clone())
        .collect();
    for category in ["error", "session"] {
        let expected =
            json!({ "reason": "ratelimit_backoff", "category": category, "quantity": 1 });
        assert!(discarded.contains(&expected), "{discarded:?}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_owed_session_update_survives_a_restart_and_a_failed_attempt() {
    let mut rig = routed(false, &[Kind::Sentry]);
    rig.track("open", json!({}));
    let request = rig.flush_now().remove(0);
    rig.answer(&request, 503, None);
    rig.restart(Consent::Pending);
    rig.engine.set_routes(routes(false, &[Kind::Sentry]));
    rig.now += 600_000;
    let sends = rig.flush_now();
    let updates: Vec<Value> = sends.iter().flat_map(sessions).collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["init"], true);
    let request = sends[0].clone();
    rig.answer(&request, 200, None);
    assert!(rig.flush_now().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
pub fn drops_with_no_envelope_to_ride_on_reach_sentry_once_after_a_flush_interval() {
    use mv3_telemetry::core::engine::HookVerdict;
    let mut rig = routed(false, &[Kind::Sentry]);
    rig.engine
        .set_before_send(Box::new(|_: &str| HookVerdict::Drop));
    for i in 0..3 {
        error(&mut rig, &format!("dropped {i}"));
    }
    // The session's first update goes soon; the drops wait a flush interval
    // unless something goes before.
    let updates: Vec<Request> = rig.drain_sends();
    for request in &updates {
        rig.answer(request, 200, None);
    }
    let reports = |requests: &[Request]| -> Vec<Value> {
        requests
            .iter()
            .flat_map(envelope_items)
            .filter(|(t, _)| t == "client_report")
            .map(|(_, p)| p)
            .collect()
    };
    let early = reports(&updates);
    rig.now += 30_000;
    let sends = rig.drain_sends();
    let late = reports(&sends);
    let all: Vec<Value> = early.into_iter().chain(late).collect();
    assert_eq!(all.len(), 1, "one report for the burst: {all:?}");
    assert_eq!(
        all[0]["discarded_events"],
        json!([{ "reason": "before_send", "category": "error", "quantity": 3 }])
    );
    for request in &sends {
        rig.answer(request, 200, None);
    }
    rig.now += 60_000;
    assert!(reports(&rig.drain_sends()).is_empty(), "reported once");
}

/// Polls `rig` until it waits: every request answered at once, the v1
/// collector with `v1_code`, the other destinations with 200. Returns what
/// was sent (endpoint, destination, items) and the wake time answered.
fn poll_and_answer(
    rig: &mut Rig,
    v1_code: u16,
    sent: &mut Vec<(u64, Endpoint, Option<Kind>, usize)>,
) -> Option<u64> {
    for _ in 0..1_000 {
        match rig.poll() {
            Action::Send(request) => {
                sent.push((rig.now, request.endpoint, request.dest, request.item_count));
                let code = if request.dest.is_none() { v1_code } else { 200 };
                rig.answer(&request, code, None);
            }
            Action::WaitUntil(at) => return Some(at),
            _ => return None,
        }
    }
    panic!("poll never settled");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_record_while_every_batch_of_its_lane_waits_asks_for_no_poll() {
    let mut rig = Rig::granted();
    for i in 0..50 {
        rig.track("e", json!({ "i": i }));
    }
    let first = rig.drain_sends();
    assert_eq!(first.len(), 1);
    rig.track("while in flight", json!({}));
    assert!(!rig.engine.poll_needed(), "its batch is in flight");
    rig.answer(&first[0], 503, None);
    let Action::WaitUntil(retry_at) = rig.poll() else {
        panic!("the batch waits for its retry")
    };
    for i in 0..100 {
        rig.track("collector down", json!({ "i": i }));
        assert!(!rig.engine.poll_needed(), "its batch waits for its retry");
    }
    match rig.poll() {
        Action::WaitUntil(at) => assert_eq!(at, retry_at, "the answer poll would give is the same"),
        other => panic!("{other:?}"),
    }
    // At the cap, each record evicts the oldest item: the lane stays full.
    for i in 0..2_000 {
        rig.track("at the cap", json!({ "i": i }));
        assert!(!rig.engine.poll_needed(), "the lane stays full at the cap");
    }
    assert_eq!(rig.engine.stats().queued, 1_000);
    // A second destination on the lane has no batch: filling the lane for it
    // still asks for a poll.
    let mut rig = routed(true, &[Kind::Otlp]);
    for i in 0..50 {
        rig.track("e", json!({ "i": i }));
    }
    let sent = rig.drain_sends();
    assert_eq!(sent.len(), 2);
    let v1 = sent.iter().find(|r| r.dest.is_none()).expect("v1 batch");
    let otlp = sent
        .iter()
        .find(|r| r.dest == Some(Kind::Otlp))
        .expect("otlp batch");
    rig.answer(v1, 503, None);
    rig.answer(otlp, 200, None);
    rig.poll();
    for i in 0..49 {
        rig.track("more", json!({ "i": i }));
    }
    rig.poll();
    rig.track("the fiftieth", json!({}));
    assert!(rig.engine.poll_needed(), "the OTLP cursor's batch is full");
}

/// Records one event every 250 ms for 150 s on two engines routed to the
/// v1 collector and OTLP, answering every request at once: the v1 collector
/// with 503 for the first half (its batches wait for their retries), OTLP
/// with 200. One engine is polled after every record; the other the way the
/// wasm runtime polls it: after a record only when `poll_needed` says so,
/// and when the wake time of its last poll has come. Both must send the
/// same requests at the same times.
fn assert_polling_when_asked_sends_the_same(policy: Policy) {
    let routed = || {
        let mut rig = Rig::with_policy(policy.clone(), Consent::Granted);
        rig.engine.set_routes(routes(true, &[Kind::Otlp]));
        rig
    };
    let (mut always, mut gated) = (routed(), routed());
    let (mut sent_always, mut sent_gated) = (Vec::new(), Vec::new());
    let mut wake = None;
    for step in 0..600u64 {
        let now = START + step * 250;
        let v1_code = if step < 300 { 503 } else { 200 };
        always.now = now;
        always.track("e", json!({ "i": step }));
        poll_and_answer(&mut always, v1_code, &mut sent_always);
        gated.now = now;
        gated.track("e", json!({ "i": step }));
        if gated.engine.poll_needed() || wake.is_some_and(|at| at <= now) {
            wake = poll_and_answer(&mut gated, v1_code, &mut sent_gated);
        }
    }
    assert!(sent_always.len() > 20, "{} requests", sent_always.len());
    assert_eq!(sent_gated, sent_always);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn polling_when_a_record_asks_sends_what_polling_after_every_record_sends() {
    // Batches full by count, by bytes, and a queue held at its cap.
    assert_polling_when_asked_sends_the_same(Policy::default());
    assert_polling_when_asked_sends_the_same(Policy {
        batch_max_bytes: 4_096,
        ..Policy::default()
    });
    assert_polling_when_asked_sends_the_same(Policy {
        max_queued_items: 120,
        ..Policy::default()
    });
}
