//! Sentry envelopes (`docs/destinations.md`): an `event` item per error, a
//! `feedback` item per feedback, a `client_report` for drops.
//!
//! Relay takes at most one event-creating item (event, feedback) per
//! envelope, so an envelope carries one stored item, plus the drops not yet
//! reported. Everything is written from the stored v1 item at send time.
//!
//! Each item starts with its header line, `{"type":…}`, written with the
//! start of its payload in one literal; the payload follows on one line,
//! ended by a newline. No `length`: Sentry reads an item without one up to
//! the next newline, and the JSON written here has none (a newline in a
//! string is escaped), so the payload is written straight into the
//! envelope, never into a `String` of its own to be measured (size).

use super::{
    item_type, list, opt_text, put, put_bool, put_field, put_opt_u64, put_path, put_str, put_time,
    put_u64, sep, text, timestamp, ItemType, Meta,
};
use crate::core::json::{self, push_escaped, push_string, push_u64, Json};
use crate::core::split::{pieces, split_last};
use crate::core::time::{push_padded, Millis};
use crate::core::wire::{DropCounts, DropReason};

/// `sentry_client` and the envelope's `sdk`: `mv3-telemetry/<version>`.
pub const CLIENT: &str = concat!("mv3-telemetry/", env!("CARGO_PKG_VERSION"));

/// The `sdk` object that ends the envelope header line (one literal: the
/// version is known at compile time).
const SDK_END: &str = concat!(
    ",\"sdk\":{\"name\":\"mv3-telemetry\",\"version\":\"",
    env!("CARGO_PKG_VERSION"),
    "\"}}\n"
);

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
        DropReason::RateLimitBackoff => "ratelimit_backoff",
    }
}

/// Appends `lit`, then a UUID's 32 hex digits without dashes as a JSON
/// string: Sentry's `event_id`. The same stored `id` gives the same
/// `event_id` on every retry. Written in place: no `String` (size).
#[inline(never)]
fn put_event_id(out: &mut String, lit: &str, id: &str) {
    put(out, lit);
    put(out, "\"");
    for part in pieces(id, b'-') {
        push_escaped(out, part);
    }
    put(out, "\"");
}

/// Unix seconds with milliseconds, `1796032800.123`: written from integers
/// (no float formatting in the wasm build).
fn push_seconds(out: &mut String, ms: Millis) {
    push_u64(out, ms / 1000);
    put(out, ".");
    // The time writer's zero padding: linked already (size).
    push_padded(out, (ms % 1000) as i64, 3);
}

/// Writes one envelope for one stored v1 item (`error` or `feedback`, as
/// sent: errors with their `count`) and, if any, the drops to report for
/// `category`, as [`drops_of`] lists them (none zero). Returns `false`
/// (writing nothing) if the item cannot go to Sentry: then only
/// [`client_report_envelope`] is worth sending.
pub fn envelope(
    meta: &Meta,
    item_text: &str,
    drops: &[(DropReason, &str, u64)],
    out: &mut String,
) -> bool {
    let Ok(item) = json::parse(item_text) else {
        return false;
    };
    let kind = item_type(&item);
    if !matches!(kind, Some(ItemType::Error | ItemType::Feedback)) {
        return false;
    }
    let id = text(&item, "id");
    push_header(Some(id), meta.now, out);
    let error = kind == Some(ItemType::Error);
    put_event_id(
        out,
        if error {
            "{\"type\":\"event\"}\n{\"event_id\":"
        } else {
            "{\"type\":\"feedback\"}\n{\"event_id\":"
        },
        id,
    );
    push_common(meta, &item, out);
    if error {
        event_payload(&item, out);
    } else {
        feedback_payload(&item, out);
    }
    put(out, "\n");
    push_client_report(drops, out);
    true
}

/// An envelope with only a `client_report`: drops reported while no item
/// goes to Sentry. Writes nothing when there is nothing to report.
pub fn client_report_envelope(meta: &Meta, drops: &[(DropReason, &str, u64)], out: &mut String) {
    if drops.is_empty() {
        return;
    }
    push_header(None, meta.now, out);
    push_client_report(drops, out);
}

/// The drops of `counts` under `category`, as [`envelope`] takes them.
pub fn drops_of(
    counts: &DropCounts,
    category: &'static str,
) -> Vec<(DropReason, &'static str, u64)> {
    let mut drops = Vec::new();
    for why in DropReason::ALL {
        let n = counts.get(why);
        if n > 0 {
            drops.push((why, category, n));
        }
    }
    drops
}

/// The envelope header line: `event_id` (for an event or feedback), `sent_at`, `sdk`.
pub(crate) fn push_header(event_id: Option<&str>, now: Millis, out: &mut String) {
    // `{"event_id":` as the payload writes it: one literal.
    match event_id {
        Some(id) => {
            put_event_id(out, "{\"event_id\":", id);
            put(out, ",");
        }
        None => put(out, "{"),
    }
    put_time(out, "\"sent_at\":", now);
    put(out, SDK_END);
}

/// A `client_report` item for `drops` (as [`drops_of`] lists them), or
/// nothing if there are none. Without a `timestamp`, which is optional:
/// Relay takes the time it received the report.
#[inline(never)]
pub(crate) fn push_client_report(drops: &[(DropReason, &str, u64)], out: &mut String) {
    if drops.is_empty() {
        return;
    }
    put(out, "{\"type\":\"client_report\"}\n{\"discarded_events\":[");
    for (why, category, quantity) in drops {
        sep(out);
        put_str(out, "{\"reason\":", reason(*why));
        put_str(out, ",\"category\":", category);
        put_u64(out, ",\"quantity\":", *quantity);
        put(out, "}");
    }
    put(out, "]}\n");
}

/// What follows the payload's `event_id` (written with the item header):
/// `timestamp`, `platform`, `release`, `environment`, `user`, `sdk`,
/// `contexts`; the same on events and feedback. Leaves the payload object
/// open inside `contexts.os`: the payload writers close it with their first
/// literal.
#[inline(never)]
fn push_common(meta: &Meta, item: &Json, out: &mut String) {
    put(out, ",\"timestamp\":");
    push_seconds(out, timestamp(item, meta.now));
    put(out, ",\"platform\":\"javascript\"");
    // `release(…)` written in place: no String.
    let version = &meta.context.app_version;
    if !version.is_empty() {
        put(out, ",\"release\":\"");
        push_escaped(out, meta.app_name);
        put(out, "@");
        push_escaped(out, version);
        put(out, "\"");
    }
    put_str(out, ",\"environment\":", &meta.context.environment);
    // The anonymous ID and nothing else about the user; `infer_ip: never`
    // keeps Sentry from storing the sender's IP address.
    put_str(out, ",\"user\":{\"id\":", meta.anonymous_id);
    // The user closed, the `sdk` with its settings, `contexts` opened: one
    // literal (gzip shares its text with `SDK_END`'s).
    put(
        out,
        concat!(
            "},\"sdk\":{\"name\":\"mv3-telemetry\",\"version\":\"",
            env!("CARGO_PKG_VERSION"),
            "\",\"settings\":{\"infer_ip\":\"never\"}},\"contexts\":{"
        ),
    );
    let (browser, version) =
        split_last(&meta.context.browser, b' ').unwrap_or((meta.context.browser.as_str(), ""));
    put_str(out, "\"browser\":{\"name\":", browser);
    if !version.is_empty() {
        put_str(out, ",\"version\":", version);
    }
    put_str(out, "},\"os\":{\"name\":", &meta.context.os);
}

fn event_payload(item: &Json, out: &mut String) {
    put(out, "}},\"level\":\"error\",\"exception\":{\"values\":[");
    push_exception_list(item, false, out);
    put(out, "]}");
    if put_opt_u64(out, ",\"extra\":{\"count\":", item, "count") {
        if let Some(context) = item.get("context") {
            put(out, ",\"context\":");
            json::write(context, out);
        }
        put(out, "}");
    }
    let crumbs = list(item, "breadcrumbs");
    if !crumbs.is_empty() {
        put(out, ",\"breadcrumbs\":{\"values\":[");
        for crumb in crumbs {
            sep(out);
            put(out, "{\"timestamp\":");
            push_seconds(out, timestamp(crumb, 0));
            put_field(out, ",\"category\":\"track\",\"message\":", crumb, "name");
            put(out, "}");
        }
        put(out, "]}");
    }
    put(out, "}");
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
    let causes = list(item, "causes");
    let mechanism = item
        .get("context")
        .and_then(|c| c.get("mechanism"))
        .and_then(Json::as_str)
        .unwrap_or("generic");
    // The global handlers caught what nobody handled; captureError was called by someone who did.
    let handled = !matches!(mechanism, "onerror" | "onunhandledrejection");
    let n = causes.len();
    for k in 0..=n {
        // depth 0 is the thrown error, depth d its d-th cause.
        let depth = if posthog { k } else { n - k };
        let value = match depth {
            0 => item,
            d => &causes[d - 1],
        };
        sep(out);
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
    put_str(out, "{\"type\":", non_empty(text(value, "kind"), "Error"));
    put_field(out, ",\"value\":", value, "message");
    put_str(
        out,
        ",\"mechanism\":{\"type\":",
        if depth == 0 { mechanism } else { "chained" },
    );
    put_bool(out, ",\"handled\":", handled);
    if n > 0 {
        if depth > 0 {
            put_u64(
                out,
                ",\"source\":\"cause\",\"parent_id\":",
                depth as u64 - 1,
            );
        }
        put_u64(out, ",\"exception_id\":", depth as u64);
    }
    put(out, "},\"stacktrace\":{");
    if posthog {
        put(out, "\"type\":\"raw\",");
    }
    put(out, "\"frames\":[");
    // v1 frames are V8's order, innermost first; Sentry wants the caller first.
    for frame in list(value, "stack").iter().rev() {
        sep(out);
        push_frame(frame, posthog, out);
    }
    put(out, "]}}");
}

/// One frame in Sentry's shape; shared with PostHog's `$exception_list`.
#[inline(never)]
fn push_frame(frame: &Json, posthog: bool, out: &mut String) {
    let file = opt_text(frame, "file");
    put_str(
        out,
        if posthog {
            "{\"platform\":\"web:javascript\",\"function\":"
        } else {
            "{\"function\":"
        },
        non_empty(text(frame, "function"), "?"),
    );
    if let Some(file) = file {
        put_path(out, ",\"filename\":", file);
        put_path(out, ",\"abs_path\":", file);
    }
    put_opt_u64(out, ",\"lineno\":", frame, "line");
    put_opt_u64(out, ",\"colno\":", frame, "column");
    // The extension's own files (reduced to `/path` at record time) are the
    // app; `<anonymous>`, `native` and other origins are not.
    let in_app = file.is_some_and(|f| f.starts_with('/'));
    put_bool(out, ",\"in_app\":", in_app);
    put(out, "}");
}

#[inline(never)]
fn feedback_payload(item: &Json, out: &mut String) {
    let kind = text(item, "kind");
    let message = text(item, "message");
    put(out, "},\"feedback\":{\"message\":");
    if message.is_empty() {
        // Sentry requires a message; a rating-only feedback says its rating.
        put(out, "\"");
        push_escaped(out, kind);
        put_opt_u64(out, " rating ", item, "rating");
        put(out, "\"");
    } else {
        push_string(out, message);
    }
    if let Some(contact) = opt_text(item, "contact") {
        put_str(out, ",\"contact_email\":", contact);
    }
    put_str(out, "}},\"tags\":{\"feedback.type\":", kind);
    if put_opt_u64(out, ",\"feedback.rating\":\"", item, "rating") {
        put(out, "\"");
    }
    put(out, "}}");
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
    push_header(None, update.now, out);
    push_session_item(update, out)
}

/// Appends a `session` item (its header line and payload line) to an
/// envelope being written, e.g. after an event: a session update may ride
/// on any envelope. Returns `false`, writing nothing, without a release.
/// Its rate-limit category is `session`.
#[inline(never)]
pub fn push_session_item(update: &SessionUpdate, out: &mut String) -> bool {
    if update.release.is_empty() {
        return false;
    }
    let p = out;
    // The item header with the start of the payload (module doc).
    put_str(p, "{\"type\":\"session\"}\n{\"sid\":", update.sid);
    put_str(p, ",\"did\":", update.did);
    if update.init {
        put(p, ",\"init\":true");
    }
    put_time(p, ",\"started\":", update.started);
    put_time(p, ",\"timestamp\":", update.now);
    put(p, ",\"duration\":");
    push_seconds(p, update.now.saturating_sub(update.started));
    put_str(p, ",\"status\":", update.status.as_str());
    put_u64(p, ",\"errors\":", update.errors);
    put_str(p, ",\"attrs\":{\"release\":", update.release);
    put_str(p, ",\"environment\":", update.environment);
    put(p, "}}\n");
    true
}
