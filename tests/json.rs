//! `core::json` on the host: `cargo test --test json`.
//!
//! The shared cases, then properties checked against serde_json as an oracle,
//! and round trips of the persisted records from arbitrary values.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/json_cases.rs"]
mod json_cases;

use mv3_telemetry::core::json::{self, Json, JsonErrorKind, Number};
use mv3_telemetry::core::sketch::Sketch;
use mv3_telemetry::core::stack::Frame;
use mv3_telemetry::core::wire::{DropCounts, DropReason};
use proptest::prelude::*;
use serde_json::Value;

json_cases!(test; json_cases);

/// Strings with everything that needs care: controls, quotes, backslashes,
/// non-ASCII, astral characters.
fn arb_string() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '"',
        '\\',
        '/',
        '\n',
        '\r',
        '\t',
        '\u{0}',
        '\u{1f}',
        '\u{7f}',
        'é',
        '\u{2028}',
        '\u{FFFD}',
        '😀',
        '\u{10FFFF}',
    ]);
    prop::collection::vec(
        prop_oneof![3 => any::<char>(), 2 => special, 3 => prop::char::range('a', 'z')],
        0..12,
    )
    .prop_map(String::from_iter)
}

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..1000).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        (-1000i64..1000, -10i32..10).prop_filter_map("finite", |(m, e)| {
            serde_json::Number::from_f64(m as f64 * 10f64.powi(e)).map(Value::Number)
        }),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        arb_string().prop_map(Value::String)
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((arb_string(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// `value` as a serde_json value, floats read with the standard library.
/// serde_json's own float parser (without its `float_roundtrip` feature) may
/// be an ulp off, so it cannot referee float accuracy.
fn exact(value: &Json) -> Value {
    match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Value::from(u),
            (None, Some(i)) => Value::from(i),
            _ => Value::from(n.as_str().parse::<f64>().unwrap()),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(exact).collect()),
        Json::Object(entries) => {
            Value::Object(entries.iter().map(|(k, v)| (k.clone(), exact(v))).collect())
        }
    }
}

/// One character edit of `text`.
fn mutate(text: &str, at: usize, op: u8, c: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return c.to_string();
    }
    let at = at % chars.len();
    match op % 3 {
        0 => chars[at] = c,
        1 => chars.insert(at, c),
        _ => {
            chars.remove(at);
        }
    }
    chars.into_iter().collect()
}

fn arb_edit_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select("[]{}\",:\\0123456789.-+eEtrufalsn \t\nu/x".chars().collect::<Vec<_>>()),
        1 => any::<char>(),
    ]
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    (
        prop::option::of(arb_string()),
        prop::option::of(arb_string()),
        any::<Option<u32>>(),
        any::<Option<u32>>(),
    )
        .prop_map(|(function, file, line, column)| Frame {
            function,
            file,
            line,
            column,
        })
}

proptest! {
    #[test]
    fn writing_a_parsed_serde_json_document_reproduces_its_compact_text(value in arb_value()) {
        let compact = serde_json::to_string(&value).unwrap();
        let parsed = json::parse(&compact).unwrap();
        prop_assert_eq!(json::to_string(&parsed), compact.clone());
        // Whitespace is insignificant.
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        prop_assert_eq!(json::parse(&pretty).unwrap(), parsed);
    }

    #[test]
    fn serde_json_reads_what_we_write_as_the_same_value(value in arb_value()) {
        let compact = serde_json::to_string(&value).unwrap();
        let ours = json::to_string(&json::parse(&compact).unwrap());
        prop_assert_eq!(serde_json::from_str::<Value>(&ours).unwrap(), serde_json::from_str::<Value>(&compact).unwrap());
        prop_assert_eq!(exact(&json::parse(&ours).unwrap()), value);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = json::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = json::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parse_accepts_exactly_what_serde_json_accepts_on_edited_documents(
        value in arb_value(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), arb_edit_char()), 1..3),
    ) {
        let mut text = serde_json::to_string(&value).unwrap();
        for (at, op, c) in edits {
            text = mutate(&text, at, op, c);
        }
        let theirs = serde_json::from_str::<Value>(&text);
        let ours = json::parse(&text);
        match (&theirs, &ours) {
            (Ok(theirs), Ok(ours)) => {
                prop_assert_eq!(&serde_json::from_str::<Value>(&json::to_string(ours)).unwrap(), theirs);
            }
            (Err(_), Err(_)) => {}
            (Err(e), Ok(_)) => {
                // serde_json refuses what JSON allows and JavaScript reads.
                let message = e.to_string();
                prop_assert!(message.contains("number out of range") || message.contains("surrogate"), "{:?}: {}", text, message);
            }
            (Ok(_), Err(e)) => prop_assert!(false, "{:?} refused: {:?}", text, e),
        }
    }

    #[test]
    fn escaped_strings_match_serde_json_and_read_back(text in arb_string()) {
        let mut quoted = String::new();
        json::push_string(&mut quoted, &text);
        prop_assert_eq!(&quoted, &serde_json::to_string(&text).unwrap());
        prop_assert_eq!(json::parse(&quoted).unwrap(), Json::String(text));
    }

    #[test]
    fn unicode_escapes_of_any_char_decode_to_it(c in any::<char>()) {
        let mut units = [0u16; 2];
        let escaped: String = c.encode_utf16(&mut units).iter().map(|u| format!("\\u{u:04X}")).collect();
        prop_assert_eq!(json::parse(&format!("\"{escaped}\"")).unwrap(), Json::String(c.to_string()));
    }

    #[test]
    fn integers_of_every_width_round_trip_through_the_digit_writer(u in any::<u64>(), i in any::<i64>()) {
        prop_assert_eq!(json::parse(Number::from_u64(u).as_str()).unwrap().as_u64(), Some(u));
        prop_assert_eq!(json::parse(Number::from_i64(i).as_str()).unwrap().as_i64(), Some(i));
        prop_assert_eq!(Number::from_u64(u).as_str().to_string(), u.to_string());
        prop_assert_eq!(Number::from_i64(i).as_str().to_string(), i.to_string());
    }

    #[test]
    fn drop_counts_of_any_values_round_trip(values in prop::collection::vec(any::<u64>(), 7)) {
        let mut counts = DropCounts::default();
        for (reason, n) in DropReason::ALL.into_iter().zip(values) {
            counts.add(reason, n);
        }
        let mut text = String::new();
        counts.to_json(&mut text);
        prop_assert_eq!(DropCounts::from_json(&json::parse(&text).unwrap()), Some(counts));
    }

    #[test]
    fn frames_of_any_strings_round_trip_and_match_serde_json(frame in arb_frame()) {
        let mut text = String::new();
        frame.to_json(&mut text);
        let oracle = serde_json::json!({"function": frame.function, "file": frame.file, "line": frame.line, "column": frame.column});
        prop_assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), oracle);
        prop_assert_eq!(Frame::from_json(&json::parse(&text).unwrap()), Some(frame));
    }

    #[test]
    fn sketches_of_any_samples_round_trip_bit_exactly(samples in prop::collection::vec(any::<f64>(), 0..64)) {
        let mut sketch = Sketch::new();
        for v in samples {
            sketch.add(v);
        }
        let mut text = String::new();
        sketch.to_json(&mut text);
        let back = Sketch::from_json(&json::parse(&text).unwrap()).unwrap();
        prop_assert_eq!(back.sum().to_bits(), sketch.sum().to_bits());
        prop_assert_eq!(back, sketch);
    }
}

#[test]
fn errors_display_a_short_message() {
    let error = json::parse("{").unwrap_err();
    assert_eq!(error.kind, JsonErrorKind::Eof);
    assert_eq!(error.to_string(), "unexpected end of JSON input at byte 1");
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert!(boxed.to_string().contains("byte 1"));
}
