//! The destinations on the host: `cargo test --test destinations`. Options
//! and responses are shared cases (`tests/common/dest_cases.rs`); the
//! encoders' bodies are parsed here by Sentry's and OpenTelemetry's own
//! types (host-only dev-dependencies) and their values compared.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/dest_cases.rs"]
mod dest_cases;

use dest_cases::NOW;
use mv3_telemetry::core::dest::{otlp, posthog, sentry, Kind, Meta, PosthogOptions};
use mv3_telemetry::core::json::{self, Json};
use mv3_telemetry::core::sketch::Sketch;
use mv3_telemetry::core::stack::Frame;
use mv3_telemetry::core::wire::items::{error_json, event_json, feedback_json, push_causes, Cause};
use mv3_telemetry::core::{Context, DropReason};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric;
use sentry_types::protocol::v7::{Envelope, EnvelopeItem};
use serde_json::{json, Value};

const ANON: &str = "6f1c2b9e-0d1a-4c3b-8e7f-112233445566";
const ERROR_ID: &str = "fc6d8c0c-43fc-4630-ad85-0ee518f1b9d0";
const RECORDED: u64 = NOW - 5_000;

fn context() -> Context {
    Context {
        app_version: "1.2.3".into(),
        environment: "staging".into(),
        browser: "Chrome 156".into(),
        os: "linux".into(),
        locale: "en-US".into(),
    }
}

fn meta(context: &Context) -> Meta<'_> {
    Meta {
        app_name: "My Ext",
        context,
        anonymous_id: ANON,
        now: NOW,
    }
}

fn frame(function: &str, file: &str, line: u32, column: u32) -> Frame {
    Frame {
        function: (!function.is_empty()).then(|| function.to_owned()),
        file: Some(file.to_owned()),
        line: Some(line),
        column: Some(column),
    }
}

/// A stored error item as sent (the engine appends `count` at send time).
fn error_item(mechanism: Option<&str>, count: u64) -> String {
    let context = match mechanism {
        Some(m) => Json::Object(vec![("mechanism".into(), Json::String(m.into()))]),
        None => Json::Object(vec![("tab".into(), Json::String("popup".into()))]),
    };
    let crumbs = [("opened_popup".to_owned(), RECORDED - 1_500)];
    let stored = error_json(
        ERROR_ID,
        RECORDED,
        "TypeError",
        "x is undefined",
        // V8's order: the throw site first.
        &[
            frame("inner", "/background.js", 20, 7),
            frame("outer", "/lib/queue.js", 10, 5),
            frame("", "native", 1, 1),
        ],
        "0123456789abcdef0123456789abcdef",
        &json::to_string(&context),
        &crumbs,
    );
    stored.strip_suffix('}').unwrap().to_owned() + ",\"count\":" + &count.to_string() + "}"
}

/// Envelope lines: header, then (item header, payload) pairs, parsed by
/// serde_json (which fails on a payload cut at a newline of its own).
fn envelope_lines(text: &str) -> (Value, Vec<(Value, Value)>) {
    let mut lines = text.lines();
    let header = serde_json::from_str(lines.next().unwrap()).unwrap();
    let mut items = Vec::new();
    while let Some(item_header) = lines.next() {
        let item_header: Value = serde_json::from_str(item_header).unwrap();
        let payload = lines.next().unwrap();
        // No `length`: Sentry then reads the payload up to the next newline,
        // so the payload must be one line (`lines()` split it at the first).
        assert_eq!(item_header.get("length"), None, "implicit length");
        assert!(!payload.contains('\r'), "one line: {payload}");
        items.push((item_header, serde_json::from_str(payload).unwrap()));
    }
    (header, items)
}

#[test]
fn an_error_becomes_a_sentry_event_that_sentry_types_parses_with_the_values_sentry_needs() {
    let context = context();
    let mut body = String::new();
    let drops = [
        (DropReason::QueueFull, "error", 2),
        (DropReason::BeforeSend, "error", 1),
    ];
    assert!(sentry::envelope(
        &meta(&context),
        &error_item(Some("onerror"), 3),
        &drops,
        &mut body
    ));
    let envelope = Envelope::from_slice(body.as_bytes()).expect("sentry-types parses the envelope");
    let items: Vec<_> = envelope.items().collect();
    assert_eq!(items.len(), 2, "the event and the client report");
    let EnvelopeItem::Event(event) = items[0] else {
        panic!("first item is an event: {:?}", items[0])
    };
    assert_eq!(
        event.event_id.simple().to_string(),
        "fc6d8c0c43fc4630ad850ee518f1b9d0"
    );
    assert_eq!(
        envelope.uuid().map(|u| u.simple().to_string()).as_deref(),
        Some("fc6d8c0c43fc4630ad850ee518f1b9d0")
    );
    assert_eq!(event.release.as_deref(), Some("My Ext@1.2.3"));
    assert_eq!(event.environment.as_deref(), Some("staging"));
    let user = event.user.as_ref().unwrap();
    assert_eq!(
        (
            user.id.as_deref(),
            user.email.as_deref(),
            user.ip_address.is_none()
        ),
        (Some(ANON), None, true)
    );
    assert_eq!(event.platform, "javascript");
    let at = event
        .timestamp
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert_eq!(at, RECORDED);
    let exception = &event.exception.values[0];
    assert_eq!(
        (exception.ty.as_str(), exception.value.as_deref()),
        ("TypeError", Some("x is undefined"))
    );
    let mechanism = exception.mechanism.as_ref().unwrap();
    assert_eq!(
        (mechanism.ty.as_str(), mechanism.handled),
        ("onerror", Some(false))
    );
    let frames = &exception.stacktrace.as_ref().unwrap().frames;
    let shape: Vec<_> = frames
        .iter()
        .map(|f| {
            (
                f.function.clone(),
                f.abs_path.clone(),
                f.filename.clone(),
                f.lineno,
                f.colno,
                f.in_app,
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                Some("?".into()),
                Some("native".into()),
                Some("native".into()),
                Some(1),
                Some(1),
                Some(false)
            ),
            (
                Some("outer".into()),
                Some("app:///lib/queue.js".into()),
                Some("app:///lib/queue.js".into()),
                Some(10),
                Some(5),
                Some(true)
            ),
            (
                Some("inner".into()),
                Some("app:///background.js".into()),
                Some("app:///background.js".into()),
                Some(20),
                Some(7),
                Some(true)
            ),
        ],
        "caller first, the throw site last, extension paths as app:///"
    );
    let crumbs = &event.breadcrumbs.values;
    assert_eq!(
        (crumbs.len(), crumbs[0].message.as_deref()),
        (1, Some("opened_popup"))
    );
    assert_eq!(event.extra.get("count"), Some(&json!(3)), "the fold count");
    // What sentry-types does not model, read from the raw lines.
    let (header, raw) = envelope_lines(&body);
    assert_eq!(header["sent_at"], "2026-11-30T10:00:00.000Z");
    assert_eq!(raw[0].1["sdk"]["settings"], json!({"infer_ip": "never"}));
    assert_eq!(
        raw[0].1["contexts"]["browser"],
        json!({"name": "Chrome", "version": "156"})
    );
    assert_eq!(raw[0].1["contexts"]["os"], json!({"name": "linux"}));
    assert_eq!(
        raw[0].1["user"],
        json!({"id": ANON}),
        "nothing else about the user"
    );
    assert_eq!(raw[1].0["type"], "client_report");
    assert_eq!(
        raw[1].1["discarded_events"],
        json!([
            {"reason": "queue_overflow", "category": "error", "quantity": 2},
            {"reason": "before_send", "category": "error", "quantity": 1}
        ])
    );
    assert!(matches!(items[1], EnvelopeItem::ClientReport(_)));
}

#[test]
fn the_mechanism_says_who_caught_the_error() {
    let context = context();
    for (mechanism, expect_type, handled) in [
        (Some("onunhandledrejection"), "onunhandledrejection", false),
        (None, "generic", true),
    ] {
        let mut body = String::new();
        sentry::envelope(&meta(&context), &error_item(mechanism, 1), &[], &mut body);
        let envelope = Envelope::from_slice(body.as_bytes()).unwrap();
        let Some(EnvelopeItem::Event(event)) = envelope.items().next() else {
            panic!()
        };
        let m = event.exception.values[0].mechanism.clone().unwrap();
        assert_eq!((m.ty.as_str(), m.handled), (expect_type, Some(handled)));
        assert_eq!(
            envelope.items().count(),
            1,
            "no client report without drops"
        );
    }
}

#[test]
fn feedback_becomes_a_sentry_feedback_item_with_the_contact_only_if_given() {
    let context = context();
    let id = "0b9c0000-1111-4222-8333-444455556666";
    for (contact, expected_contact) in [
        (Some("me@example.com"), json!("me@example.com")),
        (None, Value::Null),
    ] {
        let item = feedback_json(id, RECORDED, "bug", Some(2), Some("It crashed"), contact);
        let mut body = String::new();
        assert!(sentry::envelope(&meta(&context), &item, &[], &mut body));
        // sentry-types has no `feedback` item type: checked by hand.
        let (header, items) = envelope_lines(&body);
        assert_eq!(
            header["event_id"],
            "0b9c00001111422283334444555566 66".replace(' ', "")
        );
        assert_eq!(items.len(), 1);
        let (item_header, payload) = &items[0];
        assert_eq!(item_header["type"], "feedback");
        assert_eq!(payload["event_id"], header["event_id"]);
        assert_eq!(payload["contexts"]["feedback"]["message"], "It crashed");
        assert_eq!(
            payload["contexts"]["feedback"]["contact_email"],
            expected_contact
        );
        assert_eq!(
            payload["tags"],
            json!({"feedback.type": "bug", "feedback.rating": "2"})
        );
        assert_eq!(payload["platform"], "javascript");
        assert_eq!(
            payload["timestamp"].as_f64(),
            Some(RECORDED as f64 / 1000.0)
        );
    }
}

#[test]
fn sentry_skips_items_it_cannot_carry_and_reports_drops_alone() {
    let context = context();
    let mut body = String::new();
    let event = event_json(
        "0b9c0000-1111-4222-8333-444455556666",
        "opened",
        RECORDED,
        "{}",
    );
    assert!(!sentry::envelope(&meta(&context), &event, &[], &mut body));
    assert!(body.is_empty());
    sentry::client_report_envelope(&meta(&context), &[], &mut body);
    assert!(body.is_empty(), "nothing to report, nothing written");
    let mut counts = mv3_telemetry::core::wire::DropCounts::default();
    counts.add(DropReason::Sampled, 4);
    sentry::client_report_envelope(
        &meta(&context),
        &sentry::drops_of(&counts, "error"),
        &mut body,
    );
    let envelope = Envelope::from_slice(body.as_bytes()).expect("a lone client report parses");
    assert!(matches!(
        envelope.items().next(),
        Some(EnvelopeItem::ClientReport(_))
    ));
    let (_, items) = envelope_lines(&body);
    assert_eq!(
        items[0].1["discarded_events"],
        json!([{"reason": "sample_rate", "category": "error", "quantity": 4}])
    );
}

fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()
}

fn string_attr(attributes: &[KeyValue], key: &str) -> Option<String> {
    match attr(attributes, key)? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

#[test]
fn events_errors_and_feedback_become_otlp_log_records_with_resource_attributes() {
    let context = context();
    let props = Json::Object(vec![
        ("button".into(), Json::String("save".into())),
        (
            "clicks".into(),
            Json::Number(mv3_telemetry::core::json::Number::from_u64(3)),
        ),
        ("ok".into(), Json::Bool(true)),
    ]);
    let event = event_json(
        "11111111-1111-4111-8111-111111111111",
        "feature_used",
        RECORDED,
        &json::to_string(&props),
    );
    let error = error_item(None, 2);
    let feedback = feedback_json(
        "22222222-2222-4222-8222-222222222222",
        RECORDED + 1,
        "idea",
        Some(5),
        None,
        None,
    );
    let timing_like = r#"{"id":"x","type":"timing","name":"t","ts":1}"#;
    let mut body = String::new();
    let written = otlp::logs(
        &meta(&context),
        &[&event, &error, &feedback, timing_like],
        &mut body,
    );
    assert_eq!(written, 3, "timings go to /v1/metrics, not /v1/logs");
    let request: ExportLogsServiceRequest =
        serde_json::from_str(&body).expect("opentelemetry-proto parses it");
    let resource = &request.resource_logs[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes;
    for (key, value) in [
        ("service.name", "My Ext"),
        ("service.version", "1.2.3"),
        ("app.installation.id", ANON),
        ("telemetry.sdk.name", "mv3-telemetry"),
        ("telemetry.sdk.language", "webjs"),
        ("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
        ("browser.name", "Chrome"),
        ("os.type", "linux"),
        ("deployment.environment.name", "staging"),
    ] {
        assert_eq!(string_attr(resource, key).as_deref(), Some(value), "{key}");
    }
    let scope = &request.resource_logs[0].scope_logs[0];
    assert_eq!(scope.scope.as_ref().unwrap().name, "mv3-telemetry");
    let records = &scope.log_records;
    assert_eq!(records.len(), 3);
    let (e, x, f) = (&records[0], &records[1], &records[2]);
    assert_eq!(
        (e.time_unix_nano, e.severity_number, e.event_name.as_str()),
        (RECORDED * 1_000_000, 9, "feature_used")
    );
    assert_eq!(
        string_attr(&e.attributes, "props.button").as_deref(),
        Some("save")
    );
    assert_eq!(
        attr(&e.attributes, "props.clicks"),
        Some(&any_value::Value::IntValue(3))
    );
    assert_eq!(
        attr(&e.attributes, "props.ok"),
        Some(&any_value::Value::BoolValue(true))
    );
    assert_eq!(
        (
            x.severity_number,
            x.severity_text.as_str(),
            x.event_name.as_str()
        ),
        (17, "ERROR", "exception")
    );
    assert_eq!(
        string_attr(&x.attributes, "exception.type").as_deref(),
        Some("TypeError")
    );
    assert_eq!(
        string_attr(&x.attributes, "exception.message").as_deref(),
        Some("x is undefined")
    );
    assert_eq!(
        string_attr(&x.attributes, "exception.stacktrace").as_deref(),
        Some("TypeError: x is undefined\n    at inner (app:///background.js:20:7)\n    at outer (app:///lib/queue.js:10:5)\n    at native:1:1")
    );
    assert_eq!(
        attr(&x.attributes, "exception.count"),
        Some(&any_value::Value::IntValue(2))
    );
    assert_eq!(
        string_attr(&x.attributes, "context.tab").as_deref(),
        Some("popup")
    );
    assert_eq!(
        (f.time_unix_nano, f.event_name.as_str()),
        ((RECORDED + 1) * 1_000_000, "feedback")
    );
    assert_eq!(
        attr(&f.attributes, "feedback.rating"),
        Some(&any_value::Value::IntValue(5))
    );
    assert_eq!(string_attr(&f.attributes, "feedback.contact"), None);
    assert_eq!(
        string_attr(&e.attributes, "log.record.uid").as_deref(),
        Some("11111111-1111-4111-8111-111111111111")
    );
}

/// splitmix64 mapped to log-uniform durations from 0.01 ms to 100 s.
fn samples(n: usize) -> Vec<f64> {
    let mut state = 42u64;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let unit = (z ^ (z >> 31)) as f64 / u64::MAX as f64;
            10f64.powf(-2.0 + 7.0 * unit)
        })
        .collect()
}

#[test]
fn a_timing_window_becomes_a_delta_exponential_histogram_whose_buckets_are_the_sketchs_one_to_one()
{
    let context = context();
    let mut values = samples(5_000);
    values.extend([0.0, 0.0005]);
    let mut sketch = Sketch::new();
    for v in &values {
        sketch.add(*v);
    }
    let series = otlp::Series {
        name: "fetch_config",
        props: r#"{"cache":"miss"}"#,
        start: NOW - 30_000,
        end: NOW,
        sketch: &sketch,
    };
    let mut body = String::new();
    otlp::metrics(&meta(&context), &[series], &mut body);
    let request: ExportMetricsServiceRequest =
        serde_json::from_str(&body).expect("opentelemetry-proto parses it");
    let metric = &request.resource_metrics[0].scope_metrics[0].metrics[0];
    assert_eq!(
        (metric.name.as_str(), metric.unit.as_str()),
        ("fetch_config", "ms")
    );
    let Some(metric::Data::ExponentialHistogram(histogram)) = &metric.data else {
        panic!("an exponential histogram")
    };
    assert_eq!(histogram.aggregation_temporality, 1, "delta");
    let point = &histogram.data_points[0];
    assert_eq!(
        (point.start_time_unix_nano, point.time_unix_nano),
        ((NOW - 30_000) * 1_000_000, NOW * 1_000_000)
    );
    assert_eq!(
        string_attr(&point.attributes, "cache").as_deref(),
        Some("miss")
    );
    assert_eq!(
        (point.scale, point.zero_count, point.zero_threshold),
        (6, 2, 0.001)
    );
    let positive = point.positive.as_ref().unwrap();
    let total: u64 = positive.bucket_counts.iter().sum();
    assert_eq!(
        (point.count, point.zero_count + total),
        (values.len() as u64, values.len() as u64)
    );
    let exact_sum: f64 = values.iter().sum();
    assert!(
        (point.sum.unwrap() - exact_sum).abs() <= 0.0005 * values.len() as f64,
        "sum to the microsecond"
    );
    let (min, max) = (
        values.iter().cloned().fold(f64::MAX, f64::min),
        values.iter().cloned().fold(0.0, f64::max),
    );
    assert_eq!(
        (point.min, point.max),
        (
            Some((min * 1000.0).round() / 1000.0),
            Some((max * 1000.0).round() / 1000.0)
        )
    );
    // Quantiles read back from the buckets, against the sorted samples.
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let base = 2f64.powf(2f64.powi(-6));
    for q in [0.25, 0.5, 0.9, 0.95, 0.99] {
        let rank = (q * (sorted.len() - 1) as f64) as u64;
        let mut seen = point.zero_count;
        let mut answer = 0.0;
        for (k, c) in positive.bucket_counts.iter().enumerate() {
            seen += c;
            if rank < seen {
                let index = positive.offset + k as i32;
                answer = 2.0 * base.powi(index + 1) / (base + 1.0);
                break;
            }
        }
        let truth = sorted[rank as usize];
        let error = (answer - truth).abs() / truth;
        assert!(error <= 0.0156, "q{q}: {answer} vs {truth} ({error})");
        let from_sketch = sketch.quantile(q).unwrap();
        assert!(
            (answer - from_sketch).abs() / from_sketch <= 0.0156,
            "q{q} agrees with the sketch"
        );
    }
}

#[test]
fn events_and_errors_become_a_posthog_batch_without_person_profiles() {
    let context = context();
    let options = PosthogOptions::new("phc_test", None, None).unwrap();
    let props = Json::Object(vec![
        ("button".into(), Json::String("save".into())),
        ("$process_person_profile".into(), Json::Bool(true)),
    ]);
    let event = event_json(
        "11111111-1111-4111-8111-111111111111",
        "feature_used",
        RECORDED,
        &json::to_string(&props),
    );
    let error = error_item(Some("onerror"), 1);
    let feedback = feedback_json(
        "22222222-2222-4222-8222-222222222222",
        RECORDED,
        "idea",
        None,
        Some("hi"),
        None,
    );
    let mut body = String::new();
    assert_eq!(
        posthog::batch(
            &options,
            &meta(&context),
            &[&event, &error, &feedback],
            &mut body
        ),
        2
    );
    let value: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(value["api_key"], "phc_test");
    let batch = value["batch"].as_array().unwrap();
    assert_eq!(batch.len(), 2, "feedback is not a PostHog type");
    let first = &batch[0];
    assert_eq!(first["event"], "feature_used");
    assert_eq!(first["distinct_id"], ANON);
    assert_eq!(first["uuid"], "11111111-1111-4111-8111-111111111111");
    assert_eq!(first["timestamp"], "2026-11-30T09:59:55.000Z");
    let p = &first["properties"];
    assert_eq!(p["$lib"], "mv3-telemetry");
    assert_eq!(p["$lib_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        p["$process_person_profile"], false,
        "a prop cannot turn person profiles on"
    );
    assert_eq!(p["button"], "save");
    let exception = &batch[1];
    assert_eq!(exception["event"], "$exception");
    let list = &exception["properties"]["$exception_list"][0];
    assert_eq!(
        (list["type"].as_str(), list["value"].as_str()),
        (Some("TypeError"), Some("x is undefined"))
    );
    assert_eq!(list["mechanism"]["handled"], false);
    let frames = list["stacktrace"]["frames"].as_array().unwrap();
    assert_eq!(list["stacktrace"]["type"], "raw");
    assert_eq!(
        frames.last().unwrap()["function"],
        "inner",
        "the throw site last"
    );
    assert_eq!(frames.last().unwrap()["platform"], "web:javascript");
    assert_eq!(frames.last().unwrap()["abs_path"], "app:///background.js");
    assert_eq!(Kind::Posthog.option(), "posthog");
}

/// An error item with two causes: the direct cause (a `NetworkError` with a
/// frame) and the root cause (a `TypeError` without frames).
fn error_with_causes(mechanism: Option<&str>) -> String {
    let mut item = error_item(mechanism, 1);
    push_causes(
        &mut item,
        &[
            Cause {
                kind: "NetworkError".into(),
                message: "fetch failed".into(),
                frames: vec![frame("load", "/lib/net.js", 3, 9)],
            },
            Cause {
                kind: "TypeError".into(),
                message: "bad header".into(),
                frames: Vec::new(),
            },
        ],
    );
    item
}

#[test]
fn a_cause_chain_goes_to_sentry_root_cause_first_and_thrown_error_last_with_linked_mechanisms() {
    let context = context();
    let mut body = String::new();
    assert!(sentry::envelope(
        &meta(&context),
        &error_with_causes(Some("onerror")),
        &[],
        &mut body
    ));
    let envelope = Envelope::from_slice(body.as_bytes()).expect("sentry-types parses the envelope");
    let Some(EnvelopeItem::Event(event)) = envelope.items().next() else {
        panic!("an event")
    };
    let values = &event.exception.values;
    let kinds: Vec<_> = values
        .iter()
        .map(|v| (v.ty.as_str(), v.value.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        kinds,
        [
            ("TypeError", "bad header"),
            ("NetworkError", "fetch failed"),
            ("TypeError", "x is undefined"),
        ],
        "Sentry reads the values oldest first: the thrown error is the last"
    );
    let cause_frames = &values[1].stacktrace.as_ref().unwrap().frames;
    assert_eq!(cause_frames[0].function.as_deref(), Some("load"));
    assert_eq!(
        cause_frames[0].abs_path.as_deref(),
        Some("app:///lib/net.js")
    );
    assert!(values[0].stacktrace.as_ref().unwrap().frames.is_empty());
    // The mechanisms link each cause to the value it caused, as Sentry's SDK does.
    let (_, items) = envelope_lines(&body);
    let mechanisms: Vec<_> = items[0].1["exception"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["mechanism"].clone())
        .collect();
    assert_eq!(
        mechanisms,
        [
            json!({"type": "chained", "handled": false, "source": "cause", "parent_id": 1, "exception_id": 2}),
            json!({"type": "chained", "handled": false, "source": "cause", "parent_id": 0, "exception_id": 1}),
            json!({"type": "onerror", "handled": false, "exception_id": 0}),
        ]
    );
}

#[test]
fn a_cause_chain_goes_to_otlp_as_caused_by_blocks_and_to_posthog_thrown_error_first() {
    let context = context();
    let item = error_with_causes(None);
    let mut body = String::new();
    assert_eq!(otlp::logs(&meta(&context), &[&item], &mut body), 1);
    let request: ExportLogsServiceRequest =
        serde_json::from_str(&body).expect("opentelemetry-proto parses it");
    let record = &request.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(
        string_attr(&record.attributes, "exception.stacktrace").as_deref(),
        Some(
            "TypeError: x is undefined\n    at inner (app:///background.js:20:7)\n    \
             at outer (app:///lib/queue.js:10:5)\n    at native:1:1\n\
             Caused by: NetworkError: fetch failed\n    at load (app:///lib/net.js:3:9)\n\
             Caused by: TypeError: bad header"
        )
    );
    assert_eq!(
        string_attr(&record.attributes, "exception.type").as_deref(),
        Some("TypeError"),
        "the log record is the thrown error's"
    );

    let options = PosthogOptions::new("phc_test", None, None).unwrap();
    let mut body = String::new();
    assert_eq!(
        posthog::batch(&options, &meta(&context), &[&item], &mut body),
        1
    );
    let value: Value = serde_json::from_str(&body).unwrap();
    let list = value["batch"][0]["properties"]["$exception_list"]
        .as_array()
        .unwrap();
    let kinds: Vec<_> = list
        .iter()
        .map(|v| {
            (
                v["type"].as_str().unwrap(),
                v["mechanism"]["handled"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("TypeError", json!(true)),
            ("NetworkError", json!(true)),
            ("TypeError", json!(true)),
        ],
        "posthog-js lists the thrown error first, then its causes"
    );
    assert_eq!(list[0]["value"], "x is undefined");
    assert_eq!(list[2]["value"], "bad header");
    assert_eq!(
        list[1]["stacktrace"]["frames"][0]["platform"],
        "web:javascript"
    );
}

#[test]
fn an_error_without_causes_keeps_a_plain_mechanism_and_stacktrace() {
    let context = context();
    let mut item = error_item(None, 1);
    let before = item.clone();
    push_causes(&mut item, &[]);
    assert_eq!(item, before, "no causes, no key");
    let mut body = String::new();
    sentry::envelope(&meta(&context), &item, &[], &mut body);
    let (_, items) = envelope_lines(&body);
    assert_eq!(
        items[0].1["exception"]["values"][0]["mechanism"],
        json!({"type": "generic", "handled": true})
    );
}

const SESSION_ID: &str = "7d3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";

fn session_update(init: bool, errors: u64, status: sentry::SessionStatus) -> String {
    let release = sentry::release("My Ext", "1.2.3").unwrap();
    let update = sentry::SessionUpdate {
        sid: SESSION_ID,
        did: ANON,
        init,
        started: RECORDED,
        now: NOW,
        errors,
        status,
        release: &release,
        environment: "staging",
    };
    let mut body = String::new();
    assert!(sentry::session_envelope(&update, &mut body));
    body
}

#[test]
fn a_session_update_is_a_sentry_session_item_that_sentry_types_parses() {
    use sentry::SessionStatus;
    use sentry_types::protocol::v7::SessionStatus as Parsed;
    let cases = [
        (true, 0, SessionStatus::Ok, Parsed::Ok),
        (false, 2, SessionStatus::Ok, Parsed::Ok),
        (false, 2, SessionStatus::Exited, Parsed::Exited),
        (false, 3, SessionStatus::Crashed, Parsed::Crashed),
        (false, 0, SessionStatus::Abnormal, Parsed::Abnormal),
    ];
    for (init, errors, status, parsed) in cases {
        let body = session_update(init, errors, status);
        let envelope = Envelope::from_slice(body.as_bytes()).expect("sentry-types parses it");
        let items: Vec<_> = envelope.items().collect();
        let [EnvelopeItem::SessionUpdate(session)] = items.as_slice() else {
            panic!("one session item: {items:?}")
        };
        assert_eq!(session.session_id.to_string(), SESSION_ID);
        assert_eq!(session.distinct_id.as_deref(), Some(ANON));
        assert_eq!(session.init, init, "init only on the first update");
        assert_eq!(session.status, parsed);
        assert_eq!(session.errors, errors);
        assert_eq!(session.attributes.release, "My Ext@1.2.3");
        assert_eq!(session.attributes.environment.as_deref(), Some("staging"));
        assert_eq!(session.attributes.ip_address, None, "no IP address is sent");
        let ms = |t: std::time::SystemTime| {
            t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
        };
        assert_eq!(ms(session.started), RECORDED);
        assert_eq!(session.timestamp.map(ms), Some(NOW));
        assert_eq!(session.duration, Some(5.0));
        // The envelope header: sent_at and sdk, no event_id.
        let (header, items) = envelope_lines(&body);
        assert_eq!(header["sent_at"], "2026-11-30T10:00:00.000Z");
        assert!(header.get("event_id").is_none());
        assert_eq!(items[0].0["type"], "session");
    }
}

#[test]
fn the_session_status_rule_and_a_session_riding_on_an_event_envelope() {
    use sentry::SessionStatus;
    assert_eq!(SessionStatus::of(false, false), SessionStatus::Ok);
    assert_eq!(SessionStatus::of(false, true), SessionStatus::Exited);
    assert_eq!(SessionStatus::of(true, false), SessionStatus::Crashed);
    assert_eq!(
        SessionStatus::of(true, true),
        SessionStatus::Crashed,
        "a crash is terminal"
    );
    assert_eq!(sentry::release("My Ext", ""), None);
    let update = sentry::SessionUpdate {
        sid: SESSION_ID,
        did: ANON,
        init: false,
        started: RECORDED,
        now: NOW,
        errors: 1,
        status: SessionStatus::Ok,
        release: "",
        environment: "staging",
    };
    let mut body = String::new();
    assert!(
        !sentry::session_envelope(&update, &mut body),
        "Sentry drops a session without release"
    );
    assert!(body.is_empty());

    let context = context();
    assert!(sentry::envelope(
        &meta(&context),
        &error_item(None, 1),
        &[],
        &mut body
    ));
    let release = sentry::release("My Ext", "1.2.3").unwrap();
    let update = sentry::SessionUpdate {
        release: &release,
        ..update
    };
    assert!(sentry::push_session_item(&update, &mut body));
    let envelope = Envelope::from_slice(body.as_bytes()).unwrap();
    let items: Vec<_> = envelope.items().collect();
    assert!(matches!(items[0], EnvelopeItem::Event(_)));
    let EnvelopeItem::SessionUpdate(session) = items[1] else {
        panic!("{:?}", items[1])
    };
    assert_eq!(
        (session.errors, session.status),
        (1, sentry_types::protocol::v7::SessionStatus::Ok)
    );
}
