#![cfg(not(target_arch = "wasm32"))]
//! Scrubber corpus test: recall on sensitive parts, zero false positives,
//! idempotence. The corpus lives in `tests/common/scrub_corpus.rs`.

#[path = "common/scrub_corpus.rs"]
mod scrub_corpus;

use std::collections::BTreeMap;

use mv3_telemetry::core::scrub::Scrubber;
use scrub_corpus::{innocuous_cases, sensitive_cases};

#[test]
fn the_corpus_has_2000_cases_of_which_500_innocuous() {
    let sensitive = sensitive_cases().len();
    let innocuous = innocuous_cases().len();
    assert!(
        sensitive + innocuous >= 2000,
        "{sensitive} sensitive + {innocuous} innocuous cases"
    );
    assert!(innocuous >= 500, "{innocuous} innocuous cases");
}

#[test]
fn recall_is_at_least_99_percent_with_no_false_positive() {
    let s = Scrubber::default();
    // category -> (parts removed, parts)
    let mut by_category: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    let cases = sensitive_cases();
    for case in &cases {
        let out = s.scrub_text(&case.input);
        for part in &case.secrets {
            assert!(
                case.input.contains(part.as_str()),
                "bad corpus entry: {part:?} not in {:?}",
                case.input
            );
            let entry = by_category.entry(case.category).or_default();
            entry.1 += 1;
            if out.contains(part.as_str()) {
                misses.push(format!(
                    "  [{}] {part:?} survived in {out:?}",
                    case.category
                ));
            } else {
                entry.0 += 1;
            }
        }
    }
    let keep = innocuous_cases();
    let mut fps = Vec::new();
    for case in &keep {
        let out = s.scrub_text(&case.input);
        if out != case.input.as_str() {
            fps.push(format!(
                "  [{}] {:?}\n    -> {out:?}",
                case.category, case.input
            ));
        }
    }
    let (removed, total) = by_category
        .values()
        .fold((0, 0), |(a, b), &(r, t)| (a + r, b + t));
    let recall = removed as f64 / total as f64;
    println!(
        "scrub corpus: {} sensitive inputs ({total} sensitive parts), {} innocuous inputs",
        cases.len(),
        keep.len()
    );
    println!("recall per category:");
    for (cat, (r, t)) in &by_category {
        println!(
            "  {cat:42} {r:5}/{t:<5} {:6.2}%",
            *r as f64 * 100.0 / *t as f64
        );
    }
    println!("recall: {removed}/{total} = {:.2}%", recall * 100.0);
    println!("false positives: {}/{}", fps.len(), keep.len());
    for m in &misses {
        println!("MISS{m}");
    }
    for f in &fps {
        println!("FP{f}");
    }
    assert!(recall >= 0.99, "recall {:.4} below 99%", recall);
    assert!(fps.is_empty(), "{} false positives", fps.len());
}

#[test]
fn scrubbing_the_corpus_twice_changes_nothing_more() {
    let s = Scrubber::default();
    let inputs = sensitive_cases()
        .into_iter()
        .map(|c| c.input)
        .chain(innocuous_cases().into_iter().map(|c| c.input));
    for input in inputs {
        let once = s.scrub_text(&input).into_owned();
        let twice = s.scrub_text(&once).into_owned();
        assert_eq!(once, twice, "not idempotent on {input:?}");
    }
}

/// Writes the corpus and our output as JSON lines to the file named by
/// `SCRUB_CORPUS_JSON` (read by `bench/scrub_compare.py`); does nothing
/// without it.
#[test]
fn the_corpus_can_be_exported_for_the_peer_comparison() {
    let Some(path) = std::env::var_os("SCRUB_CORPUS_JSON") else {
        return;
    };
    let s = Scrubber::default();
    let mut lines = String::new();
    for c in sensitive_cases() {
        let out = s.scrub_text(&c.input).into_owned();
        let v = serde_json::json!({"kind": "sensitive", "category": c.category, "input": c.input, "secrets": c.secrets, "ours": out});
        lines.push_str(&v.to_string());
        lines.push('\n');
    }
    for c in innocuous_cases() {
        let out = s.scrub_text(&c.input).into_owned();
        let v = serde_json::json!({"kind": "innocuous", "category": c.category, "input": c.input, "secrets": [], "ours": out});
        lines.push_str(&v.to_string());
        lines.push('\n');
    }
    std::fs::write(path, lines).expect("write the corpus");
}

// --- key matching and JSON values

use mv3_telemetry::core::json::{self as core_json, Json};
use mv3_telemetry::core::scrub::ScrubOptions;
use serde_json::json;

/// The tests write values with `serde_json::json!` and compare through
/// serde_json (order-insensitive objects); the scrubber works on the core's
/// own `Json`.
fn to_core(v: &serde_json::Value) -> Json {
    core_json::parse(&v.to_string()).expect("valid JSON")
}

fn from_core(v: &Json) -> serde_json::Value {
    serde_json::from_str(&core_json::to_string(v)).expect("valid JSON")
}

fn scrub_json(s: &Scrubber, v: &serde_json::Value) -> serde_json::Value {
    let mut j = to_core(v);
    s.scrub_value(&mut j);
    from_core(&j)
}

#[test]
fn key_matching_on_word_parts() {
    let s = Scrubber::default();
    for k in [
        "password",
        "user_password",
        "X-Api-Key",
        "x-api-key",
        "apiKey",
        "api_key",
        "apikey",
        "sessionId",
        "session_id",
        "SESSION",
        "access_token",
        "accessToken",
        "refresh_token",
        "id_token",
        "authToken",
        "Authorization",
        "proxy-authorization",
        "auth",
        "credentials",
        "Cookie",
        "set-cookie",
        "csrfToken",
        "XSRF-TOKEN",
        "private_key",
        "privateKey",
        "jwt",
        "bearer",
        "client_secret",
        "secretKey",
        "passwd",
        "pwd",
        "db.password",
        "user password",
    ] {
        assert!(s.is_sensitive_key(k), "{k} should be sensitive");
    }
    for k in [
        "author",
        "authors",
        "keyboard",
        "key",
        "keyCode",
        "tokenizer_version",
        "tokenizer",
        "monkey",
        "passage",
        "secretary",
        "sessions",
        "token_count",
        "tokenCount",
        "session_timeout",
        "auth_method",
        "password_required",
        "cookieless",
        "authority",
        "name",
        "email",
        "",
    ] {
        assert!(!s.is_sensitive_key(k), "{k} should not be sensitive");
    }
}

#[test]
fn deny_and_allow_keys() {
    let s = Scrubber::new(ScrubOptions {
        deny_keys: vec!["ssn".into(), "userEmail".into()],
        allow_keys: vec!["sessionId".into(), "csrf".into()],
    });
    assert!(s.is_sensitive_key("user_ssn"));
    assert!(s.is_sensitive_key("USER-EMAIL"));
    assert!(!s.is_sensitive_key("email"));
    assert!(!s.is_sensitive_key("session_id"), "allowed in any spelling");
    assert!(!s.is_sensitive_key("CSRF"));
    assert!(
        s.is_sensitive_key("csrf_token"),
        "allow is for the whole key"
    );
    assert!(s.is_sensitive_key("session"));
}

#[test]
fn scrub_value_nested() {
    let s = Scrubber::new(ScrubOptions {
        deny_keys: vec!["ssn".into()],
        allow_keys: vec!["tokenizer".into()],
    });
    let v = json!({
        "event": "checkout_failed",
        "props": {
            "password": "hunter2",
            "X-Api-Key": {"nested": ["a", 1]},
            "sessionId": 42,
            "user_ssn": null,
            "author": "Jane Doe",
            "keyboard": "us",
            "tokenizer": "bpe",
            "note": "contact jane@example.com from 10.0.0.5",
            "url": "https://example.com/cb?code=abc&state=xyz&page=2",
            "items": [
                {"card": "4111 1111 1111 1111", "auth": true},
                ["Bearer abcdef123456", 7, {"deep": {"refresh_token": "r1"}}]
            ],
            "count": 1716300000000u64,
            "pan": 4111111111111111u64
        }
    });
    let v = scrub_json(&s, &v);
    assert_eq!(
        v,
        json!({
            "event": "checkout_failed",
            "props": {
                "password": "[Filtered]",
                "X-Api-Key": "[Filtered]",
                "sessionId": "[Filtered]",
                "user_ssn": "[Filtered]",
                "author": "Jane Doe",
                "keyboard": "us",
                "tokenizer": "bpe",
                "note": "contact [email] from [ip]",
                "url": "https://example.com/cb?code=[Filtered]&state=[Filtered]&page=2",
                "items": [
                    {"card": "[creditcard]", "auth": "[Filtered]"},
                    ["Bearer [token]", 7, {"deep": {"refresh_token": "[Filtered]"}}]
                ],
                "count": 1716300000000u64,
                "pan": "[creditcard]"
            }
        })
    );
    assert_eq!(scrub_json(&s, &v), v, "scrub_value is idempotent");
}

#[test]
fn scrub_value_renames_keys_and_survives_depth() {
    let s = Scrubber::default();
    let v = scrub_json(&s, &json!({"john@example.com": {"token": "x"}, "ok": "y"}));
    assert_eq!(v, json!({"[email]": {"token": "[Filtered]"}, "ok": "y"}));
    // Far deeper than any recursion limit: iterative walk.
    let mut deep = Json::String("a@b.io".into());
    for _ in 0..100_000 {
        deep = Json::Array(vec![deep]);
    }
    s.scrub_value(&mut deep);
    let mut cur = &deep;
    while let Json::Array(items) = cur {
        cur = &items[0];
    }
    assert_eq!(cur, &Json::String("[email]".into()));
    // Dropping a 100k-deep value may recurse; leak it instead.
    std::mem::forget(deep);
}
