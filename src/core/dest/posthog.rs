//! PostHog's `POST /batch/` (`docs/destinations.md`): events as they are,
//! errors as `$exception` events with `$exception_list` (Sentry's
//! exception shape). `$process_person_profile: false` keeps the events
//! anonymous: PostHog creates no person profile for the anonymous ID.

use super::{
    item_type, put, put_field, put_opt_u64, put_str, put_time, sentry, sep, text, timestamp,
    ItemType, Meta, PosthogOptions,
};
use crate::core::json::{self, Json};

/// The capture path.
pub const BATCH_PATH: &str = "/batch/";

/// The `/batch/` body for stored v1 items (events and errors; others are
/// skipped). Returns how many events it wrote.
pub fn batch(options: &PosthogOptions, meta: &Meta, items: &[&str], out: &mut String) -> usize {
    put_str(out, "{\"api_key\":", &options.api_key);
    put_time(out, ",\"sent_at\":", meta.now);
    put(out, ",\"batch\":[");
    let mut written = 0;
    for stored in items {
        let Ok(item) = json::parse(stored) else {
            continue;
        };
        if event(meta, &item, out) {
            written += 1;
        }
    }
    put(out, "]}");
    written
}

/// One event for an event or error item; `false`, writing nothing, for others.
#[inline(never)]
fn event(meta: &Meta, item: &Json, out: &mut String) -> bool {
    let (name, error) = match item_type(item) {
        Some(ItemType::Event) => (text(item, "name"), false),
        Some(ItemType::Error) => ("$exception", true),
        _ => return false,
    };
    sep(out);
    put_str(out, "{\"event\":", name);
    put_str(out, ",\"distinct_id\":", meta.anonymous_id);
    // The stored id: a retried batch carries the same uuid, and PostHog de-duplicates on it.
    put_field(out, ",\"uuid\":", item, "id");
    put_time(out, ",\"timestamp\":", timestamp(item, meta.now));
    put_str(
        out,
        concat!(
            ",\"properties\":{\"$lib\":\"mv3-telemetry\",\"$lib_version\":\"",
            env!("CARGO_PKG_VERSION"),
            "\",\"$process_person_profile\":false,\"$app_version\":"
        ),
        &meta.context.app_version,
    );
    put_str(out, ",\"environment\":", &meta.context.environment);
    put_str(out, ",\"$browser\":", &meta.context.browser);
    put_str(out, ",\"$os\":", &meta.context.os);
    if error {
        put(out, ",\"$exception_level\":\"error\",\"$exception_list\":[");
        sentry::push_exception_list(item, true, out);
        put(out, "]");
        put_opt_u64(out, ",\"count\":", item, "count");
    } else if let Some(Json::Object(props)) = item.get("props") {
        for (key, value) in props {
            // Our own keys win: a prop cannot turn person processing back on.
            if key.starts_with('$') {
                continue;
            }
            put_str(out, ",", key);
            put(out, ":");
            json::write(value, out);
        }
    }
    put(out, "}}");
    true
}
