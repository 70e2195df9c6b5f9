//! Items recorded for a page client (`connect()`): each carries its context
//! kind and, for a content script, the page's origin and nothing more of its
//! address. Run on the host (`tests/engine.rs`) and in a service worker.

use mv3_telemetry::core::{Consent, DropReason, ErrorInput, Policy, Recorded, Source};
use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;

use super::engine_cases::{body, Rig};

fn content_script() -> Source {
    Source::new("content_script", Some("http://127.0.0.1:8123")).expect("a bare origin")
}

/// Every item sent on a flush.
fn sent_items(rig: &mut Rig) -> Vec<Value> {
    rig.flush_now()
        .iter()
        .flat_map(|request| {
            body(request)["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

fn named<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["name"] == name || i["message"] == name)
        .unwrap_or_else(|| panic!("no item {name} in {items:?}"))
}

#[wasm_bindgen_test(unsupported = test)]
pub fn every_item_kind_from_a_page_carries_its_context_kind_and_origin() {
    let mut rig = Rig::granted();
    let (now, rng) = (rig.now, &mut rig.rng);
    rig.engine.with_source(content_script(), |engine| {
        engine.record_event("clicked", Some(r#"{"button":"save"}"#), now, rng);
        let input = ErrorInput {
            kind: "TypeError",
            message: "page broke",
            stack: None,
            context: None,
            causes: None,
        };
        engine.record_error(input, now, rng);
        engine.record_timing("render", 12.0, None, now, rng);
        engine.record_feedback("idea", Some(5), Some("nice"), None, now, rng);
    });
    let popup = Source::new("popup", None).unwrap();
    rig.engine.with_source(popup, |engine| {
        engine.record_event("opened", None, now, rng);
    });
    rig.track("from_worker", json!({}));
    let items = sent_items(&mut rig);
    for item in [
        named(&items, "clicked"),
        named(&items, "page broke"),
        named(&items, "render"),
        items.iter().find(|i| i["type"] == "feedback").unwrap(),
    ] {
        assert_eq!(item["context_kind"], "content_script", "{item}");
        assert_eq!(item["origin"], "http://127.0.0.1:8123", "{item}");
    }
    let opened = named(&items, "opened");
    assert_eq!(opened["context_kind"], "popup");
    assert!(
        opened.get("origin").is_none(),
        "extension pages carry no origin"
    );
    let own = named(&items, "from_worker");
    assert!(own.get("context_kind").is_none() && own.get("origin").is_none());
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_origin_with_a_path_query_or_credentials_is_refused() {
    for address in [
        "http://127.0.0.1:8123/account?id=42",
        "https://example.com/",
        "https://user:pw@example.com",
        "https://example.com#top",
        "https://example.com:99999999",
        "javascript:alert(1)",
        "chrome-extension://abc",
        "",
    ] {
        assert_eq!(
            Source::new("content_script", Some(address)),
            None,
            "{address}"
        );
    }
    assert!(Source::new("content_script", Some("https://[::1]:8443")).is_some());
    assert!(Source::new("content_script", Some("https://sub.example.co.uk")).is_some());
    assert_eq!(Source::new("background", None), None, "unknown kinds too");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn timings_from_a_page_and_from_the_worker_are_separate_series() {
    let mut rig = Rig::granted();
    let (now, rng) = (rig.now, &mut rig.rng);
    rig.engine.with_source(content_script(), |engine| {
        engine.record_timing("load", 10.0, None, now, rng);
        engine.record_timing("load", 30.0, None, now, rng);
    });
    rig.engine
        .record_timing("load", 500.0, None, rig.now, &mut rig.rng);
    let items = sent_items(&mut rig);
    let loads: Vec<_> = items.iter().filter(|i| i["name"] == "load").collect();
    assert_eq!(loads.len(), 2, "{loads:?}");
    let page = loads.iter().find(|i| i["context_kind"] == "content_script");
    assert_eq!(page.expect("the page's series")["count"], 2);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_open_page_timing_window_keeps_its_source_across_a_worker_restart() {
    let mut rig = Rig::granted();
    let (now, rng) = (rig.now, &mut rig.rng);
    rig.engine.with_source(content_script(), |engine| {
        engine.record_timing("load", 10.0, None, now, rng);
    });
    rig.restart(Consent::Pending);
    let items = sent_items(&mut rig);
    let load = named(&items, "load");
    assert_eq!(load["context_kind"], "content_script");
    assert_eq!(load["origin"], "http://127.0.0.1:8123");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn before_send_sees_where_a_page_item_came_from() {
    let mut rig = Rig::with_policy(Policy::default(), Consent::Granted);
    rig.engine.set_before_send(Box::new(|item: &str| {
        if item.contains("\"context_kind\":\"content_script\"") {
            mv3_telemetry::core::engine::HookVerdict::Drop
        } else {
            mv3_telemetry::core::engine::HookVerdict::Keep
        }
    }));
    let (now, rng) = (rig.now, &mut rig.rng);
    let recorded = rig.engine.with_source(content_script(), |engine| {
        engine.record_event("from_page", None, now, rng)
    });
    assert_eq!(recorded, Recorded::Dropped(DropReason::BeforeSend));
    assert_eq!(rig.track("from_worker", json!({})), Recorded::Accepted);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_content_script_error_keeps_the_page_frames_as_origins_marked_not_in_app() {
    let mut rig = Rig::granted();
    let (now, rng) = (rig.now, &mut rig.rng);
    let stack = "Error: broke\n    at read (chrome-extension://abcdefghijklmnopabcdefghijklmnop/content.js:12:9)\n    at onClick (https://shop.example/shop/cart.js?session=abc:40:2)\n    at https://shop.example/shop/cart?session=abc:3:1";
    rig.engine.with_source(content_script(), |engine| {
        let input = ErrorInput {
            kind: "Error",
            message: "broke",
            stack: Some(stack),
            context: None,
            causes: None,
        };
        engine.record_error(input, now, rng);
    });
    let items = sent_items(&mut rig);
    let frames = named(&items, "broke")["stack"].as_array().unwrap().clone();
    assert_eq!(frames[0]["file"], "/content.js");
    assert!(
        frames[0].get("in_app").is_none(),
        "the extension's frame is ours"
    );
    for frame in &frames[1..] {
        assert_eq!(frame["file"], "https://shop.example", "{frame}");
        assert_eq!(frame["in_app"], false, "{frame}");
    }
    assert!(
        !items[0].to_string().contains("/shop/"),
        "no page path anywhere"
    );
}
