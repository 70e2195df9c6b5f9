//! PostHog's `POST /batch/` (`docs/destinations.md`): events as they are,
//! errors as `$exception` events with `$exception_list` (Sentry's
//! exception shape). `$process_person_profile: false` keeps the events
//! anonymous: PostHog creates no person profile for the anonymous ID.

use super::{number, sentry, text, Meta, PosthogOptions};
use crate::core::json::{self, push_string, Json};
use crate::core::time::format_rfc3339;
use crate::core::wire::SDK_VERSION;

/// The capture path.
pub const BATCH_PATH: &str = "/batch/";

/// The `/batch/` body for stored v1 items (events and errors; others are
/// skipped). Returns how many events it wrote.
pub fn batch(options: &PosthogOptions, meta: &Meta, items: &[&str], out: &mut String) -> usize {
    out.push_str("{\"api_key\":");
    push_string(out, &options.api_key);
    out.push_str(",\"historical_migration\":false,\"sent_at\":");
    push_string(out, &format_rfc3339(meta.now));
    out.push_str(",\"batch\":[");
    let mut written = 0;
    for stored in items {
        let Ok(item) = json::parse(stored) else {
            continue;
        };
        let item_type = text(&item, "type");
        if !matches!(item_type, "event" | "error") {
            continue;
        }
        if written > 0 {
            out.push(',');
        }
        written += 1;
        event(meta, item_type, &item, out);
    }
    out.push_str("]}");
    written
}

fn event(meta: &Meta, kind: &str, item: &Json, out: &mut String) {
    out.push_str("{\"event\":");
    push_string(
        out,
        if kind == "error" {
            "$exception"
        } else {
            text(item, "name")
        },
    );
    out.push_str(",\"distinct_id\":");
    push_string(out, meta.anonymous_id);
    // The stored id: a retried batch carries the same uuid, and PostHog de-duplicates on it.
    out.push_str(",\"uuid\":");
    push_string(out, text(item, "id"));
    out.push_str(",\"timestamp\":");
    push_string(out, &format_rfc3339(number(item, "ts").unwrap_or(meta.now)));
    out.push_str(",\"properties\":{\"$lib\":\"mv3-telemetry\",\"$lib_version\":\"");
    out.push_str(SDK_VERSION);
    out.push_str("\",\"$process_person_profile\":false,\"$app_version\":");
    push_string(out, &meta.context.app_version);
    out.push_str(",\"environment\":");
    push_string(out, &meta.context.environment);
    out.push_str(",\"$browser\":");
    push_string(out, &meta.context.browser);
    out.push_str(",\"$os\":");
    push_string(out, &meta.context.os);
    if kind == "error" {
        out.push_str(",\"$exception_level\":\"error\",\"$exception_list\":[");
        sentry::push_exception_list(item, true, out);
        out.push(']');
        if let Some(count) = number(item, "count") {
            out.push_str(",\"count\":");
            json::push_u64(out, count);
        }
    } else if let Some(Json::Object(props)) = item.get("props") {
        for (key, value) in props {
            // Our own keys win: a prop cannot turn person processing back on.
            if key.starts_with('$') {
                continue;
            }
            out.push(',');
            push_string(out, key);
            out.push(':');
            json::write(value, out);
        }
    }
    out.push_str("}}");
}
