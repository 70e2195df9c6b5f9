#![cfg(not(target_arch = "wasm32"))]
//! V8 stack parser and fingerprint tests on stacks as Chrome prints them in
//! an extension's service worker.

use mv3_telemetry::core::fingerprint::{fingerprint, normalize_message};
use mv3_telemetry::core::stack::{parse_v8_stack, Frame, MAX_FRAMES};

const EXT: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

fn frame(
    function: Option<&str>,
    file: Option<&str>,
    line: Option<u32>,
    column: Option<u32>,
) -> Frame {
    Frame {
        function: function.map(str::to_owned),
        file: file.map(str::to_owned),
        line,
        column,
    }
}

#[test]
fn sync_stack_from_service_worker() {
    let stack = format!(
        "TypeError: Cannot read properties of undefined (reading 'id')\n    at handleMessage ({EXT}/background.js:42:17)\n    at Object.<anonymous> ({EXT}/lib/router.js:7:3)\n    at {EXT}/background.js:120:5"
    );
    assert_eq!(
        parse_v8_stack(&stack),
        vec![
            frame(
                Some("handleMessage"),
                Some("/background.js"),
                Some(42),
                Some(17)
            ),
            frame(
                Some("Object.<anonymous>"),
                Some("/lib/router.js"),
                Some(7),
                Some(3)
            ),
            frame(None, Some("/background.js"), Some(120), Some(5)),
        ]
    );
}

#[test]
fn async_new_native_and_anonymous_frames() {
    let stack = format!(
        "Error: boom\n    at new Queue ({EXT}/lib/queue.js:3:9)\n    at async Promise.all (index 0)\n    at async flush ({EXT}/bg.js:10:2)\n    at Array.map (native)\n    at <anonymous>\n    at Foo.bar [as baz] ({EXT}/a.js:1:1)"
    );
    let f = parse_v8_stack(&stack);
    assert_eq!(
        f[0],
        frame(Some("new Queue"), Some("/lib/queue.js"), Some(3), Some(9))
    );
    assert_eq!(
        f[1],
        frame(Some("Promise.all"), Some("index 0"), None, None)
    );
    assert_eq!(
        f[2],
        frame(Some("flush"), Some("/bg.js"), Some(10), Some(2))
    );
    assert_eq!(f[3], frame(Some("Array.map"), Some("native"), None, None));
    assert_eq!(f[4], frame(None, Some("<anonymous>"), None, None));
    assert_eq!(
        f[5],
        frame(Some("Foo.bar [as baz]"), Some("/a.js"), Some(1), Some(1))
    );
}

#[test]
fn eval_frames_point_at_the_eval_origin() {
    let stack = format!(
        "ReferenceError: x is not defined\n    at eval (eval at load ({EXT}/lib/loader.js:10:15), <anonymous>:1:1)\n    at eval (eval at outer (eval at inner ({EXT}/x.js:2:3)), <anonymous>:4:5)"
    );
    let f = parse_v8_stack(&stack);
    assert_eq!(
        f[0],
        frame(Some("eval"), Some("/lib/loader.js"), Some(10), Some(15))
    );
    assert_eq!(f[1], frame(Some("eval"), Some("/x.js"), Some(2), Some(3)));
}

#[test]
fn wasm_frames() {
    let stack = format!(
        "RuntimeError: unreachable\n    at mv3_telemetry.wasm.__wbg_x ({EXT}/pkg/x_bg.wasm:wasm-function[12]:0x1a2b)\n    at mv3_telemetry.wasm.core::scrub::run (wasm://wasm/mv3_telemetry-0012abcd:wasm-function[7]:0x5f)\n    at x_bg.wasm.f ({EXT}/pkg/x_bg.wasm:0x400)\n    at {EXT}/pkg/x.js:55:9"
    );
    let f = parse_v8_stack(&stack);
    assert_eq!(
        f[0],
        frame(
            Some("mv3_telemetry.wasm.__wbg_x"),
            Some("/pkg/x_bg.wasm"),
            Some(12),
            Some(0x1a2b)
        )
    );
    assert_eq!(
        f[1],
        frame(
            Some("mv3_telemetry.wasm.core::scrub::run"),
            Some("wasm://wasm/mv3_telemetry-0012abcd"),
            Some(7),
            Some(0x5f)
        )
    );
    assert_eq!(
        f[2],
        frame(
            Some("x_bg.wasm.f"),
            Some("/pkg/x_bg.wasm"),
            None,
            Some(0x400)
        )
    );
    assert_eq!(f[3], frame(None, Some("/pkg/x.js"), Some(55), Some(9)));
}

#[test]
fn header_lines_are_skipped_and_other_files_kept() {
    let stack = "Error: line one\nline two of the message\n  at f (https://cdn.example.com/lib.js:1:2)\n\tat g (chrome-extension://short/x.js:3:4)";
    let f = parse_v8_stack(stack);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].file.as_deref(), Some("https://cdn.example.com/lib.js"));
    // Not a 32-letter extension id: left as is.
    assert_eq!(f[1].file.as_deref(), Some("chrome-extension://short/x.js"));
    assert!(parse_v8_stack("").is_empty());
    assert!(parse_v8_stack("just a message").is_empty());
}

#[test]
fn bounded() {
    let mut stack = String::from("Error: deep\n");
    for k in 0..500 {
        stack.push_str(&format!("    at f{k} ({EXT}/a.js:{k}:1)\n"));
    }
    assert_eq!(parse_v8_stack(&stack).len(), MAX_FRAMES);
    let long = format!("    at {} (x.js:1:1)", "é".repeat(5000));
    let f = parse_v8_stack(&long);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].function.as_deref().unwrap_or("").len() + f[0].file.as_deref().unwrap_or("").len()
            <= 1024
    );
}

#[test]
fn a_frame_is_written_with_nulls_and_reads_back() {
    let f = frame(Some("f"), None, Some(1), None);
    let mut text = String::new();
    f.to_json(&mut text);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"function": "f", "file": null, "line": 1, "column": null})
    );
    let back = Frame::from_json(&mv3_telemetry::core::json::parse(&text).unwrap());
    assert_eq!(back, Some(f));
}

#[test]
fn normalized_messages_group() {
    assert_eq!(
        normalize_message("Failed to fetch item 123"),
        normalize_message("Failed to fetch item 456")
    );
    assert_eq!(
        normalize_message("request 123e4567-e89b-12d3-a456-426614174000 timed out after 30.5 s"),
        "request <uuid> timed out after <n> s"
    );
    assert_eq!(
        normalize_message("object 0x7ffe12ab freed"),
        "object <hex> freed"
    );
    assert_eq!(
        normalize_message("commit 9fceb02d0ae5 missing"),
        "commit <hex> missing"
    );
    assert_eq!(
        normalize_message("key 'item-42' not found"),
        "key <str> not found"
    );
    assert_eq!(
        normalize_message("Unexpected token '<' in JSON at position 0"),
        "Unexpected token '<' in JSON at position <n>"
    );
    // Words with digits stay: they name things, not instances.
    assert_eq!(
        normalize_message("utf8 decoder for v8 failed"),
        "utf8 decoder for v8 failed"
    );
    assert_eq!(normalize_message("日本 123 é"), "日本 <n> é");
}

#[test]
fn fingerprints() {
    let a = parse_v8_stack(&format!(
        "TypeError: x\n    at f ({EXT}/a.js:1:2)\n    at g ({EXT}/b.js:3:4)"
    ));
    let moved = parse_v8_stack(&format!(
        "TypeError: x\n    at f ({EXT}/a.js:9:9)\n    at g ({EXT}/b.js:30:4)"
    ));
    let other = parse_v8_stack(&format!("TypeError: x\n    at h ({EXT}/a.js:1:2)"));
    let fp = fingerprint("TypeError", "Failed to fetch item 123", &a);
    assert_eq!(fp.len(), 16);
    assert!(fp.bytes().all(|c| c.is_ascii_hexdigit()));
    // Same bug: other id, lines moved.
    assert_eq!(
        fp,
        fingerprint("TypeError", "Failed to fetch item 456", &moved)
    );
    // Different kind, message or call path: different group.
    assert_ne!(
        fp,
        fingerprint("RangeError", "Failed to fetch item 123", &a)
    );
    assert_ne!(fp, fingerprint("TypeError", "Failed to parse item 123", &a));
    assert_ne!(
        fp,
        fingerprint("TypeError", "Failed to fetch item 123", &other)
    );
    // Only the top 5 frames count.
    let deep = |last: &str| {
        let mut s = String::from("Error: e\n");
        for k in 0..5 {
            s.push_str(&format!("    at f{k} ({EXT}/a.js:1:1)\n"));
        }
        s.push_str(&format!("    at {last} ({EXT}/z.js:1:1)\n"));
        parse_v8_stack(&s)
    };
    assert_eq!(
        fingerprint("Error", "e", &deep("x")),
        fingerprint("Error", "e", &deep("y"))
    );
    // Stable across runs and platforms: a fixed value.
    assert_eq!(fingerprint("Error", "", &[]), fingerprint("Error", "", &[]));
    assert_eq!(fingerprint("", "", &[]).len(), 16);
}

#[test]
fn fingerprint_golden_value() {
    // FNV-1a 64 of "Error" 0xff "" 0xff: pins the algorithm so that stored
    // fingerprints stay valid across releases.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in b"Error\xff\xff" {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    assert_eq!(fingerprint("Error", "", &[]), format!("{h:016x}"));
}
