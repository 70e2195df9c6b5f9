//! Carries out what the engine and the driver decide: requests and storage
//! calls through the JS host (`js/transport.js`, `js/store.js`), timers and
//! the alarm. It holds the engine in a `RefCell`; a JS
//! callback that runs while the engine is borrowed (`beforeSend`, a
//! `scrub.extraPatterns` RegExp) and calls back into the SDK finds it busy:
//! recording calls are then deferred until the outer call ends, and reads
//! answer from the figures of the last completed call. Nothing panics.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::platform::{self, now_ms, read_items, set_alarm, CryptoEntropy, Host, Timer};
use crate::core::backoff::Outcome;
use crate::core::dest::Kind;
use crate::core::driver::{Arm, Driver, REQUEST_TIMEOUT_MS};
use crate::core::json::push_u64;
use crate::core::names::ALARM_NAME;
use crate::core::{Consent, DropReason, Engine, Request, Stats};

/// What one SDK instance holds.
pub(crate) struct Inner {
    pub endpoint: String,
    pub gzip: bool,
    pub debug: bool,
    /// `chrome.storage.local`, or the `storage` option: handed to [`Host`].
    pub storage: Option<JsValue>,
    /// `js/transport.js` and `js/store.js`: fetch, compression, storage.
    pub host: Host,
    pub state: RefCell<State>,
    /// Calls that arrived while the engine was busy, run when it is free.
    pub deferred: RefCell<Vec<DeferredCall>>,
    /// Figures of the last completed call, for reads during a busy engine.
    pub last_stats: Cell<Stats>,
    pub last_consent: Cell<Consent>,
    pub last_id: RefCell<Option<String>>,
    /// A persist is writing: the next one waits for it (writes apply in order).
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
    pub wake_timer: Option<Timer>,
    pub persist_timer: Option<Timer>,
    pub flush_waiters: Vec<(u64, Function)>,
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
    {
        let mut state = inner.state.borrow_mut();
        match plan.timer {
            Arm::Keep => {}
            Arm::Clear => state.wake_timer = None,
            Arm::At(at) => {
                let weak = Rc::downgrade(inner);
                state.wake_timer = Some(Timer::after(at.saturating_sub(now), move || {
                    on_timer(&weak)
                }));
            }
        }
    }
    match plan.alarm {
        Arm::Keep => {}
        Arm::Clear => set_alarm(ALARM_NAME, None),
        Arm::At(at) => set_alarm(ALARM_NAME, Some(at)),
    }
    if let Some(stats) = settled {
        let waiters = std::mem::take(&mut inner.state.borrow_mut().flush_waiters);
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
        spawn_local(read_chunks(inner.clone(), keys));
    }
    if plan.persist_now {
        let inner = inner.clone();
        let sends = plan.sends;
        spawn_local(async move {
            persist_now(&inner).await;
            for request in sends {
                deliver(inner.clone(), request).await;
            }
        });
    } else {
        for request in plan.sends {
            spawn_local(deliver(inner.clone(), request));
        }
    }
    schedule_persist(inner);
}

fn on_timer(weak: &Weak<Inner>) {
    if let Some(inner) = weak.upgrade() {
        if let Ok(mut state) = inner.state.try_borrow_mut() {
            state.driver.timer_fired();
            state.wake_timer = None;
        }
        tick(&inner);
    }
}

async fn read_chunks(inner: Rc<Inner>, keys: Vec<String>) {
    let values = match &inner.storage {
        Some(area) => {
            let list: Array = keys.iter().map(|k| JsValue::from_str(k)).collect();
            // `js/store.js` resolves with null when the read failed (warned there).
            JsFuture::from(inner.host.read(area, &list, inner.debug))
                .await
                .ok()
                .filter(|items| !items.is_null())
                .map(|items| read_items(&items, &keys))
        }
        // Collected, not `vec![None; n]`: that links a clone loop for the type.
        None => Some(keys.iter().map(|_| None).collect()),
    };
    let retry_later = values.is_none();
    inner.with_engine(|engine, _, driver| {
        engine.on_read(&keys, values);
        driver.read_done();
    });
    if !retry_later {
        tick(&inner);
    }
}

/// Sends one request through `js/transport.js`: JS compresses the body and
/// runs the fetch; the core decides everything around them (the URL, the
/// headers, `keepalive`, what the answer means).
async fn deliver(inner: Rc<Inner>, request: Request) {
    let url = if request.url.is_empty() {
        inner.endpoint.clone() + request.endpoint.path()
    } else {
        request.url.clone()
    };
    let host = &inner.host;
    let Ok(body) = JsFuture::from(host.compress(&request.body, inner.gzip)).await else {
        return;
    };
    // The body is the text itself unless it was compressed.
    let size = if body.is_string() {
        request.body.len()
    } else {
        body.unchecked_ref::<Uint8Array>().length() as usize
    };
    // Consent may have been revoked while the body was compressed.
    let keepalive = inner.with_engine(|engine, _, driver| {
        engine
            .is_in_flight(request.id)
            .then(|| driver.take_keepalive(size))
    });
    let Some(Some(keepalive)) = keepalive else {
        return;
    };
    let headers = Array::new();
    for (name, value) in &request.headers {
        headers.push(&JsValue::from_str(name));
        headers.push(&JsValue::from_str(value));
    }
    // Only an OTLP answer's body matters (`partialSuccess`).
    let read_body = request.dest == Some(Kind::Otlp);
    let answer = JsFuture::from(host.post(
        &url,
        &body,
        request.content_type,
        &headers,
        keepalive,
        read_body,
        REQUEST_TIMEOUT_MS,
        inner.debug,
    ))
    .await
    .ok()
    .and_then(|answer| answer.dyn_into::<Array>().ok());
    let (outcome, rate_limits, text) = match answer {
        Some(answer) => (
            Outcome::Status {
                code: answer.get(0).as_f64().unwrap_or_default() as u16,
                retry_after: answer.get(1).as_string(),
            },
            answer.get(2).as_string(),
            answer.get(3).as_string(),
        ),
        None => (Outcome::NetworkError, None, None),
    };
    inner.with_engine(|engine, entropy, driver| {
        if keepalive {
            driver.release_keepalive(size);
        }
        engine.on_response(
            request.id,
            &outcome,
            rate_limits.as_deref(),
            text.as_deref(),
            now_ms(),
            entropy,
        );
    });
    tick(&inner);
}

/// Arms the debounced write if anything changed.
pub(crate) fn schedule_persist(inner: &Rc<Inner>) {
    if inner.storage.is_none() {
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
    let weak = Rc::downgrade(inner);
    let timer = Timer::after(delay, move || {
        if let Some(inner) = weak.upgrade() {
            spawn_local(async move { persist_now(&inner).await });
        }
    });
    if let Ok(mut state) = inner.state.try_borrow_mut() {
        state.persist_timer = Some(timer);
    }
}

/// Writes what changed: new chunks and the record in one `set`, then the
/// removal of retired keys. Writes apply one at a time, in order.
pub(crate) async fn persist_now(inner: &Rc<Inner>) {
    let Some(area) = &inner.storage else { return };
    loop {
        // Writes apply one at a time, in order: wait for the one in progress
        // (bounded: a storage call that never settles must not hang us).
        for _ in 0..2_000 {
            if !inner.persisting.get() {
                break;
            }
            platform::sleep(5).await;
        }
        if inner.persisting.get() {
            return;
        }
        let writes = inner.with_engine(|engine, _, driver| {
            driver.persist_started();
            engine.take_writes()
        });
        if let Ok(mut state) = inner.state.try_borrow_mut() {
            state.persist_timer = None;
        }
        let Some(Some(writes)) = writes else { return };
        inner.persisting.set(true);
        let pairs = Array::new();
        for (key, value) in &writes.set {
            pairs.push(&JsValue::from_str(key));
            pairs.push(&JsValue::from_str(value));
        }
        let removals: Array = writes.remove.iter().map(|k| JsValue::from_str(k)).collect();
        // `js/store.js` runs the `set`, then the `remove` if the set landed,
        // and warns about a failure; it resolves with what landed.
        let landed = JsFuture::from(inner.host.write(area, &pairs, &removals, inner.debug))
            .await
            .ok()
            .and_then(|landed| landed.dyn_into::<Array>().ok());
        let (ok, removed) = landed.map_or((false, false), |landed| {
            (landed.get(0).is_truthy(), landed.get(1).is_truthy())
        });
        inner.persisting.set(false);
        inner.with_engine(|engine, _, _| engine.writes_done_with(ok, removed));
        if !ok || !removed {
            // Kept dirty; the driver arms the retry (later after a refusal).
            schedule_persist(inner);
            return;
        }
    }
}
