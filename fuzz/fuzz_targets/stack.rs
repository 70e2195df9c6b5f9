//! Stack parser fuzz target: never panics, bounded output, serializable,
//! deterministic fingerprint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mv3_telemetry::core::fingerprint::{fingerprint, normalize_message};
use mv3_telemetry::core::stack::{parse_v8_stack, Frame, MAX_FRAMES};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let frames = parse_v8_stack(&text);
    assert!(frames.len() <= MAX_FRAMES);
    // Through the core's own JSON, as the SDK sends frames.
    let mut json = String::new();
    mv3_telemetry::core::json::push_array(&mut json, &frames, |out, frame| frame.to_json(out));
    let parsed = mv3_telemetry::core::json::parse(&json).expect("frames are JSON");
    let back = parsed.array_of(Frame::from_json).expect("frames read back");
    assert_eq!(back, frames);
    let first_line = text.lines().next().unwrap_or("");
    let a = fingerprint("Error", first_line, &frames);
    assert_eq!(a, fingerprint("Error", first_line, &frames));
    assert_eq!(a.len(), 16);
    let n = normalize_message(&text);
    assert!(n.len() <= text.len() * 5 + 8, "placeholders are bounded");
});
