//! `core::json` on the host: `cargo test --test json`.
//!
//! The shared cases, then properties checked against serde_json as an oracle.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/json_cases.rs"]
mod json_cases;

use mv3_telemetry::core::json::{self, Json, JsonErrorKind, Number};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

json_cases!(test; json_cases);

/// Strings with everything that needs care: controls, quotes, backslashes,
/// non-ASCII, astral characters.
fn arb_string() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec!['"', '\\', '/', '\n', '\r', '\t', '\u{0}', '\u{1f}', '\u{7f}', 'é', '\u{2028}', '\u{FFFD}', '😀', '\u{10FFFF}']);
    prop::collection::vec(prop_oneof![3 => any::<char>(), 2 => special, 3 => prop::char::range('a', 'z')], 0..12).prop_map(String::from_iter)
}

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..1000).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        (-1000i64..1000, -10i32..10).prop_filter_map("finite", |(m, e)| serde_json::Number::from_f64(m as f64 * 10f64.powi(e)).map(Value::Number)),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::Bool), arb_number(), arb_string().prop_map(Value::String)];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((arb_string(), inner), 0..8).prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Distance in units in the last place between two finite floats.
fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    if a.is_sign_negative() != b.is_sign_negative() {
        return u64::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}

/// `a == b`, except that floats may differ by `max_ulps`.
fn close(a: &Value, b: &Value, max_ulps: u64) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => ulps(x, y) <= max_ulps,
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| close(x, y, max_ulps)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().zip(y).all(|((kx, x), (ky, y))| kx == ky && close(x, y, max_ulps)),
        _ => a == b,
    }
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
        Json::Object(entries) => Value::Object(entries.iter().map(|(k, v)| (k.clone(), exact(v))).collect()),
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: String,
    count: u64,
    delta: i64,
    small: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    tags: Vec<String>,
    kind: json_cases::Consent,
    nested: Vec<Inner>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inner {
    flag_value: bool,
    maybe_number: Option<u32>,
}

fn arb_record() -> impl Strategy<Value = Record> {
    let consent = prop::sample::select(vec![json_cases::Consent::Pending, json_cases::Consent::Granted, json_cases::Consent::Denied]);
    let inner = (any::<bool>(), any::<Option<u32>>()).prop_map(|(flag_value, maybe_number)| Inner { flag_value, maybe_number });
    (
        arb_string(),
        prop_oneof![any::<u64>(), u64::MAX - 10..=u64::MAX],
        any::<i64>(),
        any::<u8>(),
        any::<Option<String>>(),
        prop::collection::vec(arb_string(), 0..4),
        consent,
        prop::collection::vec(inner, 0..3),
    )
        .prop_map(|(id, count, delta, small, note, tags, kind, nested)| Record { id, count, delta, small, note, tags, kind, nested })
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
    fn records_serialize_exactly_like_serde_json_and_round_trip(record in arb_record()) {
        let ours = json::to_string_of(&record);
        prop_assert_eq!(&ours, &serde_json::to_string(&record).unwrap());
        prop_assert_eq!(json::from_str_of::<Record>(&ours).unwrap(), record);
    }

    #[test]
    fn from_str_of_reads_values_like_serde_json(value in arb_value()) {
        let text = serde_json::to_string(&value).unwrap();
        let read: Value = json::from_str_of(&text).unwrap();
        prop_assert!(close(&read, &value, 1), "{} read as {}", text, read);
    }

    #[test]
    fn to_string_of_writes_values_serde_json_reads_back(value in arb_value()) {
        let ours = json::to_string_of(&value);
        let back = exact(&json::parse(&ours).unwrap());
        prop_assert!(close(&back, &value, 1), "{} came back as {}", value, back);
    }

    #[test]
    fn json_values_cross_other_serializers_and_deserializers(value in arb_value()) {
        let parsed = json::parse(&serde_json::to_string(&value).unwrap()).unwrap();
        // Json -> serde_json's serializer.
        let through = serde_json::to_value(&parsed).unwrap();
        prop_assert!(close(&through, &value, 1), "{} became {}", value, through);
        // serde_json's deserializer -> Json (its floats may already be an ulp off).
        let text = serde_json::to_string(&value).unwrap();
        let from_theirs: Json = serde_json::from_str(&text).unwrap();
        let theirs: Value = serde_json::from_str(&text).unwrap();
        let back = exact(&from_theirs);
        prop_assert!(close(&back, &theirs, 1), "{} became {}", theirs, back);
    }

    #[test]
    fn as_f64_is_within_one_ulp_of_the_standard_library(value in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let text = serde_json::to_string(&value).unwrap();
        let ours = Number::parse(&text).unwrap().as_f64().unwrap();
        prop_assert!(ulps(ours, value) <= 1, "{}: {} vs {}", text, ours, value);
    }

    #[test]
    fn as_f64_is_exact_for_up_to_fifteen_digits_and_small_exponents(mantissa in 0u64..1_000_000_000_000_000, exponent in -22i32..=22, negative in any::<bool>()) {
        let text = format!("{}{mantissa}e{exponent}", if negative { "-" } else { "" });
        let expected: f64 = text.parse().unwrap();
        prop_assert_eq!(Number::parse(&text).unwrap().as_f64(), Some(expected), "{}", text);
    }

    #[test]
    fn as_f64_stays_close_on_long_and_extreme_decimals(digits in "[1-9][0-9]{0,30}", exponent in -360i32..320) {
        let text = format!("{digits}e{exponent}");
        let expected: f64 = text.parse().unwrap();
        match Number::parse(&text).unwrap().as_f64() {
            Some(ours) => prop_assert!(ulps(ours, expected) <= 1, "{}: {} vs {}", text, ours, expected),
            None => prop_assert!(expected.is_infinite(), "{}", text),
        }
    }

    #[test]
    fn floats_written_by_to_string_of_read_back_within_one_ulp(value in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let text = json::to_string_of(&value);
        let back: f64 = text.parse().unwrap();
        prop_assert!(ulps(back, value) <= 1, "{} written as {}", value, text);
    }

    #[test]
    fn short_decimals_are_written_exactly_as_javascript_would(mantissa in 1i64..1_000_000, exponent in -12i32..=12) {
        let value: f64 = format!("{mantissa}e{exponent}").parse().unwrap();
        let text = json::to_string_of(&value);
        prop_assert_eq!(text.parse::<f64>().unwrap(), value, "{}", text);
        // Shortest: no more significant digits than the mantissa has.
        let significant = text.trim_start_matches(['-', '0', '.']).split(['e', 'E']).next().unwrap().replace('.', "").trim_end_matches('0').len();
        prop_assert!(significant <= mantissa.to_string().trim_end_matches('0').len(), "{} written as {}", value, text);
    }

    #[test]
    fn integers_of_every_width_round_trip(u in any::<u64>(), i in any::<i64>(), small in any::<i8>()) {
        prop_assert_eq!(json::from_str_of::<(u64, i64, i8)>(&json::to_string_of(&(u, i, small))).unwrap(), (u, i, small));
        prop_assert_eq!(Number::from_u64(u).as_u64(), Some(u));
        prop_assert_eq!(Number::from_i64(i).as_i64(), Some(i));
        prop_assert_eq!(Number::from_u64(u).as_str().to_string(), u.to_string());
    }
}

#[test]
fn deeply_nested_input_from_other_deserializers_is_not_limited_by_this_module() {
    // The depth limit guards `parse`; serde_json applies its own.
    let text = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let value: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(json::to_string(&value), text);
}

#[test]
fn errors_display_a_short_message() {
    let error = json::parse("{").unwrap_err();
    assert_eq!(error.kind, JsonErrorKind::Eof);
    assert_eq!(error.to_string(), "unexpected end of JSON input at byte 1");
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert!(boxed.to_string().contains("byte 1"));
}
