//! Carries out what the engine and the driver decide, through the JS host
//! (`js/host.js`): requests, storage calls, timers and the alarm. Every call
//! here is synchronous: the host starts the work and reports its outcome back
//! through [`super::exports::Callbacks`], a later call into wasm. So the wasm
//! holds no futures, no promise plumbing and no closures (`docs/size.md`).
//!
//! The engine sits in a `RefCell`; a JS callback that runs while it is
//! borrowed (`beforeSend`, a `scrub.extraPatterns` RegExp) and calls back into
//! the SDK finds it busy: recording calls are then deferred until the outer
//! call ends, and reads answer from the figures of the last completed call.
//! Nothing panics.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::js::{Array, Function};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::platform::{now_ms, pair_array, read_items, string_array, CryptoEntropy, Host};
use crate::core::backoff::Outcome;
use crate::core::dest::Kind;
use crate::core::driver::{Arm, Driver, REQUEST_TIMEOUT_MS};
use crate::core::json::push_u64;
use crate::core::{Consent, DropReason, Engine, Request, RequestId, Stats};

/// The host's timer that wakes the driver ([`Host::arm`]).
pub(crate) const WAKE_TIMER: u8 = 0;
/// The host's timer of the debounced persist.
pub(crate) const PERSIST_TIMER: u8 = 1;

/// What one SDK instance holds.
pub(crate) struct Inner {
    pub endpoint: String,
    pub gzip: bool,
    pub debug: bool,
    /// A storage area is there (`chrome.storage.local` or the `storage`
    /// option); the host holds it.
    pub storage: bool,
    /// `js/host.js`: carries the effects out.
    pub host: Host,
    pub state: RefCell<State>,
    /// What waits for the host's reports; apart from [`State`] so that it is
    /// reachable while the engine is busy.
    pub effects: RefCell<Effects>,
    /// Calls that arrived while the engine was busy, run when it is free.
    pub deferred: RefCell<Vec<DeferredCall>>,
    /// Figures of the last completed call, for reads during a busy engine.
    pub last_stats: Cell<Stats>,
    pub last_consent: Cell<Consent>,
    pub last_id: RefCell<Option<String>>,
    /// A write is in flight: the next one waits for it (writes apply in order).
    pub persisting: Cell<bool>,
    /// Deferred calls are being run (they may defer more).
    pub draining: Cell<bool>,
}

/// A call that arrived while the engine was busy.
pub(crate) type DeferredCall = Box<dyn FnOnce(&Rc<Inner>)>;

/// Calls a JS hook may make back into the SDK per outer call.
const MAX_DEFERRED_CALLS: usize = 64;

/// The mutable part.
pub(crate) struct State {
    pub engine: Option<Engine>,
    pub entropy: CryptoEntropy,
    pub driver: Driver,
}

/// What waits for the host's reports.
#[derive(Default)]
pub(crate) struct Effects {
    /// `flush()` calls waiting for the driver to settle: `stats().sent` when
    /// each began, and its resolve function.
    pub flush_waiters: Vec<(u64, Function)>,
    /// `persist()` calls waiting for the writes in progress to end.
    pub persist_waiters: Vec<Function>,
    /// Requests of a tick that asked to persist first: a new batch is stored
    /// before it is sent. Sent when the writes end.
    pub held_sends: Vec<Request>,
    /// Chunk reads in flight: their id and keys.
    pub reads: Vec<(u32, Vec<String>)>,
    pub next_read: u32,
}

impl State {
    /// A fresh instance's state, the engine not yet restored.
    pub fn new() -> State {
        State {
            engine: None,
            entropy: CryptoEntropy::new(),
            driver: Driver::new(),
        }
    }
}

impl Inner {
    /// Runs `f` on the engine, or `None` before it is restored or while it is
    /// busy with an outer call (re-entry from a JS callback).
    pub fn with_engine<T>(
        self: &Rc<Self>,
        f: impl FnOnce(&mut Engine, &mut CryptoEntropy, &mut Driver) -> T,
    ) -> Option<T> {
        let result = {
            let Ok(mut state) = self.state.try_borrow_mut() else {
                return None;
            };
            let state = &mut *state;
            f(
                state.engine.as_mut()?,
                &mut state.entropy,
                &mut state.driver,
            )
        };
        self.after_call();
        Some(result)
    }

    /// What follows every call on the engine, kept out of [`Self::with_engine`]'s
    /// instantiations (one per call site): the stats snapshot that `stats()`
    /// answers from while the engine is busy, then the deferred calls.
    #[inline(never)]
    fn after_call(self: &Rc<Self>) {
        if let Ok(state) = self.state.try_borrow() {
            if let Some(engine) = state.engine.as_ref() {
                self.last_stats.set(engine.stats());
            }
        }
        self.run_deferred();
    }

    /// True while an outer call holds the engine.
    pub fn busy(&self) -> bool {
        self.state.try_borrow_mut().is_err()
    }

    /// Queues a call for when the engine is free.
    pub fn defer(&self, call: impl FnOnce(&Rc<Inner>) + 'static) {
        self.deferred.borrow_mut().push(Box::new(call));
    }

    fn run_deferred(self: &Rc<Self>) {
        if self.deferred.borrow().is_empty() || self.draining.replace(true) {
            return;
        }
        let mut budget = MAX_DEFERRED_CALLS;
        loop {
            let calls = std::mem::take(&mut *self.deferred.borrow_mut());
            if calls.is_empty() {
                break;
            }
            for call in calls {
                if budget == 0 {
                    // A hook that records on every item would never end:
                    // what it asks past the budget is dropped and counted.
                    if let Ok(mut state) = self.state.try_borrow_mut() {
                        if let Some(engine) = state.engine.as_mut() {
                            engine.count_drops(DropReason::HookError, 1);
                        }
                    }
                    continue;
                }
                budget -= 1;
                call(self);
            }
        }
        self.draining.set(false);
    }

    /// Remembers consent and ID for reads while the engine is busy.
    pub fn remember_identity(&self, engine: &Engine) {
        self.last_consent.set(engine.consent());
        *self.last_id.borrow_mut() = engine.anonymous_id().map(str::to_owned);
    }
}

/// Arms the host's timer `kind` for `at` (from `now`), or clears it.
fn arm(host: &Host, kind: u8, arm: Arm, now: u64) {
    match arm {
        Arm::Keep => {}
        Arm::Clear => host.arm(kind, -1.0),
        Arm::At(at) => host.arm(kind, at.saturating_sub(now) as f64),
    }
}

/// One driver tick: polls the engine and carries out the plan.
pub(crate) fn tick(inner: &Rc<Inner>) {
    let now = now_ms();
    let Some((plan, settled)) = inner.with_engine(|engine, entropy, driver| {
        let plan = driver.tick(engine, now, entropy);
        let settled = plan.settle_flushes.then(|| engine.stats());
        (plan, settled)
    }) else {
        return;
    };
    let host = &inner.host;
    arm(host, WAKE_TIMER, plan.timer, now);
    match plan.alarm {
        Arm::Keep => {}
        Arm::Clear => host.alarm(-1.0),
        Arm::At(at) => host.alarm(at as f64),
    }
    if let Some(stats) = settled {
        let waiters = std::mem::take(&mut inner.effects.borrow_mut().flush_waiters);
        for (sent_before, resolve) in waiters {
            let mut result = "{\"sent\":".to_owned();
            push_u64(&mut result, stats.sent.saturating_sub(sent_before));
            result.push_str(",\"pending\":");
            push_u64(&mut result, stats.queued);
            result.push('}');
            let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&result));
        }
    }
    for keys in plan.reads {
        start_read(inner, keys);
    }
    if plan.persist_now {
        inner.effects.borrow_mut().held_sends.extend(plan.sends);
        persist_now(inner);
    } else {
        for request in plan.sends {
            send(inner, request);
        }
    }
    schedule_persist(inner);
}

/// The host's timer `kind` fired.
pub(crate) fn on_timer(inner: &Rc<Inner>, kind: u8) {
    if kind == PERSIST_TIMER {
        persist_now(inner);
        return;
    }
    if let Ok(mut state) = inner.state.try_borrow_mut() {
        state.driver.timer_fired();
    }
    tick(inner);
}

/// Asks the host for the chunks under `keys`; [`on_read`] gets them.
fn start_read(inner: &Rc<Inner>, keys: Vec<String>) {
    let list = string_array(&keys);
    let id = {
        let mut effects = inner.effects.borrow_mut();
        let id = effects.next_read;
        effects.next_read = id.wrapping_add(1);
        effects.reads.push((id, keys));
        id
    };
    inner.host.read(id, &list);
}

/// Read `id` ended: `items` is what the storage area's `get` found, or null
/// when it failed (`js/store.js` warned); an absent area finds nothing.
pub(crate) fn on_read(inner: &Rc<Inner>, id: u32, items: JsValue) {
    let keys = {
        let mut effects = inner.effects.borrow_mut();
        let Some(at) = effects.reads.iter().position(|(read, _)| *read == id) else {
            return;
        };
        effects.reads.swap_remove(at).1
    };
    let values = (!items.is_null()).then(|| read_items(&items, &keys));
    let retry_later = values.is_none();
    inner.with_engine(|engine, _, driver| {
        engine.on_read(&keys, values);
        driver.read_done();
    });
    if !retry_later {
        tick(inner);
    }
}

/// Hands one request to the host: it compresses the body, asks [`on_sized`]
/// whether to go on and with `keepalive`, runs the fetch and reports to
/// [`on_answer`]. The core decides everything around them (the URL, the
/// headers, `keepalive`, what the answer means).
fn send(inner: &Rc<Inner>, request: Request) {
    let url = if request.url.is_empty() {
        inner.endpoint.clone() + request.endpoint.path()
    } else {
        request.url
    };
    let headers = pair_array(&request.headers);
    // Only an OTLP answer's body matters (`partialSuccess`).
    let read_body = request.dest == Some(Kind::Otlp);
    inner.host.send(
        request.id.0 as f64,
        &url,
        &request.body,
        request.body.len() as u32,
        inner.gzip,
        request.content_type,
        &headers,
        read_body,
        REQUEST_TIMEOUT_MS,
    );
}

/// The body of request `id` is ready, `size` bytes as sent: 0 to give it up
/// (consent was revoked meanwhile), 1 to send it with `keepalive` (it then
/// holds that much of the budget until [`on_answer`]), 2 to send it without.
pub(crate) fn on_sized(inner: &Rc<Inner>, id: u64, size: u32) -> u8 {
    let size = size as usize;
    let verdict = inner.with_engine(|engine, _, driver| {
        engine
            .is_in_flight(RequestId(id))
            .then(|| driver.take_keepalive(size))
    });
    match verdict {
        Some(Some(true)) => 1,
        Some(Some(false)) => 2,
        _ => 0,
    }
}

/// Request `id` ended: `answer` is `[status, retryAfter, rateLimits, text]`
/// or null when no answer came; `kept` is the `keepalive` budget it held.
pub(crate) fn on_answer(inner: &Rc<Inner>, id: u64, kept: u32, answer: JsValue) {
    let (outcome, rate_limits, text) = match answer.dyn_into::<Array>() {
        Ok(answer) => (
            Outcome::Status {
                code: answer.get(0).as_f64().unwrap_or_default() as u16,
                retry_after: answer.get(1).as_string(),
            },
            answer.get(2).as_string(),
            answer.get(3).as_string(),
        ),
        Err(_) => (Outcome::NetworkError, None, None),
    };
    inner.with_engine(|engine, entropy, driver| {
        driver.release_keepalive(kept as usize);
        engine.on_response(
            RequestId(id),
            &outcome,
            rate_limits.as_deref(),
            text.as_deref(),
            now_ms(),
            entropy,
        );
    });
    tick(inner);
}

/// Arms the debounced write if anything changed.
pub(crate) fn schedule_persist(inner: &Rc<Inner>) {
    if !inner.storage {
        return;
    }
    let Some(Some(delay)) = inner.with_engine(|engine, _, driver| driver.persist_delay(engine))
    else {
        return;
    };
    arm_persist(inner, delay);
}

/// Arms the debounced persist the driver asked for.
pub(crate) fn arm_persist(inner: &Rc<Inner>, delay: u64) {
    inner.host.arm(PERSIST_TIMER, delay as f64);
}

/// Writes what changed: new chunks and the record in one `set`, then the
/// removal of retired keys (the host runs both). Writes apply one at a time,
/// in order: while one is in flight this returns, and [`on_written`] carries
/// on with what changed meanwhile. When nothing is left to write (or the
/// engine is busy), the writes are over: see [`writes_over`].
pub(crate) fn persist_now(inner: &Rc<Inner>) {
    if !inner.storage {
        writes_over(inner);
        return;
    }
    if inner.persisting.get() {
        // The write in flight carries on with what changed ([`on_written`]);
        // this call (the debounce timer, or a `persist()`) is spent. Were the
        // driver left armed, a refused write would find nothing to re-arm
        // its retry, and changes would wait for the next send or `persist()`.
        if let Ok(mut state) = inner.state.try_borrow_mut() {
            state.driver.persist_started();
        }
        return;
    }
    let writes = inner.with_engine(|engine, _, driver| {
        driver.persist_started();
        engine.take_writes()
    });
    inner.host.arm(PERSIST_TIMER, -1.0);
    let Some(Some(writes)) = writes else {
        writes_over(inner);
        return;
    };
    inner.persisting.set(true);
    inner
        .host
        .write(&pair_array(&writes.set), &string_array(&writes.remove));
}

/// The write in flight ended: whether its `set` and its `remove` landed.
pub(crate) fn on_written(inner: &Rc<Inner>, ok: bool, removed: bool) {
    inner.persisting.set(false);
    inner.with_engine(|engine, _, _| engine.writes_done_with(ok, removed));
    if ok && removed {
        // A write carries at most a few chunks: the rest follow at once.
        persist_now(inner);
        return;
    }
    // Kept dirty; the driver arms the retry (later after a refusal).
    schedule_persist(inner);
    writes_over(inner);
}

/// The writes are over (or could not run): `persist()` calls resolve, and the
/// requests held for them go out.
fn writes_over(inner: &Rc<Inner>) {
    let (waiters, sends) = {
        let mut effects = inner.effects.borrow_mut();
        (
            std::mem::take(&mut effects.persist_waiters),
            std::mem::take(&mut effects.held_sends),
        )
    };
    for resolve in waiters {
        let _ = resolve.call0(&JsValue::NULL);
    }
    for request in sends {
        send(inner, request);
    }
}
