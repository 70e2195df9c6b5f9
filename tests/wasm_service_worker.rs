//! Runs inside a real Chromium service worker:
//! `wasm-pack test --headless --chrome -- --test wasm_service_worker`.
//!
//! The engine cases shared with the host run here too, then the glue:
//! persistence and restore through a storage area, ID generation from
//! `crypto.getRandomValues`, `fetch` failures, and the JS wrapper's buffering.
#![cfg(target_arch = "wasm32")]

mod common;

use js_sys::{Array, Function, Object, Promise, Reflect};
use mv3_telemetry::core::ids::is_uuid_v4;
use mv3_telemetry::core::names::{
    CHUNK_PREFIX, LEGACY_STATE_KEY, RECORD_ACCEPTED, RECORD_KEY, RECORD_NOT_CONSENTED,
    START_NEEDS_SWEEP,
};
use mv3_telemetry::core::Consent;
use mv3_telemetry::wasm::Client;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_service_worker);

#[wasm_bindgen(module = "/js/wrapper.js")]
extern "C" {
    #[wasm_bindgen(js_name = createTelemetry, catch)]
    fn create_telemetry(options: &JsValue, load_core: &Function) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = createMemoryStorage)]
    fn create_memory_storage() -> JsValue;
}

// wasm-bindgen copies into its snippets directory only the JS files that a
// `module = "/..."` attribute names, not the files those import: name every
// module wrapper.js reaches, so its relative imports resolve. (Unused imports;
// tests/js/constants.test.mjs checks the list against js/.)
#[wasm_bindgen(module = "/js/telemetry.js")]
extern "C" {
    #[wasm_bindgen(js_name = createTelemetry)]
    fn _js_telemetry();
}
#[wasm_bindgen(module = "/js/options.js")]
extern "C" {
    #[wasm_bindgen(js_name = validateOptions)]
    fn _js_options();
}
#[wasm_bindgen(module = "/js/normalize.js")]
extern "C" {
    #[wasm_bindgen(js_name = normalizeToJson)]
    fn _js_normalize();
}
#[wasm_bindgen(module = "/js/causes.js")]
extern "C" {
    #[wasm_bindgen(js_name = describeCauses)]
    fn _js_causes();
}
#[wasm_bindgen(module = "/js/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = listenToPages)]
    fn _js_bridge();
}
#[wasm_bindgen(module = "/js/memory-storage.js")]
extern "C" {
    #[wasm_bindgen(js_name = createMemoryStorage)]
    fn _js_memory_storage();
}
#[wasm_bindgen(module = "/js/transport.js")]
extern "C" {
    #[wasm_bindgen(js_name = compress)]
    fn _js_transport();
}
#[wasm_bindgen(module = "/js/store.js")]
extern "C" {
    #[wasm_bindgen(js_name = read)]
    fn _js_store();
}
#[wasm_bindgen(module = "/js/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = createHost)]
    fn create_host(area: &JsValue, debug: bool) -> JsValue;
    #[wasm_bindgen(js_name = createHost)]
    fn create_host_with_write_timeout(
        area: &JsValue,
        debug: bool,
        write_timeout_ms: u32,
    ) -> JsValue;
}
#[wasm_bindgen(module = "/js/constants.js")]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = ALARM_NAME)]
    static _JS_CONSTANTS: JsValue;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
}

/// An absent text argument of a recording call, as the wrapper passes it.
const NONE: JsValue = JsValue::UNDEFINED;

/// Nothing listens on the discard port: every fetch fails fast.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";

async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    JsFuture::from(promise).await.unwrap();
}

fn config_text(consent: &str) -> String {
    format!(
        r#"{{"endpoint":"{DEAD_ENDPOINT}","defaultConsent":"{consent}","lifecycleEvents":false,"retry":{{"baseDelayMs":50,"maxDelayMs":100}}}}"#
    )
}

fn config_with(consent: &str) -> JsValue {
    options(&config_text(consent))
}

fn config_default() -> JsValue {
    config_with("granted")
}

async fn started(config: &JsValue, storage: &JsValue) -> Client {
    let client = Client::new(
        &text_of(config),
        true,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        host(storage),
    )
    .expect("valid config");
    start(&client, storage).await;
    client.wake();
    client
}

/// What the wrapper does at start-up: one read of the record and the
/// pre-log state, handed to the core's synchronous `start`.
async fn start(client: &Client, storage: &JsValue) {
    let get: Function = Reflect::get(storage, &"get".into())
        .unwrap()
        .unchecked_into();
    let keys = Array::of2(&RECORD_KEY.into(), &LEGACY_STATE_KEY.into());
    let promise: Promise = get.call1(storage, &keys).unwrap().unchecked_into();
    let items = JsFuture::from(promise).await.unwrap();
    let value = |key: &str| Reflect::get(&items, &key.into()).unwrap();
    let code = client
        .start(value(RECORD_KEY), value(LEGACY_STATE_KEY))
        .expect("start restores");
    let consent = Consent::ALL[usize::from(code & (START_NEEDS_SWEEP - 1))];
    assert_eq!(consent.as_str(), client.consent_status(), "the start code");
}

/// Everything in a storage area, as `{key: value}`.
async fn stored(storage: &JsValue) -> Value {
    let get: Function = Reflect::get(storage, &"get".into())
        .unwrap()
        .unchecked_into();
    let promise: Promise = get.call1(storage, &JsValue::NULL).unwrap().unchecked_into();
    let items = JsFuture::from(promise).await.unwrap();
    serde_json::from_str(
        &js_sys::JSON::stringify(&items)
            .unwrap()
            .as_string()
            .unwrap(),
    )
    .unwrap()
}

/// The stored record, if any.
async fn stored_record(storage: &JsValue) -> Option<Value> {
    let all = stored(storage).await;
    all.get(RECORD_KEY)
        .and_then(Value::as_str)
        .map(|text| serde_json::from_str(text).unwrap())
}

/// The stored items, in chunk order.
async fn stored_items(storage: &JsValue) -> Vec<Value> {
    let all = stored(storage).await;
    let mut chunks: Vec<(&String, &Value)> = all
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with(CHUNK_PREFIX))
        .collect();
    chunks.sort_by_key(|(k, _)| k.rsplit('.').next().unwrap().parse::<u64>().unwrap());
    chunks
        .iter()
        .flat_map(|(_, v)| {
            v.as_str()
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str(line.rsplit('\t').next().unwrap()).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect()
}

fn stats(client: &Client) -> Value {
    serde_json::from_str(&client.stats()).unwrap()
}

fn call(target: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    let f: Function = Reflect::get(target, &method.into())
        .unwrap()
        .unchecked_into();
    f.apply(target, &args.iter().cloned().collect::<Array>())
        .unwrap()
}

#[wasm_bindgen_test]
async fn accepted_items_reach_storage_within_one_second() {
    let storage = create_memory_storage();
    let client = started(&config_default(), &storage).await;
    for i in 0..3 {
        assert_eq!(
            client.track("saved".into(), format!(r#"{{"i":{i}}}"#).into(), NONE, NONE),
            RECORD_ACCEPTED
        );
    }
    sleep(1_000).await;
    assert_eq!(stored_items(&storage).await.len(), 3);
    let record = stored_record(&storage)
        .await
        .expect("the record was written");
    assert_eq!(record["id"].as_str(), client.anonymous_id().as_deref());
}

#[wasm_bindgen_test]
async fn a_new_client_restores_what_the_previous_one_persisted() {
    let storage = create_memory_storage();
    let first = started(&config_default(), &storage).await;
    for i in 0..5 {
        first.track("kept".into(), format!(r#"{{"i":{i}}}"#).into(), NONE, NONE);
    }
    persisted(&first).await;
    drop(first);

    // The worker restarts: a new client over the same storage.
    let second = started(&config_default(), &storage).await;
    assert_eq!(second.consent_status(), "granted");
    assert_eq!(stats(&second)["queued"], 5);
    let record = stored_record(&storage).await.unwrap();
    assert_eq!(second.anonymous_id().as_deref(), record["id"].as_str());
}

/// `storage` whose first `set` never settles; later calls go through.
fn stalling_once(storage: &JsValue) -> JsValue {
    let wrap = Function::new_with_args(
        "inner",
        "let first = true; return { get: (k) => inner.get(k), remove: (k) => inner.remove(k), \
         set: (items) => { if (first) { first = false; return new Promise(() => {}); } return inner.set(items); } };",
    );
    wrap.call1(&JsValue::NULL, storage).unwrap()
}

#[wasm_bindgen_test]
async fn items_accepted_while_a_write_stalls_are_written_once_it_counts_as_refused() {
    let storage = create_memory_storage();
    let stalling = stalling_once(&storage);
    // Nothing is sent (a batch waits an hour): a send persists first, and
    // would mask a retry that was never armed.
    let config = format!(
        r#"{{"endpoint":"{DEAD_ENDPOINT}","defaultConsent":"granted","lifecycleEvents":false,"batch":{{"flushIntervalMs":3600000}}}}"#
    );
    let client = Client::new(
        &config,
        true,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        create_host_with_write_timeout(&stalling, false, 600),
    )
    .expect("valid config");
    start(&client, &stalling).await;
    client.wake();
    // The first write stalls (it starts within the 200 ms debounce).
    client.track("before_stall".into(), NONE, NONE, NONE);
    sleep(300).await;
    // This one's debounced persist fires while that write stalls; the write
    // counts as refused 600 ms after it began, and the retry follows the
    // refusal backoff (1 s).
    assert_eq!(
        client.track("after_stall".into(), NONE, NONE, NONE),
        RECORD_ACCEPTED
    );
    sleep(2_500).await;
    let names: Vec<Value> = stored_items(&storage)
        .await
        .iter()
        .map(|item| item["name"].clone())
        .collect();
    assert!(names.contains(&"before_stall".into()), "{names:?}");
    assert!(names.contains(&"after_stall".into()), "{names:?}");
}

#[wasm_bindgen_test]
async fn pending_consent_writes_nothing_to_storage() {
    let storage = create_memory_storage();
    let client = started(&config_with("pending"), &storage).await;
    assert_eq!(client.consent_status(), "pending");
    assert_eq!(
        client.track("ignored".into(), NONE, NONE, NONE),
        RECORD_NOT_CONSENTED
    );
    sleep(400).await;
    assert_eq!(stored(&storage).await, serde_json::json!({}));
    assert_eq!(client.anonymous_id(), None);
}

#[wasm_bindgen_test]
async fn anonymous_ids_are_distinct_uuid_v4s_from_crypto() {
    let mut seen = Vec::new();
    for _ in 0..5 {
        let client = started(&config_default(), &create_memory_storage()).await;
        let id = client.anonymous_id().expect("granted by default");
        assert!(is_uuid_v4(&id), "{id}");
        assert!(!seen.contains(&id));
        seen.push(id);
    }
}

#[wasm_bindgen_test]
async fn a_failing_collector_means_retries_not_losses() {
    let storage = create_memory_storage();
    let client = started(&config_default(), &storage).await;
    client.track("unsent".into(), NONE, NONE, NONE);
    let result = flushed(&client).await;
    assert_eq!(result["sent"], 0);
    assert_eq!(result["pending"], 1);
    assert!(stats(&client)["retries"].as_u64().unwrap() >= 1);
}

#[wasm_bindgen_test]
async fn revoking_consent_purges_storage() {
    let storage = create_memory_storage();
    let client = started(&config_default(), &storage).await;
    let id = client.anonymous_id().unwrap();
    client.track("queued".into(), NONE, NONE, NONE);
    persisted(&client).await;
    assert_eq!(stored_items(&storage).await.len(), 1);
    // What the wrapper does: apply, persist, wake.
    assert_eq!(client.set_consent(false), Some(true), "consent changed");
    persisted(&client).await;
    client.wake();
    let state = stored(&storage).await.to_string();
    assert!(!state.contains(&id), "{state}");
    assert!(stored_items(&storage).await.is_empty(), "{state}");
    assert_eq!(client.anonymous_id(), None);
}

fn core_loader(storage: JsValue) -> Function {
    let load = Closure::<dyn FnMut(JsValue, JsValue) -> Promise>::new(
        move |config: JsValue, _storage: JsValue| {
            let storage = storage.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                // A slow core load, so the calls below really are made before ready.
                sleep(200).await;
                // The wrapper hands the core its options as one JSON text.
                let text = config.as_string().unwrap_or_default();
                Ok(Client::new(
                    &text,
                    true,
                    JsValue::UNDEFINED,
                    JsValue::UNDEFINED,
                    host(&storage),
                )?
                .into())
            })
        },
    );
    load.into_js_value().unchecked_into()
}

/// The host (`js/host.js`) over `storage`, as `index.js` hands it to the core.
fn host(storage: &JsValue) -> JsValue {
    create_host(storage, false)
}

/// `persist()` as the wrapper awaits it.
async fn persisted(client: &Client) {
    let promise = Promise::new(&mut |done, _| client.persist(done.unchecked_into()));
    JsFuture::from(promise).await.unwrap();
}

/// `flush()` as the wrapper awaits it: `{"sent":n,"pending":n}`.
async fn flushed(client: &Client) -> Value {
    let promise = Promise::new(&mut |done, _| client.flush(done.unchecked_into()));
    let text = JsFuture::from(promise).await.unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Options as the wrapper hands them to the core: one JSON text.
fn text_of(config: &JsValue) -> String {
    js_sys::JSON::stringify(config)
        .unwrap()
        .as_string()
        .unwrap()
}

fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

/// Wrapper options for these tests: global error capture off, so errors from
/// other tests sharing this worker are not counted here.
fn wrapper_options() -> JsValue {
    let opts = config_default();
    Reflect::set(&opts, &"captureGlobalErrors".into(), &JsValue::FALSE).unwrap();
    opts
}

#[wasm_bindgen_test]
async fn calls_made_before_ready_are_buffered_and_replayed_in_order() {
    let storage = create_memory_storage();
    let telemetry = create_telemetry(&wrapper_options(), &core_loader(storage.clone())).unwrap();
    for name in ["first", "second", "third"] {
        call(&telemetry, "track", &[name.into(), Object::new().into()]);
    }
    assert_eq!(
        call(&telemetry, "anonymousId", &[]),
        JsValue::NULL,
        "no ID before ready"
    );
    let ready: Promise = Reflect::get(&telemetry, &"ready".into())
        .unwrap()
        .unchecked_into();
    JsFuture::from(ready).await.unwrap();
    let stats = call(&telemetry, "stats", &[]);
    assert_eq!(
        Reflect::get(&stats, &"queued".into()).unwrap().as_f64(),
        Some(3.0)
    );
    sleep(600).await;
    let names: Vec<String> = stored_items(&storage)
        .await
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["first", "second", "third"]);
}

#[wasm_bindgen_test]
async fn recording_never_throws_on_hostile_input() {
    let telemetry =
        create_telemetry(&wrapper_options(), &core_loader(create_memory_storage())).unwrap();
    let hostile = js_sys::eval(
        "(() => { const o = { big: 10n, f() {}, s: Symbol('x'), n: NaN, d: new Date(0) }; o.self = o; \
         Object.defineProperty(o, 'boom', { enumerable: true, get() { throw new Error('no'); } }); return o; })()",
    )
    .unwrap();
    call(&telemetry, "track", &[JsValue::UNDEFINED, hostile.clone()]);
    call(&telemetry, "track", &["ok".into(), hostile]);
    call(
        &telemetry,
        "track",
        &[JsValue::from_f64(42.0), JsValue::NULL],
    );
    let ready: Promise = Reflect::get(&telemetry, &"ready".into())
        .unwrap()
        .unchecked_into();
    JsFuture::from(ready).await.unwrap();
    let stats = call(&telemetry, "stats", &[]);
    assert_eq!(
        Reflect::get(&stats, &"queued".into()).unwrap().as_f64(),
        Some(2.0)
    );
    let dropped = Reflect::get(&stats, &"dropped".into()).unwrap();
    assert_eq!(
        Reflect::get(&dropped, &"invalid".into()).unwrap().as_f64(),
        Some(1.0)
    );
}

#[wasm_bindgen_test]
fn invalid_options_throw_a_type_error_naming_the_field() {
    let loader = core_loader(create_memory_storage());
    for (json, field) in [
        (r#"{}"#, "endpoint"),
        (r#"{"endpoint":"http://collector.example.com"}"#, "endpoint"),
        (
            r#"{"endpoint":"https://c.example","sampleRate":2}"#,
            "sampleRate",
        ),
        (
            r#"{"endpoint":"https://c.example","batch":{"maxEvents":0}}"#,
            "batch.maxEvents",
        ),
        (
            r#"{"endpoint":"https://c.example","retry":{"maxAttempts":"3"}}"#,
            "retry.maxAttempts",
        ),
        (
            r#"{"endpoint":"https://c.example","defaultConsent":"yes"}"#,
            "defaultConsent",
        ),
        (
            r#"{"endpoint":"https://c.example","flushInterval":5}"#,
            "flushInterval",
        ),
    ] {
        let error = create_telemetry(&options(json), &loader).expect_err(json);
        assert!(error.is_instance_of::<js_sys::TypeError>(), "{json}");
        let message = Reflect::get(&error, &"message".into())
            .unwrap()
            .as_string()
            .unwrap();
        assert!(message.contains(&format!("`{field}`")), "{json}: {message}");
    }
}

#[wasm_bindgen_test]
fn the_core_takes_valid_destinations_and_refuses_invalid_ones_naming_the_field() {
    for json in [
        r#"{"sentry":{"dsn":"https://k@o1.ingest.sentry.io/1"}}"#,
        r#"{"endpoint":"https://c.example","otlp":{"endpoint":"https://otel.example.com","headers":{"x-api-key":"k"}}}"#,
        r#"{"endpoint":"https://c.example","posthog":{"apiKey":"phc_x","types":["event"]}}"#,
    ] {
        let made = Client::new(
            json,
            false,
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
            host(&JsValue::UNDEFINED),
        );
        assert!(made.is_ok(), "{json} is taken");
    }
    // The wrapper checks these first, with longer messages; the core keeps
    // its own check, so a wrapper bypassed still cannot configure them.
    for &(json, field) in common::option_cases::REFUSED_DESTINATION_OPTIONS {
        let error = Client::new(
            json,
            false,
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
            host(&JsValue::UNDEFINED),
        )
        .err()
        .unwrap_or_else(|| panic!("{json} is refused"));
        assert!(error.is_instance_of::<js_sys::TypeError>(), "{json}");
        let message = Reflect::get(&error, &"message".into())
            .unwrap()
            .as_string()
            .unwrap();
        assert!(message.contains(&format!("`{field}`")), "{json}: {message}");
    }
}

#[wasm_bindgen_test]
async fn extra_patterns_from_javascript_regexps_are_applied() {
    let storage = create_memory_storage();
    let patterns = Array::of1(&js_sys::RegExp::new("ACME-\\d+", "").into());
    let client = Client::new(
        &text_of(&config_default()),
        true,
        patterns.into(),
        JsValue::UNDEFINED,
        host(&storage),
    )
    .unwrap();
    start(&client, &storage).await;
    client.track(
        "order".into(),
        r#"{"ref":"ACME-1234 and ACME-99 for a@b.io"}"#.into(),
        NONE,
        NONE,
    );
    persisted(&client).await;
    let state = stored(&storage).await.to_string();
    assert!(!state.contains("ACME-"), "{state}");
    assert!(
        state.contains("[Filtered] and [Filtered] for [email]"),
        "{state}"
    );
}

#[wasm_bindgen_test]
fn the_exported_scrubber_cleans_strings_and_json() {
    use mv3_telemetry::wasm::{scrub_json, scrub_text};
    assert_eq!(scrub_text("mail bob@example.com now"), "mail [email] now");
    assert_eq!(scrub_text("Chrome/124.0.0.0"), "Chrome/124.0.0.0");
    let out = scrub_json(r#"{"password":"x","note":"ip 10.1.2.3"}"#).unwrap();
    assert_eq!(out, r#"{"password":"[Filtered]","note":"ip [ip]"}"#);
}
