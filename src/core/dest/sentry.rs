//! Sentry envelopes (`docs/destinations.md`): an `event` item per error, a
//! `feedback` item per feedback, a `client_report` for drops.
//!
//! Relay takes at most one event-creating item (event, feedback) per
//! envelope, so an envelope carries one stored item, plus the drops not yet
//! reported. Everything is written from the stored v1 item at send time.

use super::{app_path, number, opt_text, split_last, text, Meta};
use crate::core::json::{self, push_string, push_u64, Json};
use crate::core::time::{format_rfc3339, Millis};
use crate::core::wire::{DropCounts, DropReason, SDK_VERSION};

/// `sentry_client` and the envelope's `sdk`: `mv3-telemetry/<version>`.
pub const CLIENT: &str = concat!("mv3-telemetry/", env!("CARGO_PKG_VERSION"));

/// The Sentry data category of a v1 item type, for rate limits and client
/// reports; `None` for types Sentry does not carry.
pub fn category(item_type: &str) -> Option<&'static str> {
    match item_type {
        "error" => Some("error"),
        "feedback" => Some("feedback"),
        _ => None,
    }
}

/// Sentry's client-report reason for one of our drop reasons.
pub fn reason(reason: DropReason) -> &'static str {
    match reason {
        DropReason::QueueFull => "queue_overflow",
        DropReason::Sampled => "sample_rate",
        DropReason::BeforeSend => "before_send",
        DropReason::Rejected => "send_error",
        DropReason::Invalid => "invalid",
        DropReason::RetryExhausted => "network_error",
        DropReason::HookError => "internal_sdk_error",
        // The SDK's own storage bound: Sentry's name for a full buffer.
        DropReason::StorageFull => "buffer_overflow",
        DropReason::CorruptState => "internal_sdk_error",
    }
}

/// A UUID's 32 hex digits without dashes: Sentry's `event_id`. The same
/// stored `id` gives the same `event_id` on every retry.
pub fn event_id(id: &str) -> String {
    let mut out = String::with_capacity(32);
    for b in id.bytes().filter(|b| *b != b'-') {
        out.push(b as char);
    }
    out
}

/// Unix seconds with milliseconds, `1796032800.123`: written from integers
/// (no float formatting in the wasm build).
fn push_seconds(out: &mut String, ms: Millis) {
    push_u64(out, ms / 1000);
    out.push('.');
    let frac = ms % 1000;
    out.push((b'0' + (frac / 100) as u8) as char);
    out.push((b'0' + (frac / 10 % 10) as u8) as char);
    out.push((b'0' + (frac % 10) as u8) as char);
}

/// Writes one envelope for one stored v1 item (`error` or `feedback`, as
/// sent: errors with their `count`) and, if any, the drops to report for
/// `category`. Returns `false` (writing nothing) if the item cannot go to
/// Sentry: then only [`client_report_envelope`] is worth sending.
pub fn envelope(
    meta: &Meta,
    item_text: &str,
    drops: &[(DropReason, &str, u64)],
    out: &mut String,
) -> bool {
    let Ok(item) = json::parse(item_text) else {
        return false;
    };
    let kind = text(&item, "type");
    if category(kind).is_none() {
        return false;
    }
    let id = event_id(text(&item, "id"));
    out.push_str("{\"event_id\":");
    push_string(out, &id);
    push_header_tail(meta.now, out);
    let mut payload = String::with_capacity(item_text.len() + 512);
    if kind == "error" {
        event_payload(meta, &id, &item, &mut payload);
        out.push_str("{\"type\":\"event\",\"length\":");
    } else {
        feedback_payload(meta, &id, &item, &mut payload);
        out.push_str("{\"type\":\"feedback\",\"length\":");
    }
    push_u64(out, payload.len() as u64);
    out.push_str("}\n");
    out.push_str(&payload);
    out.push('\n');
    push_client_report(meta.now, drops, out);
    true
}

/// An envelope with only a `client_report`: drops reported while no item
/// goes to Sentry. Writes nothing when there is nothing to report.
pub fn client_report_envelope(meta: &Meta, drops: &[(DropReason, &str, u64)], out: &mut String) {
    if drops.iter().all(|d| d.2 == 0) {
        return;
    }
    out.push('{');
    let start = out.len();
    push_header_tail(meta.now, out);
    // `push_header_tail` starts with a comma after the event id.
    out.remove(start);
    push_client_report(meta.now, drops, out);
}

/// The drops of `counts` under `category`, as [`envelope`] takes them.
pub fn drops_of(
    counts: &DropCounts,
    category: &'static str,
) -> Vec<(DropReason, &'static str, u64)> {
    DropReason::ALL
        .into_iter()
        .filter(|r| counts.get(*r) > 0)
        .map(|r| (r, category, counts.get(r)))
        .collect()
}

fn push_header_tail(now: Millis, out: &mut String) {
    out.push_str(",\"sent_at\":");
    push_string(out, &format_rfc3339(now));
    out.push_str(",\"sdk\":{\"name\":\"mv3-telemetry\",\"version\":\"");
    out.push_str(SDK_VERSION);
    out.push_str("\"}}\n");
}

fn push_client_report(now: Millis, drops: &[(DropReason, &str, u64)], out: &mut String) {
    if drops.iter().all(|d| d.2 == 0) {
        return;
    }
    let mut payload = String::from("{\"timestamp\":");
    push_seconds(&mut payload, now);
    payload.push_str(",\"discarded_events\":[");
    let mut first = true;
    for (why, category, quantity) in drops.iter().filter(|d| d.2 > 0) {
        if !first {
            payload.push(',');
        }
        first = false;
        payload.push_str("{\"reason\":\"");
        payload.push_str(reason(*why));
        payload.push_str("\",\"category\":");
        push_string(&mut payload, category);
        payload.push_str(",\"quantity\":");
        push_u64(&mut payload, *quantity);
        payload.push('}');
    }
    payload.push_str("]}");
    out.push_str("{\"type\":\"client_report\",\"length\":");
    push_u64(out, payload.len() as u64);
    out.push_str("}\n");
    out.push_str(&payload);
    out.push('\n');
}

/// `release`, `environment`, `user`, `sdk`, `contexts`: the same on events and feedback.
fn push_common(meta: &Meta, id: &str, ts: Millis, out: &mut String) {
    out.push_str("{\"event_id\":");
    push_string(out, id);
    out.push_str(",\"timestamp\":");
    push_seconds(out, ts);
    out.push_str(",\"platform\":\"javascript\"");
    if let Some(release) = release(meta.app_name, &meta.context.app_version) {
        out.push_str(",\"release\":");
        push_string(out, &release);
    }
    out.push_str(",\"environment\":");
    push_string(out, &meta.context.environment);
    // The anonymous ID and nothing else about the user; `infer_ip: never`
    // keeps Sentry from storing the sender's IP address.
    out.push_str(",\"user\":{\"id\":");
    push_string(out, meta.anonymous_id);
    out.push_str("},\"sdk\":{\"name\":\"mv3-telemetry\",\"version\":\"");
    out.push_str(SDK_VERSION);
    out.push_str("\",\"settings\":{\"infer_ip\":\"never\"}},\"contexts\":{");
    let (browser, version) =
        split_last(&meta.context.browser, b' ').unwrap_or((meta.context.browser.as_str(), ""));
    out.push_str("\"browser\":{\"name\":");
    push_string(out, browser);
    if !version.is_empty() {
        out.push_str(",\"version\":");
        push_string(out, version);
    }
    out.push_str("},\"os\":{\"name\":");
    push_string(out, &meta.context.os);
    out.push_str("},\"app\":{\"app_version\":");
    push_string(out, &meta.context.app_version);
    out.push('}');
}

fn event_payload(meta: &Meta, id: &str, item: &Json, out: &mut String) {
    let ts = number(item, "ts").unwrap_or(meta.now);
    push_common(meta, id, ts, out);
    out.push_str("},\"level\":\"error\"");
    let context = item.get("context");
    out.push_str(",\"exception\":{\"values\":[");
    push_exception_list(item, false, out);
    out.push_str("]}");
    if let Some(count) = number(item, "count") {
        out.push_str(",\"extra\":{\"count\":");
        push_u64(out, count);
        if let Some(context) = context {
            out.push_str(",\"context\":");
            json::write(context, out);
        }
        out.push('}');
    }
    let crumbs = item
        .get("breadcrumbs")
        .and_then(Json::as_array)
        .unwrap_or_default();
    if !crumbs.is_empty() {
        out.push_str(",\"breadcrumbs\":{\"values\":[");
        for (i, crumb) in crumbs.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"timestamp\":");
            push_seconds(out, number(crumb, "ts").unwrap_or(0));
            out.push_str(",\"category\":\"track\",\"message\":");
            push_string(out, text(crumb, "name"));
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push('}');
}

fn non_empty<'a>(text: &'a str, fallback: &'a str) -> &'a str {
    if text.is_empty() {
        fallback
    } else {
        text
    }
}

/// The error item and its `causes` as exception values in Sentry's shape,
/// shared with PostHog's `$exception_list`. The order differs: Sentry reads
/// `exception.values` oldest first (the root cause first, the thrown error
/// last), PostHog's own SDK writes the thrown error first, then its causes.
/// The v1 item's `causes` run from the direct cause to the root cause.
pub(crate) fn push_exception_list(item: &Json, posthog: bool, out: &mut String) {
    let causes = item
        .get("causes")
        .and_then(Json::as_array)
        .unwrap_or_default();
    let mechanism = item
        .get("context")
        .and_then(|c| c.get("mechanism"))
        .and_then(Json::as_str)
        .unwrap_or("generic");
    // The global handlers caught what nobody handled; captureError was called by someone who did.
    let handled = !matches!(mechanism, "onerror" | "onunhandledrejection");
    let n = causes.len();
    for k in 0..=n {
        if k > 0 {
            out.push(',');
        }
        // depth 0 is the thrown error, depth d its d-th cause.
        let depth = if posthog { k } else { n - k };
        let value = match depth {
            0 => item,
            d => &causes[d - 1],
        };
        push_exception(value, mechanism, handled, depth, n, posthog, out);
    }
}

/// One exception value: the thrown error (`depth` 0) or one of its `n`
/// causes. With causes, the mechanisms link them the way Sentry's own SDK
/// does (`exception_id` per value, a cause's `parent_id` the value it caused).
fn push_exception(
    value: &Json,
    mechanism: &str,
    handled: bool,
    depth: usize,
    n: usize,
    posthog: bool,
    out: &mut String,
) {
    out.push_str("{\"type\":");
    push_string(out, non_empty(text(value, "kind"), "Error"));
    out.push_str(",\"value\":");
    push_string(out, text(value, "message"));
    out.push_str(",\"mechanism\":{\"type\":");
    push_string(out, if depth == 0 { mechanism } else { "chained" });
    out.push_str(",\"handled\":");
    out.push_str(if handled { "true" } else { "false" });
    if n > 0 {
        if depth > 0 {
            out.push_str(",\"source\":\"cause\",\"parent_id\":");
            push_u64(out, depth as u64 - 1);
        }
        out.push_str(",\"exception_id\":");
        push_u64(out, depth as u64);
    }
    out.push_str(if posthog {
        "},\"stacktrace\":{\"type\":\"raw\",\"frames\":["
    } else {
        "},\"stacktrace\":{\"frames\":["
    });
    // v1 frames are V8's order, innermost first; Sentry wants the caller first.
    let frames = value
        .get("stack")
        .and_then(Json::as_array)
        .unwrap_or_default();
    for (i, frame) in frames.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_frame(frame, posthog, out);
    }
    out.push_str("]}}");
}

/// One frame in Sentry's shape; shared with PostHog's `$exception_list`.
fn push_frame(frame: &Json, posthog: bool, out: &mut String) {
    let file = opt_text(frame, "file");
    out.push_str(if posthog {
        "{\"platform\":\"web:javascript\",\"function\":"
    } else {
        "{\"function\":"
    });
    push_string(out, non_empty(text(frame, "function"), "?"));
    if let Some(file) = file {
        let path = app_path(file);
        out.push_str(",\"filename\":");
        push_string(out, &path);
        out.push_str(",\"abs_path\":");
        push_string(out, &path);
    }
    for (from, to) in [("line", "lineno"), ("column", "colno")] {
        if let Some(n) = frame.get(from).and_then(Json::as_u64) {
            out.push_str(",\"");
            out.push_str(to);
            out.push_str("\":");
            push_u64(out, n);
        }
    }
    // The extension's own files (reduced to `/path` at record time) are the
    // app; `<anonymous>`, `native` and other origins are not.
    let in_app = file.is_some_and(|f| f.starts_with('/'));
    out.push_str(",\"in_app\":");
    out.push_str(if in_app { "true" } else { "false" });
    out.push('}');
}

fn feedback_payload(meta: &Meta, id: &str, item: &Json, out: &mut String) {
    let ts = number(item, "ts").unwrap_or(meta.now);
    push_common(meta, id, ts, out);
    out.push_str(",\"feedback\":{\"message\":");
    // Sentry requires a message; a rating-only feedback says its rating.
    let message = text(item, "message");
    let mut fallback = String::new();
    if message.is_empty() {
        fallback.push_str(text(item, "kind"));
        if let Some(rating) = number(item, "rating") {
            fallback.push_str(" rating ");
            push_u64(&mut fallback, rating);
        }
    }
    push_string(
        out,
        if message.is_empty() {
            &fallback
        } else {
            message
        },
    );
    if let Some(contact) = opt_text(item, "contact") {
        out.push_str(",\"contact_email\":");
        push_string(out, contact);
    }
    out.push_str("}},\"tags\":{\"feedback.type\":");
    push_string(out, text(item, "kind"));
    if let Some(rating) = number(item, "rating") {
        out.push_str(",\"feedback.rating\":\"");
        push_u64(out, rating);
        out.push('"');
    }
    out.push_str("}}");
}

/// Sentry's `release`, `<app name>@<version>` (Sentry wants it unique across
/// projects); `None` without a version.
pub fn release(app_name: &str, app_version: &str) -> Option<String> {
    (!app_version.is_empty()).then(|| app_name.to_owned() + "@" + app_version)
}

/// A release-health session's status (`docs/destinations.md`, "Release
/// health"). `errored` is not a status: a session with `errors > 0` stays
/// `Ok` and Sentry counts it as errored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Running (with or without handled errors).
    Ok,
    /// Ended normally: no activity for the idle timeout.
    Exited,
    /// An unhandled error (`onerror`, `onunhandledrejection`) was captured.
    Crashed,
    /// Ended in an unknown state.
    Abnormal,
}

impl SessionStatus {
    /// The rule the engine applies: an unhandled error crashes the session
    /// (terminal: it wins over an end), a session over its idle timeout has
    /// exited, anything else is running.
    pub fn of(crashed: bool, ended: bool) -> SessionStatus {
        match (crashed, ended) {
            (true, _) => SessionStatus::Crashed,
            (false, true) => SessionStatus::Exited,
            (false, false) => SessionStatus::Ok,
        }
    }

    /// Sentry's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Ok => "ok",
            SessionStatus::Exited => "exited",
            SessionStatus::Crashed => "crashed",
            SessionStatus::Abnormal => "abnormal",
        }
    }
}

/// One update of a release-health session, in plain values: what
/// [`session_envelope`] and [`push_session_item`] write.
#[derive(Debug, Clone, Copy)]
pub struct SessionUpdate<'a> {
    /// The session's UUID (`sid`): the engine's session id.
    pub sid: &'a str,
    /// The anonymous ID (`did`; Sentry hashes it): crash-free users need it.
    pub did: &'a str,
    /// True on the session's first update (Sentry requires `init` then).
    pub init: bool,
    /// When the session started (its first activity).
    pub started: Millis,
    /// Now: the update's `timestamp`, and the envelope's `sent_at`.
    pub now: Millis,
    /// Errors captured in the session so far.
    pub errors: u64,
    /// See [`SessionStatus::of`].
    pub status: SessionStatus,
    /// `attrs.release`, required by Sentry: see [`release`].
    pub release: &'a str,
    /// `attrs.environment`.
    pub environment: &'a str,
}

/// An envelope with one `session` item (header `sent_at` and `sdk`, no
/// `event_id`). Returns `false`, writing nothing, without a release: Sentry
/// drops such sessions.
pub fn session_envelope(update: &SessionUpdate, out: &mut String) -> bool {
    if update.release.is_empty() {
        return false;
    }
    out.push('{');
    let start = out.len();
    push_header_tail(update.now, out);
    // `push_header_tail` starts with a comma after the event id.
    out.remove(start);
    push_session_item(update, out)
}

/// Appends a `session` item (its header line and payload line) to an
/// envelope being written, e.g. after an event: a session update may ride
/// on any envelope. Returns `false`, writing nothing, without a release.
/// Its rate-limit category is `session`.
pub fn push_session_item(update: &SessionUpdate, out: &mut String) -> bool {
    if update.release.is_empty() {
        return false;
    }
    let mut payload = String::with_capacity(320);
    payload.push_str("{\"sid\":");
    push_string(&mut payload, update.sid);
    payload.push_str(",\"did\":");
    push_string(&mut payload, update.did);
    if update.init {
        payload.push_str(",\"init\":true");
    }
    payload.push_str(",\"started\":");
    push_string(&mut payload, &format_rfc3339(update.started));
    payload.push_str(",\"timestamp\":");
    push_string(&mut payload, &format_rfc3339(update.now));
    payload.push_str(",\"duration\":");
    push_seconds(&mut payload, update.now.saturating_sub(update.started));
    payload.push_str(",\"status\":\"");
    payload.push_str(update.status.as_str());
    payload.push_str("\",\"errors\":");
    push_u64(&mut payload, update.errors);
    payload.push_str(",\"attrs\":{\"release\":");
    push_string(&mut payload, update.release);
    payload.push_str(",\"environment\":");
    push_string(&mut payload, update.environment);
    payload.push_str("}}");
    out.push_str("{\"type\":\"session\",\"length\":");
    push_u64(out, payload.len() as u64);
    out.push_str("}\n");
    out.push_str(&payload);
    out.push('\n');
    true
}
