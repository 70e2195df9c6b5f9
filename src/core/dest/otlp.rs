//! OTLP/HTTP with JSON bodies (`docs/destinations.md`): events, errors and
//! feedback become log records for `/v1/logs`, timings delta exponential
//! histograms for `/v1/metrics`.
//!
//! OTLP JSON wants lowerCamelCase keys, integer enums and 64-bit integers as
//! decimal strings; receivers ignore unknown keys, so a misspelt key is
//! silently lost: `tests/destinations.rs` compares values.

use super::{
    item_type, list, number, opt_text, put, put_bool, put_field, put_joined, put_opt_u64, put_str,
    put_u64, sep, text, timestamp, ItemType, Meta,
};
use crate::core::json::{self, push_escaped, push_i64, Json};
use crate::core::sketch::Sketch;
use crate::core::split::split_last;
use crate::core::time::Millis;

/// The path of log records.
pub const LOGS_PATH: &str = "/v1/logs";
/// The path of metrics.
pub const METRICS_PATH: &str = "/v1/metrics";

/// The exponential histogram's scale: the sketch's (base 2^(2^-6), relative error 0.54 %).
pub const SCALE: i32 = crate::core::sketch::SCALE;

// Severity numbers (logs data model): INFO 9 for events and feedback, ERROR
// 17 for errors, written with their text in one literal.
const SEVERITY_INFO: &str = ",\"severityNumber\":9,\"severityText\":\"INFO\"";
const SEVERITY_ERROR: &str = ",\"severityNumber\":17,\"severityText\":\"ERROR\"";

/// `lit`, then nanoseconds since the epoch as a decimal string (int64).
fn push_nanos(out: &mut String, lit: &str, ms: Millis) {
    put_u64(out, lit, ms);
    // `"` was opened by `lit`: the digits of ms, then six zeros (0 stays 0).
    put(out, if ms > 0 { "000000\"" } else { "\"" });
}

/// `lit` (which opens a string), then `n` and the closing quote: an int64
/// as OTLP JSON writes it.
#[inline(never)]
fn push_int64(out: &mut String, lit: &str, n: u64) {
    put_u64(out, lit, n);
    put(out, "\"");
}

/// One attribute `{"key":…,"value":{"stringValue":…}}`, after a comma if needed.
fn push_attr_str(out: &mut String, key: &str, value: &str) {
    sep(out);
    put_str(out, "{\"key\":", key);
    // Literals `push_any` and `push_pairs` have too.
    put(out, ",\"value\":");
    put_str(out, "{\"stringValue\":", value);
    put(out, "}}");
}

/// One attribute with an `intValue` (int64: a decimal string).
fn push_attr_int(out: &mut String, key: &str, n: u64) {
    sep(out);
    put_str(out, "{\"key\":", key);
    put(out, ",\"value\":");
    push_int64(out, "{\"intValue\":\"", n);
    put(out, "}}");
}

/// The attribute `key` with `item`'s string field `field`, if it has one
/// (the fields every item of its type has are always there: `wire::items`).
#[inline(never)]
fn push_attr_field(out: &mut String, key: &str, item: &Json, field: &str) {
    if let Some(value) = opt_text(item, field) {
        push_attr_str(out, key, value);
    }
}

/// The attribute `key` with `item`'s integer field `field`, if it has one.
#[inline(never)]
fn push_attr_number(out: &mut String, key: &str, item: &Json, field: &str) {
    if let Some(n) = number(item, field) {
        push_attr_int(out, key, n);
    }
}

/// A JSON value as an OTLP `AnyValue`.
fn push_any(out: &mut String, value: &Json) {
    match value {
        Json::Null => put(out, "{}"),
        Json::Bool(b) => {
            put_bool(out, "{\"boolValue\":", *b);
            put(out, "}");
        }
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                put(out, "{\"intValue\":\"");
                push_i64(out, i);
                put(out, "\"}");
            } else {
                put(out, "{\"doubleValue\":");
                put(out, n.as_str());
                put(out, "}");
            }
        }
        Json::String(s) => {
            put_str(out, "{\"stringValue\":", s);
            put(out, "}");
        }
        Json::Array(values) => {
            put(out, "{\"arrayValue\":{\"values\":[");
            for v in values {
                sep(out);
                push_any(out, v);
            }
            put(out, "]}}");
        }
        Json::Object(pairs) => {
            put(out, "{\"kvlistValue\":{\"values\":[");
            push_pairs(out, "", pairs);
            put(out, "]}}");
        }
    }
}

/// Key-value pairs, keys prefixed (`props.`): attributes or a kvlist.
fn push_pairs(out: &mut String, prefix: &str, pairs: &[(String, Json)]) {
    for (key, value) in pairs {
        sep(out);
        put_joined(out, "{\"key\":", prefix, key);
        put(out, ",\"value\":");
        push_any(out, value);
        put(out, "}");
    }
}

/// `{"resource":{"attributes":[…]},"scopeLogs|scopeMetrics":[{"scope":{…},"`.
#[inline(never)]
fn push_resource_open(meta: &Meta, scope_key: &str, out: &mut String) {
    put(out, "{\"resource\":{\"attributes\":[");
    let c = meta.context;
    let (name, version) = split_last(&c.browser, b' ').unwrap_or((c.browser.as_str(), ""));
    // A call per attribute: cheaper in wasm than a table of pairs built on the stack.
    push_attr_str(out, "service.name", meta.app_name);
    push_attr_str(out, "service.version", &c.app_version);
    push_attr_str(out, "deployment.environment.name", &c.environment);
    push_attr_str(out, "app.installation.id", meta.anonymous_id);
    // The constant attributes (`telemetry.sdk.name`, `.language`, `.version`):
    // three calls cost 17 B gzip less than one literal of their JSON.
    push_attr_str(out, "telemetry.sdk.name", "mv3-telemetry");
    push_attr_str(out, "telemetry.sdk.language", "webjs");
    push_attr_str(out, "telemetry.sdk.version", env!("CARGO_PKG_VERSION"));
    push_attr_str(out, "browser.name", name);
    push_attr_str(out, "browser.version", version);
    push_attr_str(out, "browser.language", &c.locale);
    push_attr_str(out, "os.type", &c.os);
    put(out, "]},\"");
    put(out, scope_key);
    put(out, "\":[{\"scope\":{\"name\":\"mv3-telemetry\"},\"");
}

/// The `/v1/logs` body for stored v1 items (events, errors, feedback;
/// others are skipped). Returns how many log records it wrote.
pub fn logs(meta: &Meta, items: &[&str], out: &mut String) -> usize {
    put(out, "{\"resourceLogs\":[");
    push_resource_open(meta, "scopeLogs", out);
    put(out, "logRecords\":[");
    let mut written = 0;
    for stored in items {
        let Ok(item) = json::parse(stored) else {
            continue;
        };
        if log_record(meta, &item, out) {
            written += 1;
        }
    }
    put(out, "]}]}]}");
    written
}

/// One log record for an event, error or feedback item; `false`, writing
/// nothing, for other types.
#[inline(never)]
fn log_record(meta: &Meta, item: &Json, out: &mut String) -> bool {
    // The type as an enum once: string matches cost a compare per arm (size).
    let kind = item_type(item);
    // The event name: an event's own (`""` here), else a literal.
    let (severity, event_name, body) = match kind {
        Some(ItemType::Event) => (SEVERITY_INFO, "", "name"),
        Some(ItemType::Error) => (SEVERITY_ERROR, "\"exception\"", "message"),
        Some(ItemType::Feedback) => (SEVERITY_INFO, "\"feedback\"", "message"),
        _ => return false,
    };
    let ts = timestamp(item, meta.now);
    sep(out);
    push_nanos(out, "{\"timeUnixNano\":\"", ts);
    put(out, severity);
    put(out, ",\"eventName\":");
    if event_name.is_empty() {
        put_field(out, "", item, "name");
    }
    put(out, event_name);
    put_field(out, ",\"body\":{\"stringValue\":", item, body);
    put(out, "},\"attributes\":[");
    push_attr_field(out, "log.record.uid", item, "id");
    push_attr_field(out, "session.id", item, "session_id");
    let (pairs, prefix) = match kind {
        Some(ItemType::Event) => ("props", "props."),
        Some(ItemType::Error) => {
            push_attr_field(out, "exception.type", item, "kind");
            push_attr_field(out, "exception.message", item, "message");
            push_stacktrace(item, out);
            push_attr_number(out, "exception.count", item, "count");
            ("context", "context.")
        }
        _ => {
            push_attr_field(out, "feedback.type", item, "kind");
            push_attr_number(out, "feedback.rating", item, "rating");
            push_attr_field(out, "feedback.contact", item, "contact");
            ("", "")
        }
    };
    if let Some(Json::Object(pairs)) = item.get(pairs) {
        push_pairs(out, prefix, pairs);
    }
    put(out, "]}");
    true
}

/// The `exception.stacktrace` attribute: V8's own text form, innermost
/// frame first, as the attribute expects; each cause follows as a
/// `Caused by: ` block (the direct cause first), as Java and Node print a
/// cause chain. Written straight into the JSON string, escaped as it goes.
fn push_stacktrace(item: &Json, out: &mut String) {
    sep(out);
    put(
        out,
        "{\"key\":\"exception.stacktrace\",\"value\":{\"stringValue\":\"",
    );
    push_trace(item, out);
    for cause in list(item, "causes") {
        put(out, "\\nCaused by: ");
        push_trace(cause, out);
    }
    put(out, "\"}}");
}

/// `Kind: message` and an `    at …` line per frame of an error or a
/// cause, escaped for a JSON string.
#[inline(never)]
fn push_trace(value: &Json, out: &mut String) {
    push_escaped(out, text(value, "kind"));
    put(out, ": ");
    push_escaped(out, text(value, "message"));
    for frame in list(value, "stack") {
        put(out, "\\n    at ");
        let function = text(frame, "function");
        if !function.is_empty() {
            push_escaped(out, function);
            put(out, " (");
        }
        super::push_app_path(out, text(frame, "file"));
        put_opt_u64(out, ":", frame, "line");
        put_opt_u64(out, ":", frame, "column");
        if !function.is_empty() {
            put(out, ")");
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
    put(out, "{\"resourceMetrics\":[");
    push_resource_open(meta, "scopeMetrics", out);
    put(out, "metrics\":[");
    for s in series {
        let sketch = s.sketch;
        sep(out);
        put_str(out, "{\"name\":", s.name);
        put(out, ",\"unit\":\"ms\",\"exponentialHistogram\":{\"aggregationTemporality\":1,\"dataPoints\":[{\"attributes\":[");
        if let Ok(Json::Object(props)) = json::parse(s.props) {
            push_pairs(out, "", &props);
        }
        push_nanos(out, "],\"startTimeUnixNano\":\"", s.start);
        push_nanos(out, ",\"timeUnixNano\":\"", s.end);
        push_int64(out, ",\"count\":\"", sketch.count());
        put_ms(out, ",\"sum\":", sketch.sum());
        if let (Some(min), Some(max)) = (sketch.min(), sketch.max()) {
            put_ms(out, ",\"min\":", min);
            put_ms(out, ",\"max\":", max);
        }
        // SCALE is 6 (checked below): a literal.
        push_int64(out, ",\"scale\":6,\"zeroCount\":\"", sketch.zeros());
        put(out, ",\"zeroThreshold\":0.001,\"positive\":{\"offset\":");
        // Sketch bucket `i` covers (γ^(i-1), γ^i], OTel bucket `i - 1`
        // covers (base^(i-1), base^i]: the same interval.
        // The offset is the first bucket's: written on the first pass.
        let mut first = true;
        for (index, c) in sketch.buckets() {
            if first {
                push_i64(out, i64::from(index.saturating_sub(1)));
                put(out, ",\"bucketCounts\":[");
                first = false;
            }
            sep(out);
            push_int64(out, "\"", c);
        }
        if first {
            put(out, "0,\"bucketCounts\":[");
        }
        put(out, "]}}]}}");
    }
    put(out, "]}]}]}");
}

const _: () = assert!(
    SCALE == 6,
    "the metrics writer writes the scale as a literal"
);

/// `lit`, then a finite float as JSON, exactly enough for a millisecond
/// figure: the microsecond writer the v1 items use (no float formatting code).
#[inline(never)]
fn put_ms(out: &mut String, lit: &str, value: f64) {
    put(out, lit);
    put(out, crate::core::wire::items::ms_number(value).as_str());
}
