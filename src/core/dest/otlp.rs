//! OTLP/HTTP with JSON bodies (`docs/destinations.md`): events, errors and
//! feedback become log records for `/v1/logs`, timings delta exponential
//! histograms for `/v1/metrics`.
//!
//! OTLP JSON wants lowerCamelCase keys, integer enums and 64-bit integers as
//! decimal strings; receivers ignore unknown keys, so a misspelt key is
//! silently lost: `tests/destinations.rs` compares values.

use super::{number, opt_text, text, Meta};
use crate::core::json::{self, push_i64, push_string, push_u64, Json};
use crate::core::sketch::Sketch;
use crate::core::time::Millis;
use crate::core::wire::{SDK_NAME, SDK_VERSION};

/// The path of log records.
pub const LOGS_PATH: &str = "/v1/logs";
/// The path of metrics.
pub const METRICS_PATH: &str = "/v1/metrics";

/// The exponential histogram's scale: the sketch's (base 2^(2^-6), relative error 0.54 %).
pub const SCALE: i32 = crate::core::sketch::SCALE;

/// Severity numbers (logs data model): INFO for events and feedback, ERROR for errors.
const SEVERITY_INFO: u8 = 9;
const SEVERITY_ERROR: u8 = 17;

fn push_nanos(out: &mut String, ms: Millis) {
    out.push('"');
    push_u64(out, ms);
    if ms > 0 {
        out.push_str("000000");
    }
    out.push('"');
}

fn push_attr_str(out: &mut String, first: &mut bool, key: &str, value: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push_str("{\"key\":");
    push_string(out, key);
    out.push_str(",\"value\":{\"stringValue\":");
    push_string(out, value);
    out.push_str("}}");
}

/// A JSON value as an OTLP `AnyValue`.
fn push_any(out: &mut String, value: &Json) {
    match value {
        Json::Null => out.push_str("{}"),
        Json::Bool(b) => out.push_str(if *b {
            "{\"boolValue\":true}"
        } else {
            "{\"boolValue\":false}"
        }),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str("{\"intValue\":\"");
                push_i64(out, i);
                out.push_str("\"}");
            } else {
                out.push_str("{\"doubleValue\":");
                out.push_str(n.as_str());
                out.push('}');
            }
        }
        Json::String(s) => {
            out.push_str("{\"stringValue\":");
            push_string(out, s);
            out.push('}');
        }
        Json::Array(values) => {
            out.push_str("{\"arrayValue\":{\"values\":[");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_any(out, v);
            }
            out.push_str("]}}");
        }
        Json::Object(pairs) => {
            out.push_str("{\"kvlistValue\":{\"values\":[");
            push_pairs(out, &mut true, "", pairs);
            out.push_str("]}}");
        }
    }
}

/// Key-value pairs, keys prefixed (`props.`): attributes or a kvlist.
fn push_pairs(out: &mut String, first: &mut bool, prefix: &str, pairs: &[(String, Json)]) {
    for (key, value) in pairs {
        if !*first {
            out.push(',');
        }
        *first = false;
        out.push_str("{\"key\":");
        push_string(out, &(prefix.to_owned() + key));
        out.push_str(",\"value\":");
        push_any(out, value);
        out.push('}');
    }
}

/// `{"resource":{"attributes":[…]},"scopeLogs|scopeMetrics":[{"scope":{…},"`.
fn push_resource_open(meta: &Meta, scope_key: &str, out: &mut String) {
    out.push_str("{\"resource\":{\"attributes\":[");
    let mut first = true;
    let c = meta.context;
    push_attr_str(out, &mut first, "service.name", meta.app_name);
    push_attr_str(out, &mut first, "service.version", &c.app_version);
    push_attr_str(
        out,
        &mut first,
        "deployment.environment.name",
        &c.environment,
    );
    push_attr_str(out, &mut first, "app.installation.id", meta.anonymous_id);
    push_attr_str(out, &mut first, "telemetry.sdk.name", SDK_NAME);
    push_attr_str(out, &mut first, "telemetry.sdk.language", "webjs");
    push_attr_str(out, &mut first, "telemetry.sdk.version", SDK_VERSION);
    let (name, version) = c
        .browser
        .rsplit_once(' ')
        .unwrap_or((c.browser.as_str(), ""));
    push_attr_str(out, &mut first, "browser.name", name);
    push_attr_str(out, &mut first, "browser.version", version);
    push_attr_str(out, &mut first, "browser.language", &c.locale);
    push_attr_str(out, &mut first, "os.type", &c.os);
    out.push_str("]},\"");
    out.push_str(scope_key);
    out.push_str("\":[{\"scope\":{\"name\":\"mv3-telemetry\",\"version\":\"");
    out.push_str(SDK_VERSION);
    out.push_str("\"},\"");
}

/// The `/v1/logs` body for stored v1 items (events, errors, feedback;
/// others are skipped). Returns how many log records it wrote.
pub fn logs(meta: &Meta, items: &[&str], out: &mut String) -> usize {
    out.push_str("{\"resourceLogs\":[");
    push_resource_open(meta, "scopeLogs", out);
    out.push_str("logRecords\":[");
    let mut written = 0;
    for stored in items {
        let Ok(item) = json::parse(stored) else {
            continue;
        };
        let item_type = text(&item, "type");
        if !matches!(item_type, "event" | "error" | "feedback") {
            continue;
        }
        if written > 0 {
            out.push(',');
        }
        written += 1;
        log_record(meta, item_type, &item, out);
    }
    out.push_str("]}]}]}");
    written
}

fn log_record(meta: &Meta, kind: &str, item: &Json, out: &mut String) {
    let ts = number(item, "ts").unwrap_or(meta.now);
    out.push_str("{\"timeUnixNano\":");
    push_nanos(out, ts);
    out.push_str(",\"observedTimeUnixNano\":");
    push_nanos(out, ts);
    out.push_str(",\"severityNumber\":");
    let (severity, severity_text) = if kind == "error" {
        (SEVERITY_ERROR, "ERROR")
    } else {
        (SEVERITY_INFO, "INFO")
    };
    push_u64(out, u64::from(severity));
    out.push_str(",\"severityText\":\"");
    out.push_str(severity_text);
    out.push_str("\",\"eventName\":");
    let event_name = match kind {
        "event" => text(item, "name"),
        "error" => "exception",
        _ => "feedback",
    };
    push_string(out, event_name);
    out.push_str(",\"body\":{\"stringValue\":");
    let body = match kind {
        "error" => text(item, "message"),
        "feedback" => text(item, "message"),
        _ => event_name,
    };
    push_string(out, body);
    out.push_str("},\"attributes\":[");
    let mut first = true;
    push_attr_str(out, &mut first, "log.record.uid", text(item, "id"));
    if let Some(session) = opt_text(item, "session_id") {
        push_attr_str(out, &mut first, "session.id", session);
    }
    match kind {
        "event" => {
            if let Some(Json::Object(props)) = item.get("props") {
                push_pairs(out, &mut first, "props.", props);
            }
        }
        "error" => {
            push_attr_str(out, &mut first, "exception.type", text(item, "kind"));
            push_attr_str(out, &mut first, "exception.message", text(item, "message"));
            push_attr_str(out, &mut first, "exception.stacktrace", &stacktrace(item));
            if let Some(count) = number(item, "count") {
                out.push_str(",{\"key\":\"exception.count\",\"value\":{\"intValue\":\"");
                push_u64(out, count);
                out.push_str("\"}}");
            }
            if let Some(Json::Object(context)) = item.get("context") {
                push_pairs(out, &mut first, "context.", context);
            }
        }
        _ => {
            push_attr_str(out, &mut first, "feedback.type", text(item, "kind"));
            if let Some(rating) = number(item, "rating") {
                out.push_str(",{\"key\":\"feedback.rating\",\"value\":{\"intValue\":\"");
                push_u64(out, rating);
                out.push_str("\"}}");
            }
            if let Some(contact) = opt_text(item, "contact") {
                push_attr_str(out, &mut first, "feedback.contact", contact);
            }
        }
    }
    out.push_str("]}");
}

/// V8's own text form, innermost frame first, as `exception.stacktrace`
/// expects; each cause follows as a `Caused by: ` block (the direct cause
/// first), as Java and Node print a cause chain.
fn stacktrace(item: &Json) -> String {
    let mut out = String::new();
    push_trace(item, &mut out);
    for cause in item
        .get("causes")
        .and_then(Json::as_array)
        .unwrap_or_default()
    {
        out.push_str("\nCaused by: ");
        push_trace(cause, &mut out);
    }
    out
}

/// `Kind: message` and an `    at …` line per frame of an error or a cause.
fn push_trace(value: &Json, out: &mut String) {
    out.push_str(text(value, "kind"));
    out.push_str(": ");
    out.push_str(text(value, "message"));
    for frame in value
        .get("stack")
        .and_then(Json::as_array)
        .unwrap_or_default()
    {
        out.push_str("\n    at ");
        let function = text(frame, "function");
        let file = super::app_path(text(frame, "file"));
        let mut location = file;
        for key in ["line", "column"] {
            if let Some(n) = frame.get(key).and_then(Json::as_u64) {
                location.push(':');
                push_u64(&mut location, n);
            }
        }
        if function.is_empty() {
            out.push_str(&location);
        } else {
            out.push_str(function);
            out.push_str(" (");
            out.push_str(&location);
            out.push(')');
        }
    }
}

/// One timing series of one window, for [`metrics`].
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// The timer's name.
    pub name: &'a str,
    /// Its props (JSON object text): the data point's attributes.
    pub props: &'a str,
    /// When the window opened.
    pub start: Millis,
    /// When it closed.
    pub end: Millis,
    /// The samples.
    pub sketch: &'a Sketch,
}

/// The `/v1/metrics` body: one delta exponential histogram per series.
///
/// The sketch's γ is 2^(2^-6), so its buckets are the histogram's at scale
/// 6, one to one: nothing is lost. `count` is exact; `sum`, `min` and `max`
/// are written to the microsecond, as the v1 timing items are.
pub fn metrics(meta: &Meta, series: &[Series], out: &mut String) {
    out.push_str("{\"resourceMetrics\":[");
    push_resource_open(meta, "scopeMetrics", out);
    out.push_str("metrics\":[");
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        push_string(out, s.name);
        out.push_str(",\"unit\":\"ms\",\"exponentialHistogram\":{\"aggregationTemporality\":1,\"dataPoints\":[{\"attributes\":[");
        if let Ok(Json::Object(props)) = json::parse(s.props) {
            push_pairs(out, &mut true, "", &props);
        }
        out.push_str("],\"startTimeUnixNano\":");
        push_nanos(out, s.start);
        out.push_str(",\"timeUnixNano\":");
        push_nanos(out, s.end);
        out.push_str(",\"count\":\"");
        push_u64(out, s.sketch.count());
        out.push_str("\",\"sum\":");
        out.push_str(float(s.sketch.sum()).as_str());
        for (key, value) in [("min", s.sketch.min()), ("max", s.sketch.max())] {
            if let Some(v) = value {
                out.push_str(",\"");
                out.push_str(key);
                out.push_str("\":");
                out.push_str(float(v).as_str());
            }
        }
        out.push_str(",\"scale\":");
        push_i64(out, i64::from(SCALE));
        out.push_str(",\"zeroCount\":\"");
        push_u64(out, s.sketch.zeros());
        out.push_str("\",\"zeroThreshold\":0.001,\"positive\":");
        let (offset, counts) = buckets(s.sketch);
        out.push_str("{\"offset\":");
        push_i64(out, i64::from(offset));
        out.push_str(",\"bucketCounts\":[");
        for (k, c) in counts.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push('"');
            push_u64(out, *c);
            out.push('"');
        }
        out.push_str("]}}]}}");
    }
    out.push_str("]}]}]}");
}

/// The sketch's buckets as the histogram's positive buckets: (offset,
/// counts). Sketch bucket `i` covers (γ^(i-1), γ^i], OTel bucket `i - 1`
/// covers (base^(i-1), base^i]: the same interval.
pub fn buckets(sketch: &Sketch) -> (i32, Vec<u64>) {
    let mut iter = sketch.buckets().peekable();
    let offset = iter.peek().map_or(0, |(index, _)| index.saturating_sub(1));
    (offset, iter.map(|(_, count)| count).collect())
}

/// A finite float as JSON, exactly enough for a millisecond figure: the
/// microsecond writer the v1 items use (no float formatting code).
fn float(value: f64) -> json::Number {
    crate::core::wire::items::ms_number(value)
}
