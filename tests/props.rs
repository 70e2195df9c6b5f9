//! `core::props` on the host: `cargo test --test props`.
//!
//! The one-pass writer against an oracle that does the same job the slow,
//! obvious way: parse the props into a tree, bound it, scrub it with
//! [`Scrubber::scrub_value`], write it. Both must give the same text for any
//! input, under limits small enough that every bound is reached.
#![cfg(not(target_arch = "wasm32"))]

use mv3_telemetry::core::json::{self, Json};
use mv3_telemetry::core::policy::Policy;
use mv3_telemetry::core::props::{write_props, KeyCache};
use mv3_telemetry::core::sanitize::{truncate_chars, Cleaning, DEPTH_MARKER};
use mv3_telemetry::core::Scrubber;
use proptest::prelude::*;
use serde_json::Value;

/// Limits small enough for generated values to cross every one of them.
fn tight() -> Policy {
    Policy {
        max_name_chars: 6,
        max_string_chars: 9,
        max_depth: 3,
        max_collection_len: 4,
        ..Policy::default()
    }
}

fn oracle_value(value: Json, policy: &Policy, depth: usize) -> Json {
    match value {
        Json::String(text) => {
            let mut c = Cleaning::default();
            Json::String(truncate_chars(&text, policy.max_string_chars, &mut c).unwrap_or(text))
        }
        Json::Array(_) | Json::Object(_) if depth > policy.max_depth => {
            Json::String(DEPTH_MARKER.into())
        }
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .take(policy.max_collection_len)
                .map(|v| oracle_value(v, policy, depth + 1))
                .collect(),
        ),
        Json::Object(map) => Json::Object(oracle_object(map, policy, depth)),
        scalar => scalar,
    }
}

fn oracle_object(map: Vec<(String, Json)>, policy: &Policy, depth: usize) -> Vec<(String, Json)> {
    let mut c = Cleaning::default();
    map.into_iter()
        .take(policy.max_collection_len)
        .map(|(k, v)| {
            let k = truncate_chars(&k, policy.max_name_chars, &mut c).unwrap_or(k);
            (k, oracle_value(v, policy, depth + 1))
        })
        .collect()
}

/// Parse, bound, scrub, write: what the record path did before `core::props`.
fn oracle(text: &str, policy: &Policy, scrubber: &Scrubber) -> String {
    let mut props = match json::parse(text) {
        Err(_) | Ok(Json::Null) => Json::Object(Vec::new()),
        Ok(Json::Object(map)) => Json::Object(oracle_object(map, policy, 1)),
        Ok(other) => Json::Object(vec![("value".into(), oracle_value(other, policy, 1))]),
    };
    scrubber.scrub_value(&mut props);
    json::to_string(&props)
}

fn one_pass(text: Option<&str>, policy: &Policy, cache: &mut KeyCache) -> (String, bool) {
    let mut out = String::new();
    let mut cleaning = Cleaning::default();
    write_props(
        text,
        policy,
        &Scrubber::default(),
        cache,
        &mut cleaning,
        &mut out,
    );
    (out, cleaning.truncated)
}

/// Keys that exercise the scrubber: deny-listed names, keys holding an
/// e-mail address (renamed, and then colliding with `[email]`), plain ones.
fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "password",
            "token",
            "api_key",
            "ok",
            "b",
            "[email]",
            "a@x.com",
            "b@y.org",
            "name",
            "sessionid",
            "Élan",
            "k\"q",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{0,9}",
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "4111 1111 1111 1111",
            "bob@example.com",
            "https://x.io/a?token=abc123",
            "plain",
            "é😀\u{1}\"\\",
            "192.168.1.20",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,14}",
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec![4111111111111111u64, 4111111111111112, 42, 0])
            .prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 7, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..7).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..7)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_one_pass_writer_gives_the_text_of_parse_bound_scrub_write(value in arb_value()) {
        let text = value.to_string();
        let policy = tight();
        let mut cache = KeyCache::default();
        let expected = oracle(&text, &policy, &Scrubber::default());
        // Twice: the second call answers keys from the cache.
        for _ in 0..2 {
            let (written, _) = one_pass(Some(&text), &policy, &mut cache);
            prop_assert_eq!(&written, &expected);
        }
    }

    #[test]
    fn any_text_gives_a_json_object(text in "\\PC{0,40}") {
        let (written, _) = one_pass(Some(&text), &Policy::default(), &mut KeyCache::default());
        let parsed = json::parse(&written);
        prop_assert!(matches!(parsed, Ok(Json::Object(_))), "{written}");
    }
}

#[test]
fn absent_null_and_invalid_props_are_an_empty_object() {
    let mut cache = KeyCache::default();
    for text in [None, Some("null"), Some("{\"a\":"), Some("{} x")] {
        assert_eq!(
            one_pass(text, &Policy::default(), &mut cache),
            ("{}".into(), false)
        );
    }
}

#[test]
fn a_value_that_is_not_an_object_is_wrapped_and_counted_as_truncated() {
    let mut cache = KeyCache::default();
    assert_eq!(
        one_pass(Some("5"), &Policy::default(), &mut cache),
        ("{\"value\":5}".into(), true)
    );
}

#[test]
fn crossing_a_bound_counts_as_truncated_and_staying_within_does_not() {
    let policy = tight();
    let mut cache = KeyCache::default();
    assert!(!one_pass(Some(r#"{"a":"short","b":[1,2]}"#), &policy, &mut cache).1);
    for over in [
        r#"{"a":"much too long"}"#,
        r#"{"a":[1,2,3,4,5]}"#,
        r#"{"a":{"b":{"c":{}}}}"#,
        r#"{"longer_key":1}"#,
        r#"{"a":1,"b":2,"c":3,"d":4,"e":5}"#,
    ] {
        assert!(one_pass(Some(over), &policy, &mut cache).1, "{over}");
    }
}

#[test]
fn nesting_past_the_parser_limit_is_refused_without_overflowing_the_stack() {
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let (written, _) = one_pass(Some(&deep), &Policy::default(), &mut KeyCache::default());
    assert_eq!(written, "{}");
}
