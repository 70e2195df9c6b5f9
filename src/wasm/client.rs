//! The object the JS wrapper drives: one [`Client`] per `init`. It owns the
//! engine and turns its actions into `fetch`es, timers, alarms and writes.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

use super::platform::{self, chrome_storage_local, gzip, now_ms, post, set_alarm, storage_read, storage_write, CryptoEntropy, FetchResult, StorageArea, Timer};
use crate::core::backoff::Outcome;
use crate::core::json;
use crate::core::scrub::{ScrubOptions, Scrubber};
use crate::core::wire::push_u64;
use crate::core::engine::{BeforeSend, HookVerdict};
use crate::core::{Action, Consent, ConsentChange, Context, DropReason, Engine, ErrorInput, Policy, Recorded, Request};

/// The `chrome.storage.local` key holding the snapshot.
pub const STORAGE_KEY: &str = "mv3t.state";
/// The `chrome.alarms` name that wakes the worker for pending deliveries.
pub const ALARM_NAME: &str = "mv3-telemetry.wake";
/// Accepted items reach storage within this delay (the contract says 1 s).
const PERSIST_DELAY_MS: u64 = 200;
/// MV3 kills a worker whose fetch takes over 30 s; give up before that.
const REQUEST_TIMEOUT_MS: u32 = 25_000;
/// `chrome.alarms` cannot fire sooner than this after being set.
const ALARM_MIN_DELAY_MS: u64 = 30_000;
/// In-flight `keepalive` bodies share this budget (Chrome's is 64 KiB).
const KEEPALIVE_BUDGET: usize = 60_000;

/// Options after validation by the JS wrapper (which throws the `TypeError`s).
#[derive(Debug, Default)]
struct Config {
    endpoint: String,
    app_version: String,
    environment: String,
    default_consent: String,
    sample_rate: Option<f64>,
    max_queued_items: Option<usize>,
    batch: BatchConfig,
    retry: RetryConfig,
    scrub: ScrubConfig,
    compression: String,
    debug: bool,
    slow_threshold_ms: Option<f64>,
    lifecycle_events: Option<bool>,
    browser: String,
    os: String,
    locale: String,
}

#[derive(Debug, Default)]
struct BatchConfig {
    max_events: Option<usize>,
    max_bytes: Option<usize>,
    flush_interval_ms: Option<u64>,
    error_flush_delay_ms: Option<u64>,
}

#[derive(Debug, Default)]
struct RetryConfig {
    base_delay_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    max_attempts: Option<u32>,
}

#[derive(Debug, Default)]
struct ScrubConfig {
    deny_keys: Vec<String>,
    allow_keys: Vec<String>,
}

// TEMPORARY (json-split branch): options read from the parsed JS object
// rather than through the deleted serde bridge; the lead's client rewrite
// replaces this. Absent or `null` fields take their defaults; a field of the
// wrong type fails the whole object, as serde did.
mod options {
    use wasm_bindgen::{JsCast, JsValue};

    /// The field `key` of `object`, or `None` when absent or `null`.
    pub fn field(object: &JsValue, key: &str) -> Option<JsValue> {
        js_sys::Reflect::get(object, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// Reads `key` with `read`: `Some(None)` when absent, `None` when `read` refuses it.
    pub fn opt<T>(object: &JsValue, key: &str, read: impl FnOnce(&JsValue) -> Option<T>) -> Option<Option<T>> {
        match field(object, key) {
            None => Some(None),
            Some(value) => read(&value).map(Some),
        }
    }

    /// A non-negative integer that fits `u64` exactly.
    pub fn integer(value: &JsValue) -> Option<u64> {
        value.as_f64().filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= 9_007_199_254_740_991.0).map(|n| n as u64)
    }

    /// An [`integer`] that fits `usize`.
    pub fn size(value: &JsValue) -> Option<usize> {
        integer(value).and_then(|n| usize::try_from(n).ok())
    }

    pub fn strings(value: &JsValue) -> Option<Vec<String>> {
        value.dyn_ref::<js_sys::Array>()?.iter().map(|v| v.as_string()).collect()
    }

    pub fn object(value: &JsValue) -> Option<&JsValue> {
        value.is_object().then_some(value)
    }
}

impl Config {
    fn from_js(o: &JsValue) -> Option<Config> {
        use options::{integer, object, opt, size, strings};
        let o = object(o)?;
        let string = |key| opt(o, key, JsValue::as_string).map(Option::unwrap_or_default);
        let batch = opt(o, "batch", |b| {
            let b = object(b)?;
            Some(BatchConfig {
                max_events: opt(b, "maxEvents", size)?,
                max_bytes: opt(b, "maxBytes", size)?,
                flush_interval_ms: opt(b, "flushIntervalMs", integer)?,
                error_flush_delay_ms: opt(b, "errorFlushDelayMs", integer)?,
            })
        })?;
        let retry = opt(o, "retry", |r| {
            let r = object(r)?;
            Some(RetryConfig {
                base_delay_ms: opt(r, "baseDelayMs", integer)?,
                max_delay_ms: opt(r, "maxDelayMs", integer)?,
                max_attempts: opt(r, "maxAttempts", |v| integer(v).and_then(|n| u32::try_from(n).ok()))?,
            })
        })?;
        let scrub = opt(o, "scrub", |s| {
            let s = object(s)?;
            Some(ScrubConfig {
                deny_keys: opt(s, "denyKeys", strings)?.unwrap_or_default(),
                allow_keys: opt(s, "allowKeys", strings)?.unwrap_or_default(),
            })
        })?;
        Some(Config {
            endpoint: string("endpoint")?,
            app_version: string("appVersion")?,
            environment: string("environment")?,
            default_consent: string("defaultConsent")?,
            sample_rate: opt(o, "sampleRate", JsValue::as_f64)?,
            max_queued_items: opt(o, "maxQueuedItems", size)?,
            batch: batch.unwrap_or_default(),
            retry: retry.unwrap_or_default(),
            scrub: scrub.unwrap_or_default(),
            compression: string("compression")?,
            debug: opt(o, "debug", JsValue::as_bool)?.unwrap_or_default(),
            slow_threshold_ms: opt(o, "slowThresholdMs", JsValue::as_f64)?,
            lifecycle_events: opt(o, "lifecycleEvents", JsValue::as_bool)?,
            browser: string("browser")?,
            os: string("os")?,
            locale: string("locale")?,
        })
    }

    fn policy(&self) -> Policy {
        let d = Policy::default();
        Policy {
            max_queued_items: self.max_queued_items.unwrap_or(d.max_queued_items),
            batch_max_events: self.batch.max_events.unwrap_or(d.batch_max_events),
            batch_max_bytes: self.batch.max_bytes.unwrap_or(d.batch_max_bytes),
            flush_interval_ms: self.batch.flush_interval_ms.unwrap_or(d.flush_interval_ms),
            error_flush_delay_ms: self.batch.error_flush_delay_ms.unwrap_or(d.error_flush_delay_ms),
            retry_base_delay_ms: self.retry.base_delay_ms.unwrap_or(d.retry_base_delay_ms),
            retry_max_delay_ms: self.retry.max_delay_ms.unwrap_or(d.retry_max_delay_ms),
            retry_max_attempts: self.retry.max_attempts.unwrap_or(d.retry_max_attempts),
            sample_rate: self.sample_rate.unwrap_or(d.sample_rate),
            slow_threshold_ms: self.slow_threshold_ms.unwrap_or(d.slow_threshold_ms),
            lifecycle_events: self.lifecycle_events.unwrap_or(d.lifecycle_events),
            ..d
        }
    }

    fn context(&self) -> Context {
        Context {
            app_version: self.app_version.clone(),
            environment: if self.environment.is_empty() { "production".into() } else { self.environment.clone() },
            browser: self.browser.clone(),
            os: self.os.clone(),
            locale: self.locale.clone(),
        }
    }
}

/// `scrub.extraPatterns`, each made global so every match is replaced. They run
/// through the browser's own RegExp engine: no regex code in the wasm.
fn global_patterns(patterns: &JsValue) -> Vec<js_sys::RegExp> {
    let Some(array) = patterns.dyn_ref::<js_sys::Array>() else { return Vec::new() };
    array
        .iter()
        .filter_map(|p| p.dyn_into::<js_sys::RegExp>().ok())
        .map(|re| {
            let flags = String::from(re.flags());
            if flags.contains('g') {
                re
            } else {
                js_sys::RegExp::new(&String::from(re.source()), &(flags + "g"))
            }
        })
        .collect()
}

fn with_patterns(scrubber: Scrubber, patterns: Vec<js_sys::RegExp>) -> Scrubber {
    if patterns.is_empty() {
        return scrubber;
    }
    scrubber.with_extra_pass(Box::new(move |text: &str| {
        let mut current: Option<String> = None;
        for re in &patterns {
            let subject = current.as_deref().unwrap_or(text);
            re.set_last_index(0);
            if re.test(subject) {
                let replaced: String = js_sys::JsString::from(subject).replace_by_pattern(re, "[Filtered]").into();
                current = Some(replaced);
            }
        }
        current
    }))
}

/// The scrubber alone, with the default rules: `scrub(value)` of the package.
/// A string is scrubbed as text; anything else arrives as JSON and leaves as JSON.
#[wasm_bindgen(js_name = scrubText)]
pub fn scrub_text(text: &str) -> String {
    Scrubber::default().scrub_text(text).into_owned()
}

/// [`scrub_text`] for JSON-like values (normalized to JSON text by the wrapper).
#[wasm_bindgen(js_name = scrubJson)]
pub fn scrub_json(text: &str) -> Option<String> {
    let mut value = json::parse(text).ok()?;
    Scrubber::default().scrub_value(&mut value);
    Some(json::to_string(&value))
}

/// `beforeSend` as the engine sees it: the item goes to JS as an object,
/// comes back as one (or `null`); a throw keeps the item.
fn js_hook(hook: Function, debug: bool) -> BeforeSend {
    Box::new(move |item: &str| {
        let Ok(value) = js_sys::JSON::parse(item) else { return HookVerdict::Keep };
        match hook.call1(&JsValue::NULL, &value) {
            Err(_) => {
                if debug {
                    platform::warn("mv3-telemetry: beforeSend threw; the item is dropped (counted as hook_error)");
                }
                HookVerdict::Failed
            }
            Ok(result) if result.is_null() => HookVerdict::Drop,
            Ok(result) if result.is_undefined() => HookVerdict::Keep,
            Ok(result) => match js_sys::JSON::stringify(&result).ok().and_then(|text| text.as_string()).and_then(|text| json::parse(&text).ok()) {
                Some(edited) => HookVerdict::Replace(edited),
                None => HookVerdict::Failed,
            },
        }
    })
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

struct State {
    engine: Option<Engine>,
    entropy: CryptoEntropy,
    wake_timer: Option<(u64, Timer)>,
    persist_timer: Option<Timer>,
    alarm_at: Option<u64>,
    flush_waiters: Vec<(u64, Function)>,
    keepalive_bytes: usize,
}

struct Inner {
    endpoint: String,
    gzip: bool,
    debug: bool,
    policy: Policy,
    context: Context,
    scrub: ScrubConfig,
    default_consent: Consent,
    extra_patterns: Vec<js_sys::RegExp>,
    before_send: Option<Function>,
    storage: Option<StorageArea>,
    state: RefCell<State>,
}

/// One SDK instance, created by the JS wrapper's `init`.
#[wasm_bindgen]
pub struct Client {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl Client {
    /// Parses the wrapper's normalized options (JSON). `storage` overrides
    /// `chrome.storage.local` (an object with its `get`/`set`/`remove`), for
    /// tests and non-extension workers; `undefined` uses the extension's.
    /// `extra_patterns` is `scrub.extraPatterns` (an array of RegExp) or undefined.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str, storage: JsValue, extra_patterns: JsValue, before_send: JsValue) -> Result<Client, JsValue> {
        let config = js_sys::JSON::parse(options_json).ok().and_then(|options| Config::from_js(&options)).ok_or_else(|| type_error("mv3-telemetry: options must be an object"))?;
        if config.endpoint.is_empty() {
            return Err(type_error("mv3-telemetry: option `endpoint` is required"));
        }
        let policy = config.policy();
        policy.validate().map_err(|e| type_error(&e.message()))?;
        let default_consent = match config.default_consent.as_str() {
            "" => Consent::Pending,
            text => Consent::parse(text).ok_or_else(|| type_error("mv3-telemetry: option `defaultConsent` must be 'pending', 'granted' or 'denied'"))?,
        };
        let storage = if storage.is_undefined() || storage.is_null() { chrome_storage_local() } else { Some(storage.unchecked_into()) };
        let inner = Inner {
            endpoint: config.endpoint.trim_end_matches('/').to_owned(),
            gzip: config.compression != "none",
            debug: config.debug,
            context: config.context(),
            policy,
            scrub: config.scrub,
            default_consent,
            extra_patterns: global_patterns(&extra_patterns),
            before_send: before_send.dyn_into::<Function>().ok(),
            storage,
            state: RefCell::new(State {
                engine: None,
                entropy: CryptoEntropy::new(),
                wake_timer: None,
                persist_timer: None,
                alarm_at: None,
                flush_waiters: Vec::new(),
                keepalive_bytes: 0,
            }),
        };
        Ok(Client { inner: Rc::new(inner) })
    }

    /// Restores persisted state and starts delivery. Resolves when ready.
    pub fn start(&self) -> Promise {
        let inner = self.inner.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let stored = match &inner.storage {
                Some(area) => storage_read(area, STORAGE_KEY).await.unwrap_or_else(|e| {
                    inner.warn_js("mv3-telemetry: could not read stored state", &e);
                    None
                }),
                None => None,
            };
            {
                let mut state = inner.state.borrow_mut();
                let state = &mut *state;
                let scrubber = Scrubber::new(ScrubOptions { deny_keys: inner.scrub.deny_keys.clone(), allow_keys: inner.scrub.allow_keys.clone() });
                let scrubber = with_patterns(scrubber, inner.extra_patterns.clone());
                let restored = Engine::restore(inner.policy.clone(), inner.context.clone(), scrubber, inner.default_consent, stored.as_deref(), &mut state.entropy);
                let (engine, problem) = restored.map_err(|e| type_error(&e.message()))?;
                if let (Some(problem), true) = (problem, inner.debug) {
                    platform::warn(&problem.message());
                }
                let mut engine = engine;
                // The worker was stopped with items still to send: the usual
                // MV3 case, and the answer to "did it lose them?".
                let restored_items = if inner.debug { engine.stats().queued } else { 0 };
                if restored_items > 0 {
                    let mut text = "mv3-telemetry: ".to_owned();
                    push_u64(&mut text, restored_items);
                    platform::warn(&(text + " queued items restored from storage; delivering them"));
                }
                if let Some(hook) = inner.before_send.clone() {
                    engine.set_before_send(js_hook(hook, inner.debug));
                }
                state.engine = Some(engine);
            }
            pump(&inner);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `pending`, `granted` or `denied`.
    #[wasm_bindgen(js_name = consentStatus)]
    pub fn consent_status(&self) -> String {
        self.inner.with_engine(|engine, _| engine.consent().as_str().to_owned()).unwrap_or_else(|| "pending".into())
    }

    /// The anonymous ID, `undefined` unless consent is granted.
    #[wasm_bindgen(js_name = anonymousId)]
    pub fn anonymous_id(&self) -> Option<String> {
        self.inner.with_engine(|engine, _| engine.anonymous_id().map(str::to_owned)).flatten()
    }

    /// Applies the user's choice; resolves once storage reflects it. On a
    /// revoke, storage is purged before the deletion request is sent.
    #[wasm_bindgen(js_name = setConsent)]
    pub fn set_consent(&self, granted: bool) -> Promise {
        let inner = self.inner.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let change = inner.with_engine(|engine, entropy| engine.set_consent(granted, now_ms(), entropy));
            if matches!(change, Some(ConsentChange::Granted | ConsentChange::Denied | ConsentChange::Revoked)) {
                persist_now(&inner).await;
            }
            pump(&inner);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Records a usage event; `props_json` is the wrapper's normalized props.
    /// Never throws. Returns the outcome as a short string for debug logging.
    pub fn track(&self, name: &str, props_json: Option<String>) -> String {
        let props = props_json.and_then(|text| json::parse(&text).ok());
        let recorded = self.inner.with_engine(|engine, entropy| engine.record_event(name, props, now_ms(), entropy));
        self.after_record(recorded)
    }

    /// Captures an error the wrapper has taken apart: kind, message, V8 stack
    /// text and a context object (JSON). Never throws.
    #[wasm_bindgen(js_name = captureError)]
    pub fn capture_error(&self, kind: &str, message: &str, stack: Option<String>, context_json: Option<String>) -> String {
        let context = context_json.and_then(|text| json::parse(&text).ok());
        let input = ErrorInput { kind, message, stack: stack.as_deref(), context };
        let recorded = self.inner.with_engine(|engine, entropy| engine.record_error(input, now_ms(), entropy));
        self.after_record(recorded)
    }

    /// Panics on purpose, so tests can check that an SDK panic is contained
    /// and reported as `sdk_panic`. Not part of the public JS API.
    #[wasm_bindgen(js_name = __panicForTests)]
    pub fn panic_for_tests(&self) {
        panic!("mv3-telemetry: deliberate panic for tests");
    }

    /// Adds a timer sample (milliseconds) to its (name, props) series.
    #[wasm_bindgen(js_name = recordTiming)]
    pub fn record_timing(&self, name: &str, duration_ms: f64, props_json: Option<String>) -> String {
        let props = props_json.and_then(|text| json::parse(&text).ok());
        let recorded = self.inner.with_engine(|engine, entropy| engine.record_timing(name, duration_ms, props, now_ms(), entropy));
        self.after_record(recorded)
    }

    /// User feedback; the wrapper has checked the field types.
    pub fn feedback(&self, kind: &str, rating: Option<u8>, message: Option<String>, contact: Option<String>) -> String {
        let recorded = self.inner.with_engine(|engine, entropy| engine.record_feedback(kind, rating, message.as_deref(), contact.as_deref(), now_ms(), entropy));
        self.after_record(recorded)
    }

    /// An event that sampling must not thin out (lifecycle events).
    #[wasm_bindgen(js_name = trackSystem)]
    pub fn track_system(&self, name: &str, props_json: Option<String>) -> String {
        let props = props_json.and_then(|text| json::parse(&text).ok());
        let recorded = self.inner.with_engine(|engine, entropy| engine.record_unsampled_event(name, props, now_ms(), entropy));
        self.after_record(recorded)
    }

    /// Counts a drop decided in the wrapper (`before_send`, `hook_error`, `invalid`, `sampled`).
    #[wasm_bindgen(js_name = countDrop)]
    pub fn count_drop(&self, reason: &str) {
        if let Some(reason) = DropReason::from_key(reason) {
            self.inner.with_engine(|engine, _| engine.count_drop(reason));
            schedule_persist(&self.inner);
        }
    }

    /// `{"queued":..,"sent":..,"retries":..,"dropped":{..},"truncated":..}`.
    pub fn stats(&self) -> String {
        self.inner.with_engine(|engine, _| engine.stats().to_json()).unwrap_or_else(|| "{}".into())
    }

    /// Tries to deliver everything now; resolves with `{"sent":n,"pending":n}` (JSON).
    pub fn flush(&self) -> Promise {
        let inner = self.inner.clone();
        Promise::new(&mut |resolve, _reject| {
            let sent_before = inner.with_engine(|engine, _| {
                engine.request_flush(now_ms());
                engine.stats().sent
            });
            inner.state.borrow_mut().flush_waiters.push((sent_before.unwrap_or(0), resolve));
            pump(&inner);
        })
    }

    /// Called by the wrapper's `chrome.alarms.onAlarm` listener, and whenever
    /// the worker has reason to believe delivery may proceed.
    pub fn wake(&self) {
        pump(&self.inner);
    }

    /// Writes pending state to storage now (used before the wrapper expects the worker to stop).
    #[wasm_bindgen(js_name = persist)]
    pub fn persist(&self) -> Promise {
        let inner = self.inner.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            persist_now(&inner).await;
            Ok(JsValue::UNDEFINED)
        })
    }
}

impl Client {
    fn after_record(&self, recorded: Option<Recorded>) -> String {
        let word = match recorded {
            Some(Recorded::Accepted) => {
                schedule_persist(&self.inner);
                if self.inner.with_engine(|engine, _| engine.poll_needed()).unwrap_or(false) {
                    pump(&self.inner);
                }
                "accepted"
            }
            Some(Recorded::Dropped(reason)) => {
                schedule_persist(&self.inner);
                reason.as_str()
            }
            Some(Recorded::NotConsented) => "no_consent",
            None => "not_ready",
        };
        word.to_owned()
    }
}

impl Inner {
    fn with_engine<T>(&self, f: impl FnOnce(&mut Engine, &mut CryptoEntropy) -> T) -> Option<T> {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        state.engine.as_mut().map(|engine| f(engine, &mut state.entropy))
    }

    fn warn_js(&self, message: &str, error: &JsValue) {
        if self.debug {
            let detail = error.as_string().unwrap_or_default();
            platform::warn(&(message.to_owned() + ": " + &detail));
        }
    }
}

/// Polls the engine until it has nothing to send, starting each request,
/// then arms the wake-up timer and the alarm, and settles finished flushes.
fn pump(inner: &Rc<Inner>) {
    let now = now_ms();
    let mut sends: Vec<Request> = Vec::new();
    let mut settled: Vec<(Function, String)> = Vec::new();
    let marked_day;
    {
        let mut state = inner.state.borrow_mut();
        let state = &mut *state;
        let Some(engine) = state.engine.as_mut() else { return };
        // Persisted at once, not debounced: a worker stopped right after must
        // not send a second daily_active.
        marked_day = engine.mark_daily_active(now, &mut state.entropy);
        let wake = loop {
            match engine.poll(now, &mut state.entropy) {
                Action::Send(request) => sends.push(request),
                Action::WaitUntil(at) => break Some(at),
                Action::Idle => break None,
            }
        };
        // The in-worker timer: cheap and precise, but dies with the worker.
        let keep = matches!((&state.wake_timer, wake), (Some((armed, _)), Some(at)) if *armed <= at && *armed > now);
        if !keep {
            if let Some((_, timer)) = state.wake_timer.take() {
                timer.cancel();
            }
            if let Some(at) = wake {
                let weak = Rc::downgrade(inner);
                state.wake_timer = Some((at, Timer::after(at.saturating_sub(now), move || on_timer(&weak))));
            }
        }
        // The alarm: survives the worker, so pending data is never stranded.
        let pending = engine.has_pending();
        let desired = pending.then(|| wake.unwrap_or(now).max(now + ALARM_MIN_DELAY_MS));
        match (state.alarm_at, desired) {
            (None, None) => {}
            (Some(_), None) => {
                state.alarm_at = None;
                set_alarm(ALARM_NAME, None);
            }
            (armed, Some(at)) => {
                if armed.is_none_or(|armed| armed <= now || at + 1_000 < armed) {
                    state.alarm_at = Some(at);
                    set_alarm(ALARM_NAME, Some(at));
                }
            }
        }
        if !state.flush_waiters.is_empty() && !engine.has_in_flight() {
            engine.end_flush();
            let stats = engine.stats();
            for (sent_before, resolve) in state.flush_waiters.drain(..) {
                let sent = stats.sent.saturating_sub(sent_before);
                let mut result = "{\"sent\":".to_owned();
                push_u64(&mut result, sent);
                result.push_str(",\"pending\":");
                push_u64(&mut result, stats.queued);
                result.push('}');
                settled.push((resolve, result));
            }
        }
    }
    if marked_day {
        let inner = inner.clone();
        spawn_local(async move { persist_now(&inner).await });
    }
    for request in sends {
        spawn_local(deliver(inner.clone(), request));
    }
    for (resolve, result) in settled {
        let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&result));
    }
    schedule_persist(inner);
}

fn on_timer(weak: &Weak<Inner>) {
    if let Some(inner) = weak.upgrade() {
        inner.state.borrow_mut().wake_timer = None;
        pump(&inner);
    }
}

async fn deliver(inner: Rc<Inner>, request: Request) {
    let url = inner.endpoint.clone() + request.endpoint.path();
    let (body, gzipped, size) = match inner.gzip.then_some(()) {
        Some(()) => match gzip(&request.body).await {
            Some(bytes) => {
                let size = bytes.length() as usize;
                (JsValue::from(bytes), true, size)
            }
            None => (JsValue::from_str(&request.body), false, request.body.len()),
        },
        None => (JsValue::from_str(&request.body), false, request.body.len()),
    };
    // Consent may have been revoked while the body was compressed.
    if !inner.with_engine(|engine, _| engine.is_in_flight(request.id)).unwrap_or(false) {
        return;
    }
    let keepalive = {
        let mut state = inner.state.borrow_mut();
        let fits = state.keepalive_bytes + size <= KEEPALIVE_BUDGET;
        if fits {
            state.keepalive_bytes += size;
        }
        fits
    };
    let result = post(&url, &body, gzipped, &request.batch_id, keepalive, REQUEST_TIMEOUT_MS).await;
    if keepalive {
        inner.state.borrow_mut().keepalive_bytes -= size;
    }
    let outcome = match result {
        FetchResult::Answered { status, retry_after } => Outcome::Status { code: status, retry_after },
        FetchResult::Failed => Outcome::NetworkError,
    };
    if inner.debug && !matches!(outcome, Outcome::Status { code: 200..=299, .. }) {
        let what = match &outcome {
            Outcome::Status { code, .. } => {
                let mut text = "status ".to_owned();
                push_u64(&mut text, u64::from(*code));
                text
            }
            Outcome::NetworkError => "network error".to_owned(),
        };
        platform::warn(&("mv3-telemetry: POST ".to_owned() + &url + " failed: " + &what));
    }
    inner.with_engine(|engine, entropy| engine.on_outcome(request.id, &outcome, now_ms(), entropy));
    pump(&inner);
}

/// Arms the debounced write if anything changed.
fn schedule_persist(inner: &Rc<Inner>) {
    let mut state = inner.state.borrow_mut();
    let dirty = state.engine.as_ref().is_some_and(Engine::is_dirty);
    if !dirty || state.persist_timer.is_some() || inner.storage.is_none() {
        return;
    }
    let weak = Rc::downgrade(inner);
    state.persist_timer = Some(Timer::after(PERSIST_DELAY_MS, move || {
        if let Some(inner) = weak.upgrade() {
            inner.state.borrow_mut().persist_timer = None;
            spawn_local(async move { persist_now(&inner).await });
        }
    }));
}

/// Writes the current state (or deletes it when nothing may be stored).
/// chrome.storage applies writes in call order, so the last call wins with the newest state.
async fn persist_now(inner: &Rc<Inner>) {
    let Some(area) = &inner.storage else { return };
    let text = {
        let mut state = inner.state.borrow_mut();
        if let Some(timer) = state.persist_timer.take() {
            timer.cancel();
        }
        let Some(engine) = state.engine.as_mut() else { return };
        engine.take_dirty();
        engine.persisted_state()
    };
    if let Err(error) = storage_write(area, STORAGE_KEY, text.as_deref()).await {
        inner.warn_js("mv3-telemetry: could not persist state", &error);
        // Keep it dirty so the next change retries the write.
        inner.with_engine(|engine, _| engine.mark_dirty());
    }
}
