//! Every item body on the wire, written directly as JSON text: items are
//! serialized once, when recorded, and stored and sent as they are.

use crate::core::json::{push_string, push_u64, Number, PushByte};
use crate::core::sketch::Summary;
use crate::core::source::is_web_file;
use crate::core::stack::Frame;
use crate::core::time::Millis;

/// `{"id":..,"type":"event","name":..,"ts":..,"props":{..}}`; `props` is
/// the cleaned props' JSON text.
pub fn event_json(id: &str, name: &str, ts: Millis, props: &str) -> String {
    let mut out = String::with_capacity(96 + name.len() + props.len());
    out.push_str("{\"id\":");
    push_string(&mut out, id);
    out.push_str(",\"type\":\"event\",\"name\":");
    push_string(&mut out, name);
    out.push_str(",\"ts\":");
    push_u64(&mut out, ts);
    out.push_str(",\"props\":");
    out.push_str(props);
    out.push_byte(b'}');
    out
}

/// The props (or context) an item keeps when they made it too big.
pub const TRUNCATED_PROPS: &str = "{\"_truncated\":true}";

/// An `error` item without its `count` (added at send time).
#[allow(clippy::too_many_arguments)]
pub fn error_json(
    id: &str,
    ts: Millis,
    kind: &str,
    message: &str,
    frames: &[Frame],
    fingerprint: &str,
    context: &str,
    breadcrumbs: &[(String, Millis)],
) -> String {
    let mut out = String::with_capacity(256 + message.len() + frames.len() * 96);
    out.push_str("{\"id\":");
    push_string(&mut out, id);
    out.push_str(",\"type\":\"error\",\"ts\":");
    push_u64(&mut out, ts);
    out.push_str(",\"kind\":");
    push_string(&mut out, kind);
    out.push_str(",\"message\":");
    push_string(&mut out, message);
    push_stack(&mut out, frames);
    out.push_str(",\"fingerprint\":");
    push_string(&mut out, fingerprint);
    out.push_str(",\"context\":");
    out.push_str(context);
    out.push_str(",\"breadcrumbs\":[");
    for (i, (name, at)) in breadcrumbs.iter().enumerate() {
        if i > 0 {
            out.push_byte(b',');
        }
        out.push_str("{\"name\":");
        push_string(&mut out, name);
        out.push_str(",\"ts\":");
        push_u64(&mut out, *at);
        out.push_byte(b'}');
    }
    out.push_str("]}");
    out
}

/// `,"stack":[…]`: the frames in V8's order, innermost first.
fn push_stack(out: &mut String, frames: &[Frame]) {
    out.push_str(",\"stack\":[");
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            out.push_byte(b',');
        }
        out.push_str("{\"function\":");
        push_optional_string(out, frame.function.as_deref());
        out.push_str(",\"file\":");
        push_optional_string(out, frame.file.as_deref());
        out.push_str(",\"line\":");
        push_optional_u64(out, frame.line.map(u64::from));
        out.push_str(",\"column\":");
        push_optional_u64(out, frame.column.map(u64::from));
        // The web page's own code (a content script's error): kept, not ours.
        if frame.file.as_deref().is_some_and(is_web_file) {
            out.push_str(",\"in_app\":false");
        }
        out.push_byte(b'}');
    }
    out.push_byte(b']');
}

/// One link of an error's cause chain (`error.cause` in JS), scrubbed like
/// the error itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cause {
    /// `TypeError`, `DOMException`, ...: the cause's name.
    pub kind: String,
    /// Its message.
    pub message: String,
    /// Its frames, V8's order (innermost first).
    pub frames: Vec<Frame>,
}

/// Most causes an error item carries: deeper ones are left out.
pub const MAX_CAUSES: usize = 5;

/// Adds `,"causes":[{"kind","message","stack":[…]},…]` to an `error` item
/// written by [`error_json`] (nothing when `causes` is empty). Order: the
/// thrown error's direct cause first, the root cause last (the order of
/// walking `error.cause`). A cause has the keys of the error itself (`kind`,
/// `message`, `stack`), so whatever reads an error reads a cause the same way.
pub fn push_causes(item: &mut String, causes: &[Cause]) {
    if causes.is_empty() || !item.ends_with('}') {
        return;
    }
    item.pop();
    item.push_str(",\"causes\":[");
    for (i, cause) in causes.iter().enumerate() {
        if i > 0 {
            item.push_byte(b',');
        }
        item.push_str("{\"kind\":");
        push_string(item, &cause.kind);
        item.push_str(",\"message\":");
        push_string(item, &cause.message);
        push_stack(item, &cause.frames);
        item.push_byte(b'}');
    }
    item.push_str("]}");
}

fn push_optional_string(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => push_string(out, text),
        None => out.push_str("null"),
    }
}

fn push_optional_u64(out: &mut String, n: Option<u64>) {
    match n {
        Some(n) => push_u64(out, n),
        None => out.push_str("null"),
    }
}

/// A `feedback` item.
pub fn feedback_json(
    id: &str,
    ts: Millis,
    kind: &str,
    rating: Option<u8>,
    message: Option<&str>,
    contact: Option<&str>,
) -> String {
    let mut out = String::with_capacity(128 + message.map_or(0, str::len));
    out.push_str("{\"id\":");
    push_string(&mut out, id);
    out.push_str(",\"type\":\"feedback\",\"ts\":");
    push_u64(&mut out, ts);
    out.push_str(",\"kind\":");
    push_string(&mut out, kind);
    if let Some(rating) = rating {
        out.push_str(",\"rating\":");
        push_u64(&mut out, u64::from(rating));
    }
    if let Some(message) = message {
        out.push_str(",\"message\":");
        push_string(&mut out, message);
    }
    if let Some(contact) = contact {
        out.push_str(",\"contact\":");
        push_string(&mut out, contact);
    }
    out.push_byte(b'}');
    out
}

/// A `timing` item: one window of one (name, props) series.
pub fn timing_json(id: &str, name: &str, ts: Millis, props: &str, summary: &Summary) -> String {
    let mut out = String::with_capacity(256 + props.len());
    out.push_str("{\"id\":");
    push_string(&mut out, id);
    out.push_str(",\"type\":\"timing\",\"name\":");
    push_string(&mut out, name);
    out.push_str(",\"ts\":");
    push_u64(&mut out, ts);
    out.push_str(",\"props\":");
    out.push_str(props);
    out.push_str(",\"count\":");
    push_u64(&mut out, summary.count);
    let figures = [
        ("sum", summary.sum),
        ("min", summary.min),
        ("max", summary.max),
        ("p50", summary.p50),
        ("p95", summary.p95),
        ("p99", summary.p99),
    ];
    for (key, value) in figures {
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":");
        out.push_str(ms_number(value).as_str());
    }
    out.push_str(",\"unit\":\"ms\"}");
    out
}

/// A millisecond figure as a JSON number with at most 3 decimals (µs), written
/// without float formatting code (size).
pub fn ms_number(value: f64) -> Number {
    let micros = if value.is_finite() && value > 0.0 {
        (value * 1000.0 + 0.5) as u64
    } else {
        0
    };
    let mut text = String::with_capacity(16);
    push_u64(&mut text, micros / 1000);
    let frac = micros % 1000;
    if frac != 0 {
        text.push_byte(b'.');
        let digits = [frac / 100, frac / 10 % 10, frac % 10];
        let used = if frac % 100 == 0 {
            1
        } else if frac % 10 == 0 {
            2
        } else {
            3
        };
        for d in &digits[..used] {
            text.push((b'0' + *d as u8) as char);
        }
    }
    Number::parse(&text).unwrap_or_else(|| Number::from_u64(0))
}
