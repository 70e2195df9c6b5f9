//! The [`Client`] the JS wrapper drives (one per `init`), and the
//! [`Callbacks`] its host reports to. Each method crosses into wasm once and
//! returns a number, a short string or nothing; `flush` and `persist` answer
//! through a callback (the wasm makes no promises).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::js::{self, Function};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::options::{global_patterns, scrubber};
use super::platform::{self, now_ms, stored_text, CryptoEntropy};
use super::runtime::{self, arm_persist, persist_now, schedule_persist, tick, Inner, State};
use crate::core::engine::{BeforeSend, HookVerdict, Stored};
use crate::core::json::{self, push_u64};
use crate::core::names::{
    record_dropped, start_code, RECORD_ACCEPTED, RECORD_NOT_CONSENTED, RECORD_NOT_READY,
};
use crate::core::options::Options;
use crate::core::scrub::Scrubber;
use crate::core::wire::Context;
use crate::core::{
    Consent, ConsentChange, DropReason, Engine, ErrorInput, Policy, Recorded, Routes, Source,
};

/// The scrubber alone, with the default rules: `scrub(value)` of the package.
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
        let Ok(value) = js::json_parse(item) else {
            return HookVerdict::Keep;
        };
        match hook.call1(&JsValue::NULL, &value) {
            Err(_) => {
                if debug {
                    platform::warn(
                        "mv3-telemetry: beforeSend threw; the item is kept (counted as hook_error)",
                    );
                }
                HookVerdict::Failed
            }
            Ok(result) if result.is_null() => HookVerdict::Drop,
            Ok(result) if result.is_undefined() => HookVerdict::Keep,
            Ok(result) => match js::json_stringify(&result)
                .ok()
                .and_then(|text| text.as_string())
                .and_then(|text| json::parse(&text).ok())
            {
                Some(edited) => HookVerdict::Replace(edited),
                None => HookVerdict::Failed,
            },
        }
    })
}

/// The code a record call returns to JS.
fn code(recorded: Recorded) -> u8 {
    match recorded {
        Recorded::Accepted => RECORD_ACCEPTED,
        Recorded::NotConsented => RECORD_NOT_CONSENTED,
        Recorded::Dropped(reason) => record_dropped(reason),
    }
}

/// What `start` needs that only exists before it runs.
struct Pending {
    policy: Policy,
    context: Context,
    routes: Routes,
    default_consent: Consent,
    /// Its key lists are compiled at its first use, after `ready`
    /// (`core::scrub::Scrubber`).
    scrubber: Scrubber,
    before_send: Option<Function>,
}

/// One SDK instance, created by the JS wrapper's `init`.
#[wasm_bindgen]
pub struct Client {
    inner: Rc<Inner>,
    pending: RefCell<Option<Pending>>,
}

#[wasm_bindgen]
impl Client {
    /// Reads the wrapper's options, one JSON text (`coreOptions` of
    /// `js/options.js`, stringified); a `TypeError` names a bad field.
    /// `storage` says whether there is a storage area (`chrome.storage.local`
    /// or the `storage` option; the host holds it). `extra_patterns` is
    /// `scrub.extraPatterns` (an array of RegExp) or undefined. `host` is
    /// `createHost` of `js/host.js`, which carries out the requests, storage
    /// calls, timers and alarm the core decides; it is handed the
    /// [`Callbacks`] it reports to.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options: &str,
        storage: bool,
        extra_patterns: JsValue,
        before_send: JsValue,
        host: JsValue,
    ) -> Result<Client, JsValue> {
        let Options {
            endpoint,
            routes,
            gzip,
            debug,
            policy,
            context,
            scrub,
            default_consent,
        } = Options::from_json(options)
            .map_err(|e| JsValue::from(js::TypeError::new(&e.message())))?;
        let inner = Inner {
            endpoint,
            gzip,
            debug,
            storage,
            host: host.unchecked_into(),
            state: RefCell::new(State::new()),
            effects: RefCell::new(Default::default()),
            deferred: RefCell::new(Vec::new()),
            last_stats: Cell::new(Default::default()),
            last_consent: Cell::new(default_consent),
            last_id: RefCell::new(None),
            persisting: Cell::new(false),
            draining: Cell::new(false),
        };
        let pending = Pending {
            policy,
            context,
            routes,
            default_consent,
            scrubber: scrubber(scrub, global_patterns(&extra_patterns)),
            before_send: before_send.dyn_into::<Function>().ok(),
        };
        let inner = Rc::new(inner);
        inner.host.bind(Callbacks {
            inner: Rc::downgrade(&inner),
        });
        Ok(Client {
            inner,
            pending: RefCell::new(Some(pending)),
        })
    }

    /// Restores persisted state from the start-up read, which the wrapper
    /// issued while the wasm was compiling: `record` and `legacy` are the
    /// values it found under `RECORD_KEY` and `LEGACY_STATE_KEY` (undefined
    /// when absent). Item bodies are read when a batch needs them. Synchronous:
    /// the read is JS's job, restoring the core's; delivery starts with the
    /// first [`Client::wake`]. Returns the start code (`core::names::start_code`:
    /// the consent state and whether the wrapper must sweep orphan chunks).
    /// Throws a `TypeError` only for options the engine refuses.
    pub fn start(&self, record: JsValue, legacy: JsValue) -> Result<u8, JsValue> {
        let Some(Pending {
            policy,
            context,
            routes,
            default_consent,
            scrubber,
            before_send,
        }) = self.pending.borrow_mut().take()
        else {
            return Ok(start_code(self.inner.last_consent.get(), false));
        };
        let inner = &self.inner;
        let (record, legacy) = (stored_text(&record), stored_text(&legacy));
        let stored = Stored {
            record: record.as_deref(),
            legacy: legacy.as_deref(),
        };
        let mut state = inner.state.borrow_mut();
        let state = &mut *state;
        let restored = Engine::restore(
            policy,
            context,
            scrubber,
            default_consent,
            stored,
            &mut state.entropy,
        );
        let (mut engine, problem) =
            restored.map_err(|e| JsValue::from(js::TypeError::new(&e.message())))?;
        if let (Some(problem), true) = (problem, inner.debug) {
            platform::warn(&problem.message());
        }
        // The worker was stopped with items still to send: the usual MV3
        // case, and the answer to "did it lose them?".
        let restored_items = if inner.debug {
            engine.stats().queued
        } else {
            0
        };
        if restored_items > 0 {
            let mut text = "mv3-telemetry: ".to_owned();
            push_u64(&mut text, restored_items);
            platform::warn(&(text + " queued items restored from storage; delivering them"));
        }
        engine.set_routes(routes);
        if let Some(hook) = before_send {
            engine.set_before_send(js_hook(hook, inner.debug));
        }
        inner.remember_identity(&engine);
        inner.last_stats.set(engine.stats());
        let code = start_code(engine.consent(), engine.needs_sweep());
        state.engine = Some(engine);
        Ok(code)
    }

    /// `pending`, `granted` or `denied`.
    #[wasm_bindgen(js_name = consentStatus)]
    pub fn consent_status(&self) -> String {
        self.inner.last_consent.get().as_str().to_owned()
    }

    /// The anonymous ID, `undefined` unless consent is granted.
    #[wasm_bindgen(js_name = anonymousId)]
    pub fn anonymous_id(&self) -> Option<String> {
        self.inner.last_id.borrow().clone()
    }

    /// Applies the user's choice at once. The wrapper then awaits
    /// [`Client::persist`] and calls [`Client::wake`], so that `setConsent`
    /// resolves once storage reflects the choice and, on a revoke, storage is
    /// purged before the deletion request is sent. Returns whether consent
    /// changed (`false` before start too), or `undefined` while the engine is
    /// busy with an outer call (a hook calling back in): the wrapper tries
    /// again a moment later.
    #[wasm_bindgen(js_name = setConsent)]
    pub fn set_consent(&self, granted: bool) -> Option<bool> {
        let inner = &self.inner;
        if inner.busy() {
            return None;
        }
        let change = inner.with_engine(|engine, entropy, _| {
            let change = engine.set_consent(granted, now_ms(), entropy);
            inner.remember_identity(engine);
            change
        });
        Some(change.is_some_and(|change| change != ConsentChange::Unchanged))
    }

    /// Records a usage event; `props_json` is the wrapper's normalized props.
    /// Never throws; returns a record code (`js/constants.js`). `context_kind`
    /// and `origin`, here and in the other recording calls, are given for a call
    /// forwarded from a page client (see `sourced`). Text arguments of the
    /// recording calls are taken as JS values and read with `text`: the glue
    /// then only passes references (`docs/size.md`).
    pub fn track(
        &self,
        name: JsValue,
        props_json: JsValue,
        context_kind: JsValue,
        origin: JsValue,
    ) -> u8 {
        let (name, props_json) = (text(&name).unwrap_or_default(), text(&props_json));
        self.record(sourced(
            &context_kind,
            &origin,
            Box::new(move |engine, entropy| {
                engine.record_event(&name, props_json.as_deref(), now_ms(), entropy)
            }),
        ))
    }

    /// An event that sampling must not thin out (lifecycle events).
    #[wasm_bindgen(js_name = trackSystem)]
    pub fn track_system(&self, name: JsValue, props_json: JsValue) -> u8 {
        let (name, props_json) = (text(&name).unwrap_or_default(), text(&props_json));
        self.record(Box::new(move |engine, entropy| {
            engine.record_unsampled_event(&name, props_json.as_deref(), now_ms(), entropy)
        }))
    }

    /// Captures an error the wrapper has taken apart: kind, message, V8 stack
    /// text, a context object (JSON) and its cause chain (JSON,
    /// `ErrorInput::causes`; last, so older callers need not pass it). Never throws.
    #[wasm_bindgen(js_name = captureError)]
    // Positional arguments are the JS call's shape; a struct would cost glue.
    #[allow(clippy::too_many_arguments)]
    pub fn capture_error(
        &self,
        kind: JsValue,
        message: JsValue,
        stack: JsValue,
        context_json: JsValue,
        context_kind: JsValue,
        origin: JsValue,
        causes_json: JsValue,
    ) -> u8 {
        let (kind, message) = (
            text(&kind).unwrap_or_default(),
            text(&message).unwrap_or_default(),
        );
        let (stack, context_json, causes_json) =
            (text(&stack), text(&context_json), text(&causes_json));
        self.record(sourced(
            &context_kind,
            &origin,
            Box::new(move |engine, entropy| {
                let input = ErrorInput {
                    kind: &kind,
                    message: &message,
                    stack: stack.as_deref(),
                    context: context_json.as_deref(),
                    causes: causes_json.as_deref(),
                };
                engine.record_error(input, now_ms(), entropy)
            }),
        ))
    }

    /// Adds a timer sample (milliseconds) to its (name, props) series.
    #[wasm_bindgen(js_name = recordTiming)]
    pub fn record_timing(
        &self,
        name: JsValue,
        duration_ms: f64,
        props_json: JsValue,
        context_kind: JsValue,
        origin: JsValue,
    ) -> u8 {
        let (name, props_json) = (text(&name).unwrap_or_default(), text(&props_json));
        self.record(sourced(
            &context_kind,
            &origin,
            Box::new(move |engine, entropy| {
                engine.record_timing(&name, duration_ms, props_json.as_deref(), now_ms(), entropy)
            }),
        ))
    }

    /// User feedback; the wrapper has checked the field types.
    pub fn feedback(
        &self,
        kind: JsValue,
        rating: Option<u8>,
        message: JsValue,
        contact: JsValue,
        context_kind: JsValue,
        origin: JsValue,
    ) -> u8 {
        let kind = text(&kind).unwrap_or_default();
        let (message, contact) = (text(&message), text(&contact));
        self.record(sourced(
            &context_kind,
            &origin,
            Box::new(move |engine, entropy| {
                engine.record_feedback(
                    &kind,
                    rating,
                    message.as_deref(),
                    contact.as_deref(),
                    now_ms(),
                    entropy,
                )
            }),
        ))
    }

    /// Counts `n` drops decided in the wrapper (the reason's index in the
    /// wire order), in one call.
    #[wasm_bindgen(js_name = countDrops)]
    pub fn count_drops(&self, reason: u8, n: u32) {
        let Some(reason) = DropReason::ALL.get(usize::from(reason)).copied() else {
            return;
        };
        if self
            .inner
            .with_engine(|engine, _, _| engine.count_drops(reason, u64::from(n)))
            .is_some()
        {
            schedule_persist(&self.inner);
        }
    }

    /// `{"queued":..,"sent":..,"retries":..,"dropped":{..},"truncated":..}`.
    pub fn stats(&self) -> String {
        self.inner.last_stats.get().to_json()
    }

    /// Tries to deliver everything now; calls `done` with
    /// `{"sent":n,"pending":n}` (JSON) once nothing is in flight. The wrapper
    /// makes the promise: the wasm makes none.
    pub fn flush(&self, done: Function) {
        let inner = &self.inner;
        let sent_before = inner.with_engine(|engine, _, driver| {
            driver.begin_flush(engine, now_ms());
            engine.stats().sent
        });
        let Some(sent) = sent_before else {
            let _ = done.call1(
                &JsValue::NULL,
                &JsValue::from_str("{\"sent\":0,\"pending\":0}"),
            );
            return;
        };
        inner.effects.borrow_mut().flush_waiters.push((sent, done));
        tick(inner);
    }

    /// The driver tick: delivery, the wake-up timer and alarm, `daily_active`.
    /// Called once after `ready`, on the alarm, and when the network returns.
    pub fn wake(&self) {
        if self.inner.busy() {
            self.inner.defer(tick);
        } else {
            tick(&self.inner);
        }
    }

    /// Writes pending state to storage now; calls `done` when the writes
    /// are over (landed, refused, or nothing to write).
    pub fn persist(&self, done: Function) {
        self.inner.effects.borrow_mut().persist_waiters.push(done);
        persist_now(&self.inner);
    }

    /// Panics on purpose, so tests can check that an SDK panic is contained
    /// and reported as `sdk_panic`. Not part of the public JS API.
    #[wasm_bindgen(js_name = __panicForTests)]
    pub fn panic_for_tests(&self) {
        panic!("mv3-telemetry: deliberate panic for tests");
    }
}

/// The way back from the JS host (`js/host.js`): it reports here what
/// became of the effects the core asked for, each report one call into wasm.
/// It holds the instance weakly: reports that come after its [`Client`] is
/// gone are ignored.
#[wasm_bindgen]
pub struct Callbacks {
    inner: Weak<Inner>,
}

#[wasm_bindgen]
impl Callbacks {
    /// Timer `kind` fired (`Host::arm`).
    pub fn fired(&self, kind: u8) {
        if let Some(inner) = self.inner.upgrade() {
            runtime::on_timer(&inner, kind);
        }
    }

    /// Read `id` ended with what the storage area's `get` found (null when it
    /// failed).
    #[wasm_bindgen(js_name = readDone)]
    pub fn read_done(&self, id: u32, items: JsValue) {
        if let Some(inner) = self.inner.upgrade() {
            runtime::on_read(&inner, id, items);
        }
    }

    /// The body of request `id` is `size` bytes: 0 to give it up, 1 to send
    /// it with `keepalive`, 2 without.
    pub fn sized(&self, id: f64, size: u32) -> u8 {
        match self.inner.upgrade() {
            Some(inner) => runtime::on_sized(&inner, id as u64, size),
            None => 0,
        }
    }

    /// Request `id` ended: `answer` is `[status, retryAfter, rateLimits,
    /// text]`, or null when no answer came; `kept` is the `keepalive` budget
    /// it held (0 without).
    pub fn answered(&self, id: f64, kept: u32, answer: JsValue) {
        if let Some(inner) = self.inner.upgrade() {
            runtime::on_answer(&inner, id as u64, kept, answer);
        }
    }

    /// The write in flight ended: whether its `set` and its `remove` landed.
    pub fn written(&self, ok: bool, removed: bool) {
        if let Some(inner) = self.inner.upgrade() {
            runtime::on_written(&inner, ok, removed);
        }
    }
}

/// A recording call made for a page client when `context_kind` is given: its items
/// carry the context kind and origin, checked by the core ([`Source::new`]);
/// a source the core refuses drops the call as `invalid`.
/// Not generic over the call (one copy in the wasm, not one per kind of item).
fn sourced(context_kind: &JsValue, origin: &JsValue, call: RecordCall) -> RecordCall {
    let Some(kind) = text(context_kind) else {
        return call;
    };
    let origin = text(origin);
    Box::new(move |engine, entropy| {
        if engine.consent() != Consent::Granted {
            return Recorded::NotConsented;
        }
        match Source::new(&kind, origin.as_deref()) {
            Some(source) => engine.with_source(source, |engine| call(engine, entropy)),
            None => {
                engine.count_drops(DropReason::Invalid, 1);
                Recorded::Dropped(DropReason::Invalid)
            }
        }
    })
}

/// A text argument of a recording call: `None` unless a string (the wrapper
/// passes `undefined` for an absent one). One import call (wasm-bindgen's
/// `string_get`) instead of the glue's per-argument encoding code.
fn text(value: &JsValue) -> Option<String> {
    value.as_string()
}

/// A recording call, boxed. Size: one `record` for every kind of item
/// instead of a copy per closure type (the box is one small allocation).
type RecordCall = Box<dyn FnOnce(&mut Engine, &mut CryptoEntropy) -> Recorded>;

impl Client {
    /// One recording call: runs now, or after the outer call when the engine
    /// is busy (a JS hook calling back in), then arms what it needs.
    fn record(&self, call: RecordCall) -> u8 {
        if self.inner.busy() {
            self.inner.defer(move |inner| {
                run_record(inner, call);
            });
            return RECORD_ACCEPTED;
        }
        run_record(&self.inner, call).map_or(RECORD_NOT_READY, code)
    }
}

/// Runs a recording call and, in the same borrow of the engine, decides
/// whether it needs the debounced persist and a driver tick (a record call
/// is the hot path: one borrow, not three).
fn run_record(inner: &Rc<Inner>, call: RecordCall) -> Option<Recorded> {
    let (recorded, persist_delay, poll) = inner.with_engine(|engine, entropy, driver| {
        let recorded = call(engine, entropy);
        let counted = recorded != Recorded::NotConsented;
        let persist_delay = if counted && inner.storage {
            driver.persist_delay(engine)
        } else {
            None
        };
        (
            recorded,
            persist_delay,
            recorded == Recorded::Accepted && engine.poll_needed(),
        )
    })?;
    if let Some(delay) = persist_delay {
        arm_persist(inner, delay);
    }
    if poll {
        tick(inner);
    }
    Some(recorded)
}
