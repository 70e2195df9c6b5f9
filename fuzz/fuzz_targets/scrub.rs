//! Scrubber fuzz target: never panics, idempotent on text and on JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mv3_telemetry::core::scrub::{ScrubOptions, Scrubber};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let plain = Scrubber::default();
    let custom = Scrubber::new(ScrubOptions {
        deny_keys: vec!["email".into(), "userName".into()],
        allow_keys: vec!["session_id".into()],
    });
    for s in [&plain, &custom] {
        let once = s.scrub_text(&text).into_owned();
        let twice = s.scrub_text(&once).into_owned();
        assert_eq!(once, twice, "not idempotent on {text:?}");
        let _ = s.is_sensitive_key(&text);
    }
    if let Ok(mut v) = mv3_telemetry::core::json::parse(&text) {
        plain.scrub_value(&mut v);
        let mut again = v.clone();
        plain.scrub_value(&mut again);
        assert_eq!(v, again, "scrub_value not idempotent");
    }
});
