//! Engine behaviour, written once and run on the host (`tests/engine.rs`) and
//! inside a Chromium service worker (`tests/wasm_service_worker.rs`).
//!
//! Fakes are plain values: the clock is a number, entropy a seeded `SplitMix`.

use std::collections::BTreeMap;

use mv3_telemetry::core::backoff::Outcome;
use mv3_telemetry::core::names::{CHUNK_PREFIX, LEGACY_STATE_KEY, RECORD_KEY};
use mv3_telemetry::core::scrub::Scrubber;
use mv3_telemetry::core::time::format_rfc3339;
use mv3_telemetry::core::{
    Action, Consent, ConsentChange, Context, DropReason, Endpoint, Engine, Policy, Recorded,
    Request, SplitMix, Stored, Writes,
};
use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;

/// 2026-11-21T10:00:00Z
pub const START: u64 = 1_795_255_200_000;

/// `chrome.storage.local` as a plain map.
pub type Storage = BTreeMap<String, String>;

/// Applies one persist as the platform does: the `set`, then the `remove`.
pub fn apply(storage: &mut Storage, writes: &Writes) {
    for (key, value) in &writes.set {
        storage.insert(key.clone(), value.clone());
    }
    for key in &writes.remove {
        storage.remove(key);
    }
}

/// An engine with a hand-turned clock and a map for storage.
pub struct Rig {
    pub engine: Engine,
    pub now: u64,
    pub rng: SplitMix,
    pub storage: Storage,
    pub policy: Policy,
}

pub fn context() -> Context {
    Context {
        app_version: "1.0.2".into(),
        environment: "test".into(),
        ..Context::default()
    }
}

/// An engine restored from `storage`, as a new worker starts.
pub fn restored(
    policy: Policy,
    default_consent: Consent,
    storage: &Storage,
    rng: &mut SplitMix,
) -> Engine {
    let stored = Stored {
        record: storage.get(RECORD_KEY).map(String::as_str),
        legacy: storage.get(LEGACY_STATE_KEY).map(String::as_str),
    };
    Engine::restore(
        policy,
        context(),
        Scrubber::default(),
        default_consent,
        stored,
        rng,
    )
    .expect("valid policy")
    .0
}

impl Rig {
    pub fn with_policy(policy: Policy, consent: Consent) -> Rig {
        let mut rng = SplitMix(7);
        let engine = Engine::new(
            policy.clone(),
            context(),
            Scrubber::default(),
            consent,
            &mut rng,
        )
        .expect("valid policy");
        Rig {
            engine,
            now: START,
            rng,
            storage: Storage::new(),
            policy,
        }
    }

    pub fn granted() -> Rig {
        Rig::with_policy(Policy::default(), Consent::Granted)
    }

    pub fn track(&mut self, name: &str, props: Value) -> Recorded {
        let props = props.to_string();
        self.engine
            .record_event(name, Some(&props), self.now, &mut self.rng)
    }

    /// Polls once; chunk reads are answered from storage at once.
    pub fn poll(&mut self) -> Action {
        loop {
            match self.engine.poll(self.now, &mut self.rng) {
                Action::Read(keys) => self.answer_read(&keys),
                other => return other,
            }
        }
    }

    pub fn answer_read(&mut self, keys: &[String]) {
        let values = keys.iter().map(|k| self.storage.get(k).cloned()).collect();
        self.engine.on_read(keys, Some(values));
    }

    /// Every request the engine wants to send right now.
    pub fn drain_sends(&mut self) -> Vec<Request> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            match self.poll() {
                Action::Send(request) => out.push(request),
                _ => break,
            }
        }
        out
    }

    pub fn answer(&mut self, request: &Request, code: u16, retry_after: Option<&str>) {
        let outcome = Outcome::Status {
            code,
            retry_after: retry_after.map(str::to_owned),
        };
        self.engine
            .on_outcome(request.id, &outcome, self.now, &mut self.rng);
    }

    pub fn flush_now(&mut self) -> Vec<Request> {
        self.engine.request_flush(self.now);
        let sends = self.drain_sends();
        self.engine.end_flush();
        sends
    }

    /// Writes what changed to storage, as the runtime does: write after
    /// write until nothing is left (a write carries at most a few chunks).
    /// Returns every write's sets and removals, in order.
    pub fn persist(&mut self) -> Option<Writes> {
        let mut all: Option<Writes> = None;
        while let Some(writes) = self.engine.take_writes() {
            apply(&mut self.storage, &writes);
            self.engine.writes_done(true);
            let all = all.get_or_insert_with(Writes::default);
            all.set.extend(writes.set);
            all.remove.extend(writes.remove);
        }
        all
    }

    /// The stored record, after a persist.
    pub fn record(&mut self) -> Option<Value> {
        self.persist();
        self.storage
            .get(RECORD_KEY)
            .map(|text| serde_json::from_str(text).expect("the record is JSON"))
    }

    /// Everything stored, as one text (to look for an ID, say).
    pub fn stored_text(&mut self) -> String {
        self.persist();
        self.storage
            .iter()
            .map(|(k, v)| k.clone() + "=" + v + "\n")
            .collect()
    }

    /// The keys of stored item chunks.
    pub fn chunk_keys(&mut self) -> Vec<String> {
        self.persist();
        self.storage
            .keys()
            .filter(|k| k.starts_with(CHUNK_PREFIX))
            .cloned()
            .collect()
    }

    /// The worker is stopped after a persist and a new one starts from storage.
    pub fn restart(&mut self, default_consent: Consent) {
        self.persist();
        let mut rng = SplitMix(self.rng.0 ^ 0x5eed);
        self.engine = restored(
            self.policy.clone(),
            default_consent,
            &self.storage,
            &mut rng,
        );
        self.rng = rng;
    }
}

pub fn body(request: &Request) -> Value {
    serde_json::from_str(&request.body).expect("request bodies are JSON")
}

pub fn item_ids(request: &Request) -> Vec<String> {
    body(request)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

// ---- consent ---------------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
pub fn pending_consent_records_stores_and_sends_nothing() {
    let mut rig = Rig::with_policy(Policy::default(), Consent::Pending);
    for i in 0..200 {
        assert_eq!(
            rig.track("clicked", json!({ "i": i })),
            Recorded::NotConsented
        );
    }
    rig.now += 3_600_000;
    assert!(rig.flush_now().is_empty());
    assert_eq!(rig.poll(), Action::Idle);
    assert_eq!(rig.engine.anonymous_id(), None);
    assert_eq!(rig.stored_text(), "", "pending consent stores nothing");
    assert_eq!(rig.engine.stats().queued, 0);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn denied_consent_records_nothing_and_stores_only_the_choice() {
    let mut rig = Rig::with_policy(Policy::default(), Consent::Pending);
    assert_eq!(
        rig.engine.set_consent(false, rig.now, &mut rig.rng),
        ConsentChange::Denied
    );
    assert_eq!(rig.track("clicked", json!({})), Recorded::NotConsented);
    assert!(
        rig.flush_now().is_empty(),
        "no deletion request: there was never an ID"
    );
    let stored = rig.record().unwrap();
    assert_eq!(stored["consent"], "denied");
    assert!(stored["id"].is_null());
    assert_eq!(rig.storage.len(), 1, "only the choice is stored");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn granting_consent_creates_a_uuid_v4_anonymous_id() {
    let mut rig = Rig::with_policy(Policy::default(), Consent::Pending);
    assert_eq!(
        rig.engine.set_consent(true, rig.now, &mut rig.rng),
        ConsentChange::Granted
    );
    let id = rig.engine.anonymous_id().unwrap().to_owned();
    assert!(mv3_telemetry::core::ids::is_uuid_v4(&id), "{id}");
    assert_eq!(
        rig.engine.set_consent(true, rig.now, &mut rig.rng),
        ConsentChange::Unchanged
    );
    assert_eq!(
        rig.engine.anonymous_id(),
        Some(id.as_str()),
        "granting twice keeps the ID"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn every_consent_transition_lands_in_the_documented_state() {
    use Consent::*;
    // (start, granted?, end, change)
    let cases = [
        (Pending, true, Granted, ConsentChange::Granted),
        (Pending, false, Denied, ConsentChange::Denied),
        (Granted, true, Granted, ConsentChange::Unchanged),
        (Granted, false, Denied, ConsentChange::Revoked),
        (Denied, true, Granted, ConsentChange::Granted),
        (Denied, false, Denied, ConsentChange::Unchanged),
    ];
    for (start, granted, end, change) in cases {
        let mut rig = Rig::with_policy(Policy::default(), Consent::Pending);
        match start {
            Granted => {
                rig.engine.set_consent(true, rig.now, &mut rig.rng);
            }
            Denied => {
                rig.engine.set_consent(false, rig.now, &mut rig.rng);
            }
            Pending => {}
        }
        assert_eq!(
            rig.engine.set_consent(granted, rig.now, &mut rig.rng),
            change,
            "{start:?} -> {granted}"
        );
        assert_eq!(rig.engine.consent(), end, "{start:?} -> {granted}");
        assert_eq!(
            rig.engine.anonymous_id().is_some(),
            end == Granted,
            "{start:?} -> {granted}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn regranting_after_a_revoke_makes_a_new_id() {
    let mut rig = Rig::granted();
    let first = rig.engine.anonymous_id().unwrap().to_owned();
    rig.engine.set_consent(false, rig.now, &mut rig.rng);
    rig.engine.set_consent(true, rig.now, &mut rig.rng);
    assert_ne!(rig.engine.anonymous_id().unwrap(), first);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn revoking_purges_everything_then_sends_exactly_one_deletion_request() {
    let mut rig = Rig::granted();
    let old_id = rig.engine.anonymous_id().unwrap().to_owned();
    for i in 0..120 {
        rig.track("queued", json!({ "i": i }));
    }
    // One batch is out when the user revokes.
    let in_flight = rig.drain_sends();
    assert!(!in_flight.is_empty());
    assert_eq!(
        rig.engine.set_consent(false, rig.now, &mut rig.rng),
        ConsentChange::Revoked
    );
    assert_eq!(rig.engine.anonymous_id(), None);
    assert_eq!(rig.engine.stats().queued, 0);
    let stored = rig.stored_text();
    assert!(
        !stored.contains(&old_id),
        "storage must not hold the ID after a revoke: {stored}"
    );
    assert_eq!(
        rig.chunk_keys(),
        Vec::<String>::new(),
        "storage must not hold the queue"
    );
    assert!(
        rig.record().unwrap().get("lanes").is_none(),
        "storage must not hold the batches"
    );

    // The old in-flight batch finishing changes nothing.
    for request in &in_flight {
        rig.answer(request, 200, None);
    }
    let sends = rig.flush_now();
    assert_eq!(sends.len(), 1, "exactly one request after a revoke");
    assert_eq!(sends[0].endpoint, Endpoint::Deletion);
    assert_eq!(body(&sends[0])["anonymous_id"], old_id.as_str());
    assert!(body(&sends[0])["requested_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-21T10:00:00"));
    rig.answer(&sends[0], 202, None);
    rig.now += 10 * 3_600_000;
    assert!(
        rig.flush_now().is_empty(),
        "nothing else is ever sent for that ID"
    );
    assert_eq!(rig.track("after", json!({})), Recorded::NotConsented);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_failed_deletion_request_is_retried_and_persisted_until_it_lands() {
    let mut rig = Rig::granted();
    let old_id = rig.engine.anonymous_id().unwrap().to_owned();
    rig.engine.set_consent(false, rig.now, &mut rig.rng);
    let first = rig.drain_sends();
    assert_eq!(first.len(), 1);
    rig.answer(&first[0], 503, None);
    let stored = rig.stored_text();
    assert!(
        stored.contains(&old_id),
        "a deletion that must be retried survives a restart"
    );
    rig.now += 3_600_000;
    let second = rig.drain_sends();
    assert_eq!(second.len(), 1);
    assert_eq!(body(&second[0])["anonymous_id"], old_id.as_str());
    assert_eq!(second[0].batch_id, first[0].batch_id);
    rig.answer(&second[0], 200, None);
    assert!(!rig.stored_text().contains(&old_id));
}

// ---- batching ----------------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
pub fn a_full_batch_is_sent_at_once_and_a_partial_one_after_the_flush_interval() {
    let mut rig = Rig::granted();
    for i in 0..75 {
        rig.track("e", json!({ "i": i }));
    }
    let sends = rig.drain_sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].item_count, 50);
    rig.answer(&sends[0], 200, None);
    assert_eq!(
        rig.poll(),
        Action::WaitUntil(START + 30_000),
        "the other 25 wait for the interval"
    );
    rig.now = START + 30_000;
    let sends = rig.drain_sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].item_count, 25);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn batches_respect_the_byte_limit() {
    let policy = Policy {
        batch_max_bytes: 8_000,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    for i in 0..40 {
        rig.track("e", json!({ "i": i, "pad": "x".repeat(500) }));
    }
    let mut total = 0;
    for _ in 0..40 {
        let sends = rig.flush_now();
        if sends.is_empty() {
            break;
        }
        for request in &sends {
            assert!(request.body.len() <= 8_000, "{} bytes", request.body.len());
            total += request.item_count;
            rig.answer(request, 200, None);
        }
    }
    assert_eq!(total, 40);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn errors_are_sent_after_the_shorter_error_delay() {
    let mut rig = Rig::granted();
    assert_eq!(error(&mut rig, "TypeError", "x", None), Recorded::Accepted);
    assert_eq!(rig.poll(), Action::WaitUntil(START + 1_000));
    rig.now += 1_000;
    let sends = rig.drain_sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].endpoint, Endpoint::Errors);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_batch_keeps_its_batch_id_and_items_across_retries() {
    let mut rig = Rig::granted();
    for i in 0..50 {
        rig.track("e", json!({ "i": i }));
    }
    let first = rig.drain_sends().remove(0);
    let mut last = first.clone();
    for _ in 0..5 {
        rig.answer(&last, 503, None);
        rig.now += 3_600_000;
        let retry = rig.drain_sends().remove(0);
        assert_eq!(retry.batch_id, first.batch_id);
        assert_eq!(item_ids(&retry), item_ids(&first));
        assert_eq!(body(&retry)["batch_id"], first.batch_id.as_str());
        last = retry;
    }
    assert_eq!(rig.engine.stats().retries, 5);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn the_wire_body_has_every_documented_field() {
    let mut rig = Rig::granted();
    rig.track("feature_used", json!({ "tab": 3 }));
    let request = rig.flush_now().remove(0);
    let body = body(&request);
    for field in [
        "batch_id",
        "sent_at",
        "sdk",
        "anonymous_id",
        "session_id",
        "context",
        "items",
        "dropped",
    ] {
        assert!(!body[field].is_null(), "missing {field} in {body}");
    }
    assert_eq!(body["sdk"]["name"], "mv3-telemetry");
    assert_eq!(body["context"]["app_version"], "1.0.2");
    assert_eq!(body["sent_at"], "2026-11-21T10:00:00.000Z");
    let item = &body["items"][0];
    assert_eq!(item["type"], "event");
    assert_eq!(item["name"], "feature_used");
    assert_eq!(item["ts"], START);
    assert_eq!(item["props"], json!({ "tab": 3 }));
    for reason in [
        "queue_full",
        "sampled",
        "before_send",
        "rejected",
        "invalid",
    ] {
        assert_eq!(body["dropped"][reason], 0, "{reason}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_session_is_renewed_after_thirty_idle_minutes_and_batches_never_mix_sessions() {
    let mut rig = Rig::granted();
    rig.track("a", json!({}));
    rig.now += 29 * 60_000;
    rig.track("b", json!({}));
    rig.now += 31 * 60_000;
    rig.track("c", json!({}));
    let sends = rig.flush_now();
    assert_eq!(sends.len(), 1, "one batch per endpoint at a time");
    let first = body(&sends[0]);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    rig.answer(&sends[0], 200, None);
    let second = body(&rig.flush_now()[0]);
    assert_eq!(second["items"][0]["name"], "c");
    assert_ne!(first["session_id"], second["session_id"]);
}

// ---- responses ---------------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
pub fn each_response_class_is_handled_as_designed() {
    for (code, delivered, retried, rejected) in [
        (200, 50, 0, 0),
        (204, 50, 0, 0),
        (400, 0, 0, 50),
        (401, 0, 0, 50),
        (403, 0, 0, 50),
        (404, 0, 0, 50),
        (413, 0, 0, 50),
        (422, 0, 0, 50),
        (408, 0, 1, 0),
        (429, 0, 1, 0),
        (500, 0, 1, 0),
        (503, 0, 1, 0),
    ] {
        let mut rig = Rig::granted();
        for i in 0..50 {
            rig.track("e", json!({ "i": i }));
        }
        let request = rig.drain_sends().remove(0);
        rig.answer(&request, code, None);
        let stats = rig.engine.stats();
        assert_eq!(stats.sent, delivered, "{code}");
        assert_eq!(stats.retries, retried, "{code}");
        assert_eq!(stats.dropped.get(DropReason::Rejected), rejected, "{code}");
        assert_eq!(stats.queued, if retried > 0 { 50 } else { 0 }, "{code}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_network_error_is_retried() {
    let mut rig = Rig::granted();
    rig.track("e", json!({}));
    let request = rig.flush_now().remove(0);
    rig.engine
        .on_outcome(request.id, &Outcome::NetworkError, rig.now, &mut rig.rng);
    assert_eq!(rig.engine.stats().retries, 1);
    assert_eq!(rig.engine.stats().queued, 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn retry_after_in_seconds_holds_back_every_request() {
    let mut rig = Rig::granted();
    for i in 0..50 {
        rig.track("e", json!({ "i": i }));
    }
    let request = rig.drain_sends().remove(0);
    rig.answer(&request, 429, Some("2"));
    // Even an explicit flush respects the collector's wish.
    rig.engine.request_flush(rig.now);
    match rig.poll() {
        Action::WaitUntil(at) => assert!(at >= START + 2_000, "woke at {at}"),
        other => panic!("expected a wait, got {other:?}"),
    }
    rig.now += 1_999;
    assert!(rig.drain_sends().is_empty());
    rig.now += 1;
    assert_eq!(rig.drain_sends().len(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn retry_after_as_an_http_date_is_honoured() {
    let mut rig = Rig::granted();
    rig.track("e", json!({}));
    let request = rig.flush_now().remove(0);
    // START is Sat, 21 Nov 2026 10:00:00 GMT.
    rig.answer(&request, 503, Some("Sat, 21 Nov 2026 10:01:00 GMT"));
    rig.engine.request_flush(rig.now);
    assert_eq!(rig.poll(), Action::WaitUntil(START + 60_000));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_bare_429_waits_the_default_rate_limit() {
    let mut rig = Rig::granted();
    rig.track("e", json!({}));
    let request = rig.flush_now().remove(0);
    rig.answer(&request, 429, None);
    rig.engine.request_flush(rig.now);
    assert_eq!(rig.poll(), Action::WaitUntil(START + 60_000));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn backoff_delays_grow_but_stay_within_base_and_max() {
    let policy = Policy {
        retry_base_delay_ms: 1_000,
        retry_max_delay_ms: 20_000,
        retry_max_attempts: 100,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    rig.track("e", json!({}));
    let mut request = rig.flush_now().remove(0);
    for attempt in 1..=30u32 {
        rig.answer(&request, 503, None);
        let wait = match rig.poll() {
            Action::WaitUntil(at) => at - rig.now,
            other => panic!("expected a wait, got {other:?}"),
        };
        let ceiling = (1_000u64 << (attempt - 1).min(20)).min(20_000);
        assert!(
            wait <= ceiling,
            "attempt {attempt}: waited {wait} > {ceiling}"
        );
        rig.now += wait;
        request = rig.drain_sends().remove(0);
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_batch_is_dropped_after_max_attempts_and_counted() {
    let policy = Policy {
        retry_max_attempts: 3,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    for i in 0..10 {
        rig.track("e", json!({ "i": i }));
    }
    for _ in 0..3 {
        let request = rig.flush_now().remove(0);
        rig.answer(&request, 500, None);
        rig.now += 3_600_000;
    }
    assert_eq!(rig.engine.stats().queued, 0);
    assert_eq!(
        rig.engine.stats().dropped.get(DropReason::RetryExhausted),
        10
    );
    rig.track("next", json!({}));
    let next = body(&rig.flush_now()[0]);
    assert_eq!(
        next["dropped"]["retry_exhausted"], 10,
        "reported in the next batch"
    );
}

// ---- limits and drops ------------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
pub fn the_queue_cap_drops_the_oldest_and_reports_it_in_the_next_batch() {
    let policy = Policy {
        max_queued_items: 100,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    // Collector down: the first batch fails, everything piles up.
    rig.track("e", json!({ "i": -1 }));
    let first = rig.flush_now().remove(0);
    rig.engine
        .on_outcome(first.id, &Outcome::NetworkError, rig.now, &mut rig.rng);
    for i in 0..150 {
        assert_eq!(rig.track("e", json!({ "i": i })), Recorded::Accepted);
    }
    let stats = rig.engine.stats();
    assert_eq!(stats.queued, 100);
    assert_eq!(stats.dropped.get(DropReason::QueueFull), 51);
    rig.now += 3_600_000;
    let mut seen = Vec::new();
    let mut reported = 0;
    for _ in 0..10 {
        let sends = rig.flush_now();
        if sends.is_empty() {
            break;
        }
        for request in &sends {
            let b = body(request);
            reported += b["dropped"]["queue_full"].as_u64().unwrap();
            for item in b["items"].as_array().unwrap() {
                seen.push(item["props"]["i"].as_i64().unwrap());
            }
            rig.answer(request, 200, None);
        }
    }
    assert_eq!(reported, 51, "every drop is reported once");
    assert_eq!(
        seen,
        (50..150).collect::<Vec<_>>(),
        "the newest 100 survive, in order"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_empty_name_is_dropped_as_invalid() {
    let mut rig = Rig::granted();
    assert_eq!(
        rig.track("", json!({})),
        Recorded::Dropped(DropReason::Invalid)
    );
    assert_eq!(
        rig.track("   ", json!({})),
        Recorded::Dropped(DropReason::Invalid)
    );
    assert_eq!(rig.engine.stats().dropped.get(DropReason::Invalid), 2);
    rig.track("ok", json!({}));
    assert_eq!(body(&rig.flush_now()[0])["dropped"]["invalid"], 2);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_one_megabyte_string_is_truncated_not_dropped() {
    let mut rig = Rig::granted();
    let huge = "a".repeat(1 << 20);
    assert_eq!(
        rig.track(&huge, json!({ "blob": huge })),
        Recorded::Accepted
    );
    let request = rig.flush_now().remove(0);
    let item = &body(&request)["items"][0];
    assert!(item["name"].as_str().unwrap().chars().count() <= 128);
    assert!(item["props"]["blob"].as_str().unwrap().chars().count() <= 1_000);
    assert!(request.body.len() < 4_000);
    assert_eq!(rig.engine.stats().truncated, 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_deep_object_is_cut_at_the_depth_limit() {
    let mut rig = Rig::granted();
    let mut deep = json!("bottom");
    for _ in 0..100 {
        deep = json!({ "next": deep });
    }
    assert_eq!(rig.track("deep", deep), Recorded::Accepted);
    let text = rig.flush_now().remove(0).body;
    assert!(text.contains("[depth limit]"));
    assert!(!text.contains("bottom"));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn wide_and_oversized_props_are_bounded() {
    let mut rig = Rig::granted();
    let wide: serde_json::Map<String, Value> = (0..5_000)
        .map(|i| (format!("k{i:05}"), json!("v".repeat(900))))
        .collect();
    assert_eq!(rig.track("wide", Value::Object(wide)), Recorded::Accepted);
    let request = rig.flush_now().remove(0);
    assert!(request.body.len() <= 60_000);
    assert_eq!(body(&request)["items"][0]["props"]["_truncated"], true);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn non_object_props_are_wrapped_not_lost() {
    let mut rig = Rig::granted();
    rig.track("n", json!(42));
    assert_eq!(
        body(&rig.flush_now()[0])["items"][0]["props"],
        json!({ "value": 42 })
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn sampling_drops_are_counted_as_sampled() {
    let policy = Policy {
        sample_rate: 0.25,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    let accepted = (0..4_000)
        .filter(|i| rig.track("s", json!({ "i": i })) == Recorded::Accepted)
        .count();
    let sampled = rig.engine.stats().dropped.get(DropReason::Sampled) as usize;
    assert_eq!(accepted + sampled, 4_000);
    assert!(
        (800..1_200).contains(&accepted),
        "kept {accepted} of 4000 at rate 0.25"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn invalid_policies_name_the_field() {
    let cases: [(Policy, &str); 4] = [
        (
            Policy {
                max_queued_items: 0,
                ..Policy::default()
            },
            "maxQueuedItems",
        ),
        (
            Policy {
                batch_max_events: 0,
                ..Policy::default()
            },
            "batch.maxEvents",
        ),
        (
            Policy {
                sample_rate: 1.5,
                ..Policy::default()
            },
            "sampleRate",
        ),
        (
            Policy {
                retry_base_delay_ms: 10,
                retry_max_delay_ms: 5,
                ..Policy::default()
            },
            "retry.baseDelayMs",
        ),
    ];
    for (policy, field) in cases {
        let error = policy.validate().unwrap_err();
        assert!(error.to_string().contains(field), "{error}");
    }
}

// ---- errors --------------------------------------------------------------------

const V8_STACK: &str = "TypeError: Cannot read properties of undefined (reading 'id')\n    at syncTabs (chrome-extension://abcdefghijklmnopabcdefghijklmnop/background.js:41:17)\n    at async onAlarm (chrome-extension://abcdefghijklmnopabcdefghijklmnop/background.js:12:5)";

fn error(rig: &mut Rig, kind: &str, message: &str, stack: Option<&str>) -> Recorded {
    let input = mv3_telemetry::core::ErrorInput {
        kind,
        message,
        stack,
        context: None,
        causes: None,
    };
    rig.engine.record_error(input, rig.now, &mut rig.rng)
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_error_item_has_parsed_frames_a_fingerprint_and_a_count() {
    let mut rig = Rig::granted();
    assert_eq!(
        error(
            &mut rig,
            "TypeError",
            "Cannot read properties of undefined (reading 'id')",
            Some(V8_STACK)
        ),
        Recorded::Accepted
    );
    rig.now += 1_000;
    let request = rig.drain_sends().remove(0);
    assert_eq!(request.endpoint, Endpoint::Errors);
    let item = &body(&request)["items"][0];
    assert_eq!(item["type"], "error");
    assert_eq!(item["kind"], "TypeError");
    assert_eq!(item["count"], 1);
    assert_eq!(
        item["stack"][0],
        json!({ "function": "syncTabs", "file": "/background.js", "line": 41, "column": 17 })
    );
    assert_eq!(item["stack"][1]["function"], "onAlarm");
    assert!(item["fingerprint"].as_str().unwrap().len() >= 8);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn repeats_of_a_queued_error_fold_into_one_item_with_a_count() {
    let mut rig = Rig::granted();
    for id in [17, 18, 19, 20] {
        error(
            &mut rig,
            "Error",
            &format!("Failed to fetch item {id}"),
            Some(V8_STACK),
        );
    }
    error(&mut rig, "Error", "something else entirely", Some(V8_STACK));
    rig.now += 1_000;
    let request = rig.drain_sends().remove(0);
    let items = body(&request)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["count"], 4);
    assert_eq!(items[1]["count"], 1);
    // Once sent, the same error starts a new item.
    rig.answer(&request, 200, None);
    error(&mut rig, "Error", "Failed to fetch item 99", Some(V8_STACK));
    rig.now += 1_000;
    assert_eq!(body(&rig.drain_sends()[0])["items"][0]["count"], 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn error_messages_frames_and_context_are_scrubbed() {
    let mut rig = Rig::granted();
    let stack = "Error: x\n    at load (/home/alice/project/app.js:1:2)";
    let input = mv3_telemetry::core::ErrorInput {
        kind: "Error",
        message: "login failed for bob@example.com",
        stack: Some(stack),
        context: Some(r#"{"password":"hunter2","note":"card 4111 1111 1111 1111"}"#),
        causes: None,
    };
    rig.engine.record_error(input, rig.now, &mut rig.rng);
    rig.now += 1_000;
    let text = rig.drain_sends().remove(0).body;
    for secret in ["bob@example.com", "hunter2", "4111", "alice"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn errors_carry_the_last_twenty_track_calls_as_breadcrumbs() {
    let mut rig = Rig::granted();
    for i in 0..25 {
        rig.track(&format!("step_{i}"), json!({}));
    }
    error(&mut rig, "Error", "boom", None);
    rig.engine.request_flush(rig.now);
    let sends = rig.drain_sends();
    let errors = sends
        .iter()
        .find(|r| r.endpoint == Endpoint::Errors)
        .unwrap();
    let crumbs = body(errors)["items"][0]["breadcrumbs"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(crumbs.len(), 20);
    assert_eq!(crumbs[0]["name"], "step_5");
    assert_eq!(crumbs[19]["name"], "step_24");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn errors_are_not_recorded_without_consent() {
    let mut rig = Rig::with_policy(Policy::default(), Consent::Pending);
    assert_eq!(error(&mut rig, "Error", "x", None), Recorded::NotConsented);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_errors_causes_are_kept_in_order_scrubbed_like_the_error_and_at_most_five() {
    let mut rig = Rig::granted();
    let stack = "Error: x\n    at load (chrome-extension://abcdefghijklmnopabcdefghijklmnop/lib/net.js:3:9)\n    at get (/home/alice/app.js:1:2)";
    let mut causes = vec![
        json!({"kind": "NetworkError", "message": "fetch failed for bob@example.com", "stack": stack}),
        // Not a cause the wrapper would pass: skipped, not fatal.
        json!({"kind": "Odd", "message": 42}),
        json!("a string"),
        json!({"message": "no kind, no stack"}),
    ];
    for i in 0..6 {
        causes.push(json!({"kind": "RangeError", "message": format!("deep {i}")}));
    }
    let causes = Value::Array(causes).to_string();
    let input = mv3_telemetry::core::ErrorInput {
        kind: "TypeError",
        message: "save failed",
        stack: Some(V8_STACK),
        context: None,
        causes: Some(&causes),
    };
    assert_eq!(
        rig.engine.record_error(input, rig.now, &mut rig.rng),
        Recorded::Accepted
    );
    // Garbage for causes is ignored: the error is still recorded, without any.
    for junk in ["{}", "not json", "[1,2]"] {
        let input = mv3_telemetry::core::ErrorInput {
            kind: "Error",
            message: junk,
            stack: None,
            context: None,
            causes: Some(junk),
        };
        rig.engine.record_error(input, rig.now, &mut rig.rng);
    }
    rig.now += 1_000;
    let request = rig.drain_sends().remove(0);
    assert!(!request.body.contains("bob@example.com") && !request.body.contains("alice"));
    let items = body(&request)["items"].as_array().unwrap().clone();
    let got = &items[0]["causes"];
    let kinds: Vec<_> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "NetworkError",
            "Error",
            "RangeError",
            "RangeError",
            "RangeError"
        ],
        "direct cause first, five at most, a missing kind is Error"
    );
    assert_eq!(
        got[0]["stack"][0],
        json!({"function": "load", "file": "/lib/net.js", "line": 3, "column": 9})
    );
    assert_eq!(got[1]["stack"], json!([]));
    assert_eq!(got[2]["message"], "deep 0");
    for item in &items[1..] {
        assert!(item.get("causes").is_none(), "{item}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn an_error_too_big_with_its_causes_keeps_their_messages_then_drops_them() {
    let mut rig = Rig::granted();
    let frames: String = (0..50)
        .map(|i| format!("\n    at f{i} (chrome-extension://abcdefghijklmnopabcdefghijklmnop/lib/a.js:{i}:1)"))
        .collect();
    let limit = Policy::default().max_item_bytes;
    for (message, kept) in [("m".repeat(1_900), true), ("\u{1}".repeat(1_900), false)] {
        let causes: Vec<Value> = (0..5)
            .map(|_| json!({"kind": "Error", "message": message, "stack": format!("Error: x{frames}")}))
            .collect();
        let causes = Value::Array(causes).to_string();
        let input = mv3_telemetry::core::ErrorInput {
            kind: "Error",
            message: if kept { "big causes" } else { "huge causes" },
            stack: Some(V8_STACK),
            context: None,
            causes: Some(&causes),
        };
        assert_eq!(
            rig.engine.record_error(input, rig.now, &mut rig.rng),
            Recorded::Accepted
        );
    }
    rig.now += 1_000;
    let request = rig.drain_sends().remove(0);
    let items = body(&request)["items"].as_array().unwrap().clone();
    for item in &items {
        assert!(
            item.to_string().len() <= limit,
            "{}",
            item.to_string().len()
        );
    }
    let causes = items[0]["causes"].as_array().unwrap();
    assert_eq!(causes.len(), 5, "kept, without their frames");
    assert!(causes
        .iter()
        .all(|c| c["stack"] == json!([]) && c["message"].as_str().unwrap().len() == 1_900));
    assert!(
        items[1].get("causes").is_none(),
        "too big even without frames: left out"
    );
    assert_eq!(items[1]["message"], "huge causes");
}

// ---- timings, feedback, lifecycle, hooks ----------------------------------------

fn timing(rig: &mut Rig, name: &str, ms: f64, props: Value) -> Recorded {
    let props = props.to_string();
    rig.engine
        .record_timing(name, ms, Some(&props), rig.now, &mut rig.rng)
}

#[wasm_bindgen_test(unsupported = test)]
pub fn timer_samples_become_one_aggregate_per_name_and_props_per_window() {
    let mut rig = Rig::granted();
    for i in 1..=1_000 {
        timing(&mut rig, "load", i as f64, json!({ "cache": "hit" }));
    }
    timing(&mut rig, "load", 5.0, json!({ "cache": "miss" }));
    assert_eq!(
        rig.poll(),
        Action::WaitUntil(START + 30_000),
        "the window closes after the flush interval"
    );
    rig.now += 30_000;
    let sends = rig.drain_sends();
    let perf = sends
        .iter()
        .find(|r| r.endpoint == Endpoint::Performance)
        .expect("timings are sent");
    let items = body(perf)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let hit = items.iter().find(|i| i["props"]["cache"] == "hit").unwrap();
    assert_eq!(hit["type"], "timing");
    assert_eq!(hit["count"], 1_000);
    assert_eq!(hit["sum"], 500_500);
    assert_eq!(hit["min"], 1);
    assert_eq!(hit["max"], 1_000);
    assert_eq!(hit["unit"], "ms");
    let p95 = hit["p95"].as_f64().unwrap();
    assert!((p95 - 950.0).abs() / 950.0 <= 0.01, "p95 {p95}");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_slow_sample_also_records_a_slow_operation_event() {
    let mut rig = Rig::granted();
    timing(&mut rig, "sync", 1_500.25, json!({}));
    timing(&mut rig, "sync", 20.0, json!({}));
    let sends = rig.flush_now();
    let events = sends
        .iter()
        .find(|r| r.endpoint == Endpoint::Events)
        .expect("an event");
    let item = &body(events)["items"][0];
    assert_eq!(item["name"], "slow_operation");
    assert_eq!(
        item["props"],
        json!({ "name": "sync", "duration_ms": 1500.25 })
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn timing_series_survive_a_restart_through_the_record() {
    let mut rig = Rig::granted();
    timing(&mut rig, "t", 10.0, json!({}));
    timing(&mut rig, "t", 30.0, json!({}));
    rig.restart(Consent::Pending);
    timing(&mut rig, "t", 20.0, json!({}));
    let sends = rig.flush_now();
    let item = &body(
        sends
            .iter()
            .find(|r| r.endpoint == Endpoint::Performance)
            .unwrap(),
    )["items"][0];
    assert_eq!(item["count"], 3);
    assert_eq!(item["sum"], 60);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn feedback_is_scrubbed_capped_and_validated() {
    let mut rig = Rig::granted();
    let long = format!("reach me at bob@example.com {}", "x".repeat(5_000));
    assert_eq!(
        rig.engine.record_feedback(
            "bug",
            Some(4),
            Some(&long),
            Some("bob@example.com"),
            rig.now,
            &mut rig.rng
        ),
        Recorded::Accepted
    );
    assert_eq!(
        rig.engine
            .record_feedback("rant", None, None, None, rig.now, &mut rig.rng),
        Recorded::Dropped(DropReason::Invalid)
    );
    assert_eq!(
        rig.engine
            .record_feedback("idea", Some(9), None, None, rig.now, &mut rig.rng),
        Recorded::Accepted
    );
    let sends = rig.flush_now();
    let items = body(
        sends
            .iter()
            .find(|r| r.endpoint == Endpoint::Feedback)
            .unwrap(),
    )["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items[0]["kind"], "bug");
    assert_eq!(items[0]["rating"], 4);
    let message = items[0]["message"].as_str().unwrap();
    assert!(message.starts_with("reach me at [email] "), "{message}");
    assert!(message.chars().count() <= 4_000);
    assert_eq!(
        items[0]["contact"], "bob@example.com",
        "contact is the user's choice"
    );
    assert!(
        items[1].get("rating").is_none(),
        "an out-of-range rating is omitted"
    );
    assert!(items[1].get("contact").is_none(), "no contact unless given");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn daily_active_is_sent_once_per_utc_day() {
    let mut rig = Rig::granted();
    assert!(rig.engine.mark_daily_active(rig.now, &mut rig.rng));
    assert!(!rig
        .engine
        .mark_daily_active(rig.now + 3_600_000, &mut rig.rng));
    // A restart the same day does not repeat it.
    rig.restart(Consent::Pending);
    assert!(!rig
        .engine
        .mark_daily_active(rig.now + 7_200_000, &mut rig.rng));
    // The next UTC day does.
    assert!(rig
        .engine
        .mark_daily_active(START + 86_400_000, &mut rig.rng));
}

#[wasm_bindgen_test(unsupported = test)]
pub fn lifecycle_and_slow_events_are_never_sampled() {
    let policy = Policy {
        sample_rate: 0.0,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    assert_eq!(
        rig.track("sampled_out", json!({})),
        Recorded::Dropped(DropReason::Sampled)
    );
    assert_eq!(
        rig.engine
            .record_unsampled_event("extension_installed", None, rig.now, &mut rig.rng),
        Recorded::Accepted
    );
    assert!(rig.engine.mark_daily_active(rig.now, &mut rig.rng));
    assert_eq!(error(&mut rig, "Error", "kept", None), Recorded::Accepted);
    assert_eq!(rig.engine.stats().dropped.get(DropReason::Sampled), 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn before_send_can_edit_drop_or_fail_and_every_outcome_is_counted() {
    use mv3_telemetry::core::engine::HookVerdict;
    use mv3_telemetry::core::json::{parse, Json};
    let mut rig = Rig::granted();
    rig.engine.set_before_send(Box::new(|item: &str| {
        let value = parse(item).unwrap();
        match value.get("name").and_then(Json::as_str) {
            Some("drop_me") => HookVerdict::Drop,
            Some("explode") => HookVerdict::Failed,
            Some("edit_me") => {
                let mut edited = value.clone();
                if let Json::Object(fields) = &mut edited {
                    fields.push((
                        "note".into(),
                        Json::String("written by alice@example.com".into()),
                    ));
                    fields.retain(|(k, _)| k != "id");
                }
                HookVerdict::Replace(edited)
            }
            _ => HookVerdict::Keep,
        }
    }));
    assert_eq!(
        rig.track("drop_me", json!({})),
        Recorded::Dropped(DropReason::BeforeSend)
    );
    assert_eq!(rig.track("explode", json!({})), Recorded::Accepted);
    assert_eq!(rig.track("edit_me", json!({})), Recorded::Accepted);
    let stats = rig.engine.stats();
    assert_eq!(stats.dropped.get(DropReason::BeforeSend), 1);
    assert_eq!(stats.dropped.get(DropReason::HookError), 1);
    let b = body(&rig.flush_now()[0]);
    assert_eq!(b["dropped"]["before_send"], 1);
    assert_eq!(b["dropped"]["hook_error"], 1);
    let edited = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "edit_me")
        .unwrap()
        .clone();
    assert_eq!(
        edited["note"], "written by [email]",
        "an edited item is scrubbed again"
    );
    assert!(
        edited["id"].as_str().is_some_and(|id| id.len() == 36),
        "the id survives the hook"
    );
    assert_eq!(edited["type"], "event");
}

// ---- persistence ------------------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
pub fn the_record_round_trips_every_field() {
    let mut rig = Rig::granted();
    for i in 0..70 {
        rig.track("e", json!({ "i": i }));
    }
    rig.track("", json!({}));
    error(&mut rig, "TypeError", "boom", None);
    timing(&mut rig, "t", 12.5, json!({ "k": 1 }));
    rig.engine.mark_daily_active(rig.now, &mut rig.rng);
    let in_flight = rig.drain_sends();
    rig.answer(&in_flight[0], 503, Some("5"));
    rig.engine
        .set_extra("probe", mv3_telemetry::core::json::Json::Bool(true));
    let before = rig.record().unwrap();
    rig.restart(Consent::Pending);
    rig.engine
        .set_extra("probe", mv3_telemetry::core::json::Json::Bool(true));
    let after = rig.record().unwrap();
    assert_eq!(
        after, before,
        "a restored engine writes back the record it read"
    );
    for key in [
        "id",
        "session",
        "totals",
        "unreported",
        "lanes",
        "timings",
        "crumbs",
        "extra",
        "seq",
        "not_before",
    ] {
        assert!(
            before.get(key).is_some(),
            "the record keeps {key}: {before}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_restored_engine_resumes_where_the_old_one_stopped() {
    let mut rig = Rig::granted();
    let id = rig.engine.anonymous_id().unwrap().to_owned();
    for i in 0..70 {
        rig.track("e", json!({ "i": i }));
    }
    let lost_in_flight = rig.drain_sends().remove(0);
    // The worker dies; a new one starts from storage.
    rig.restart(Consent::Pending);
    rig.now += 5_000;
    assert_eq!(rig.engine.anonymous_id(), Some(id.as_str()));
    assert_eq!(rig.engine.consent(), Consent::Granted);
    assert_eq!(
        rig.engine.stats().queued,
        70,
        "counted before any item is read"
    );
    let mut ids = Vec::new();
    for _ in 0..5 {
        for request in rig.flush_now() {
            if request.batch_id == lost_in_flight.batch_id {
                assert_eq!(
                    item_ids(&request),
                    item_ids(&lost_in_flight),
                    "the interrupted batch is re-sent whole"
                );
            }
            ids.extend(item_ids(&request));
            rig.answer(&request, 200, None);
        }
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 70);
    assert_eq!(
        rig.chunk_keys(),
        Vec::<String>::new(),
        "delivered chunks are removed"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_corrupt_record_is_discarded_not_fatal() {
    let mut rng = SplitMix(1);
    let stored = Stored {
        record: Some("{not json"),
        legacy: None,
    };
    let (engine, problem) = Engine::restore(
        Policy::default(),
        context(),
        Scrubber::default(),
        Consent::Pending,
        stored,
        &mut rng,
    )
    .unwrap();
    assert!(problem.is_some());
    assert_eq!(engine.consent(), Consent::Pending);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn stored_consent_wins_over_the_default() {
    let mut rig = Rig::granted();
    rig.engine.set_consent(false, rig.now, &mut rig.rng);
    rig.restart(Consent::Granted);
    assert_eq!(rig.engine.consent(), Consent::Denied);
    assert_eq!(rig.engine.anonymous_id(), None);
}

/// Bytes written by one persist.
fn written(writes: &Writes) -> usize {
    writes
        .set
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>()
        + writes.remove.iter().map(String::len).sum::<usize>()
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_persist_writes_only_what_changed() {
    let policy = Policy {
        max_queued_items: 10_000,
        flush_interval_ms: 3_600_000,
        batch_max_events: 10_000,
        batch_max_bytes: 1_000_000,
        ..Policy::default()
    };
    let mut bytes = Vec::new();
    // 25, not 10: from 20 queued on, the breadcrumbs the record keeps are full.
    for queued in [25, 1_000] {
        let mut rig = Rig::with_policy(policy.clone(), Consent::Granted);
        for i in 0..queued {
            rig.track("queued", json!({ "i": i % 10 }));
            if i % 7 == 0 {
                rig.persist();
            }
        }
        rig.persist();
        rig.track("one_more", json!({ "i": 0 }));
        let writes = rig.persist().expect("a new event is written");
        assert_eq!(
            writes.set.len(),
            2,
            "one new chunk and the record: {:?}",
            writes.set.iter().map(|(k, _)| k).collect::<Vec<_>>()
        );
        assert!(writes.remove.is_empty(), "{:?}", writes.remove);
        let record = &writes.set.iter().find(|(k, _)| k == RECORD_KEY).unwrap().1;
        assert!(
            record.len() < 2_048,
            "the record stays small: {} bytes",
            record.len()
        );
        bytes.push(written(&writes));
        assert!(rig.persist().is_none(), "nothing changed, nothing written");
    }
    let (small, large) = (bytes[0], bytes[1]);
    assert!(
        large.abs_diff(small) <= 16,
        "one event writes {small} bytes with 25 queued and {large} with 1,000"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn start_up_reads_no_item_until_a_batch_needs_it() {
    let mut rig = Rig::granted();
    for i in 0..20 {
        rig.track("e", json!({ "i": i }));
    }
    rig.restart(Consent::Pending);
    assert_eq!(rig.engine.stats().queued, 20);
    match rig.engine.poll(rig.now, &mut rig.rng) {
        Action::WaitUntil(at) => assert_eq!(at, START + Policy::default().flush_interval_ms),
        other => panic!("nothing is read before the batch is due: {other:?}"),
    }
    rig.now += Policy::default().flush_interval_ms;
    let Action::Read(keys) = rig.engine.poll(rig.now, &mut rig.rng) else {
        panic!("the due batch needs its items")
    };
    assert!(keys.iter().all(|k| k.starts_with(CHUNK_PREFIX)), "{keys:?}");
    assert!(
        matches!(
            rig.engine.poll(rig.now, &mut rig.rng),
            Action::Idle | Action::WaitUntil(_)
        ),
        "a read is asked for once"
    );
    rig.answer_read(&keys);
    let sends = rig.drain_sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(body(&sends[0])["items"].as_array().unwrap().len(), 20);
}

/// One run of a workload in which the worker is killed right after storage
/// write number `crash_at` (a `set` or a `remove`). Returns what the
/// collector received (event number -> batch ids) and which events were
/// accepted and covered by a completed `set` before the crash.
fn run_until_crash(crash_at: usize) -> (BTreeMap<i64, Vec<String>>, Vec<i64>, bool) {
    let policy = Policy {
        batch_max_events: 5,
        flush_interval_ms: 1_000,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    let mut writes_done = 0;
    let mut received: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut accepted = Vec::new();
    let mut durable = Vec::new();
    let mut crashed = false;
    // Applies one persist write by write; false if the worker died.
    let mut persist = |rig: &mut Rig, accepted: &Vec<i64>, durable: &mut Vec<i64>| -> bool {
        let Some(writes) = rig.engine.take_writes() else {
            return true;
        };
        for (key, value) in &writes.set {
            rig.storage.insert(key.clone(), value.clone());
        }
        *durable = accepted.clone();
        writes_done += 1;
        if writes_done == crash_at {
            return false;
        }
        for key in &writes.remove {
            rig.storage.remove(key);
        }
        writes_done += 1;
        if writes_done == crash_at {
            return false;
        }
        rig.engine.writes_done(true);
        true
    };
    'work: for step in 0..60i64 {
        if rig.track("e", json!({ "n": step })) == Recorded::Accepted {
            accepted.push(step);
        }
        if step % 3 == 0 && !persist(&mut rig, &accepted, &mut durable) {
            crashed = true;
            break 'work;
        }
        if step % 4 == 0 {
            rig.now += 1_000;
            let sends = rig.drain_sends();
            // The runtime stores a new batch before sending it.
            if rig.engine.needs_persist_before_send() && !persist(&mut rig, &accepted, &mut durable)
            {
                crashed = true;
                break 'work;
            }
            for (i, request) in sends.iter().enumerate() {
                let ok = (step + i as i64) % 5 != 0;
                if ok {
                    for item in body(request)["items"].as_array().unwrap() {
                        received
                            .entry(item["props"]["n"].as_i64().unwrap())
                            .or_default()
                            .push(request.batch_id.clone());
                    }
                }
                rig.answer(request, if ok { 200 } else { 503 }, None);
            }
        }
    }
    // A new worker starts from whatever storage holds and delivers everything.
    let mut rng = SplitMix(crash_at as u64);
    let mut next = Rig {
        engine: restored(rig.policy.clone(), Consent::Pending, &rig.storage, &mut rng),
        now: rig.now + 86_400_000,
        rng,
        storage: rig.storage.clone(),
        policy: rig.policy.clone(),
    };
    for _ in 0..50 {
        let sends = next.flush_now();
        if sends.is_empty() {
            break;
        }
        for request in &sends {
            for item in body(request)["items"].as_array().unwrap() {
                received
                    .entry(item["props"]["n"].as_i64().unwrap())
                    .or_default()
                    .push(request.batch_id.clone());
            }
            next.answer(request, 200, None);
        }
        next.now += 3_600_000;
    }
    (received, durable, crashed)
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_crash_after_any_storage_write_loses_and_duplicates_nothing() {
    let mut crashes = 0;
    for crash_at in 1..200 {
        let (received, durable, crashed) = run_until_crash(crash_at);
        for n in &durable {
            assert!(
                received.contains_key(n),
                "crash after write {crash_at}: event {n} was stored but never arrived"
            );
        }
        for (n, batches) in &received {
            let mut distinct = batches.clone();
            distinct.dedup();
            assert_eq!(
                distinct.len(),
                1,
                "crash after write {crash_at}: event {n} arrived under batches {batches:?}"
            );
        }
        if !crashed {
            break;
        }
        crashes += 1;
    }
    assert!(
        crashes > 20,
        "the workload has {crashes} storage writes to crash after"
    );
}

/// A state stored by the single-key releases (snapshot version 1).
const LEGACY_STATE: &str = r#"{"version":1,"consent":"granted","anonymous_id":"6f1c2a4e-8d3b-4c1a-9e2f-0a1b2c3d4e5f","session":{"id":"0b9c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e","last_activity":1795255200000},"queued":[{"seq":2,"endpoint":"events","recorded_at":1795255200002,"session_id":"0b9c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e","json":"{\"id\":\"a0000000-0000-4000-8000-000000000002\",\"type\":\"event\",\"name\":\"queued\",\"ts\":1795255200002,\"props\":{}}"},{"seq":3,"endpoint":"errors","recorded_at":1795255200003,"session_id":"0b9c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e","json":"{\"id\":\"a0000000-0000-4000-8000-000000000003\",\"type\":\"error\",\"ts\":1795255200003,\"kind\":\"Error\",\"message\":\"m\",\"stack\":[],\"fingerprint\":\"f\",\"context\":{},\"breadcrumbs\":[]}","fingerprint":"ffffffffffffffffffffffffffffffff","count":3}],"batches":[{"batch_id":"b0000000-0000-4000-8000-000000000001","endpoint":"events","session_id":"0b9c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e","items":[{"seq":0,"endpoint":"events","recorded_at":1795255200000,"session_id":"0b9c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e","json":"{\"id\":\"a0000000-0000-4000-8000-000000000000\",\"type\":\"event\",\"name\":\"batched\",\"ts\":1795255200000,\"props\":{}}"},{"seq":1,"endpoint":"events","recorded_at":1795255200001,"session_id":"0b9c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e","json":"{\"id\":\"a0000000-0000-4000-8000-000000000001\",\"type\":\"event\",\"name\":\"batched\",\"ts\":1795255200001,\"props\":{}}"}],"dropped":{"queue_full":2},"attempts":1,"next_attempt_at":1795255201000}],"deletion":null,"unreported":{},"totals":{"sent":7,"retries":1,"dropped":{"queue_full":2},"truncated":0},"not_before":0,"next_seq":4,"breadcrumbs":[["batched",1795255200000]],"extra":{"last_active_day":20778}}"#;

#[wasm_bindgen_test(unsupported = test)]
pub fn the_single_key_state_of_earlier_releases_is_migrated() {
    let mut storage = Storage::new();
    storage.insert(LEGACY_STATE_KEY.to_owned(), LEGACY_STATE.to_owned());
    let mut rng = SplitMix(11);
    let engine = restored(Policy::default(), Consent::Pending, &storage, &mut rng);
    let mut rig = Rig {
        engine,
        now: START + 60_000,
        rng,
        storage,
        policy: Policy::default(),
    };
    assert_eq!(rig.engine.consent(), Consent::Granted);
    assert_eq!(
        rig.engine.anonymous_id(),
        Some("6f1c2a4e-8d3b-4c1a-9e2f-0a1b2c3d4e5f")
    );
    assert_eq!(rig.engine.stats().queued, 4);
    assert_eq!(rig.engine.stats().sent, 7);
    rig.persist();
    assert!(
        !rig.storage.contains_key(LEGACY_STATE_KEY),
        "the old key is removed once the log holds everything"
    );
    assert!(rig.storage.contains_key(RECORD_KEY));
    // A second start finds the log only.
    rig.restart(Consent::Pending);
    let sends = rig.flush_now();
    let events = sends
        .iter()
        .find(|r| r.endpoint == Endpoint::Events)
        .unwrap();
    assert_eq!(
        events.batch_id, "b0000000-0000-4000-8000-000000000001",
        "the waiting batch keeps its id"
    );
    assert_eq!(body(events)["dropped"]["queue_full"], 2);
    let names: Vec<_> = body(events)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["batched", "batched"]);
    let errors = sends
        .iter()
        .find(|r| r.endpoint == Endpoint::Errors)
        .unwrap();
    assert_eq!(body(errors)["items"][0]["count"], 3);
    for request in &sends {
        rig.answer(request, 200, None);
    }
    let rest = rig.flush_now();
    assert_eq!(
        rest.iter().map(|r| r.item_count).sum::<usize>(),
        1,
        "the queued event follows"
    );
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_waiting_batch_keeps_its_backoff_when_the_cap_empties_it() {
    let policy = Policy {
        max_queued_items: 60,
        retry_base_delay_ms: 60_000,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    for i in 0..50 {
        rig.track("e", json!({ "i": i }));
    }
    let first = rig.drain_sends();
    assert_eq!(first.len(), 1);
    rig.answer(&first[0], 503, None);
    let Action::WaitUntil(retry_at) = rig.poll() else {
        panic!("the batch waits for its retry")
    };
    assert!(retry_at > rig.now);
    // A burst pushes every item of the waiting batch out.
    for i in 0..60 {
        rig.track("burst", json!({ "i": i }));
    }
    assert_eq!(rig.engine.stats().queued, 60);
    assert!(
        rig.drain_sends().is_empty(),
        "no new batch jumps the backoff"
    );
    match rig.poll() {
        Action::WaitUntil(at) => assert_eq!(at, retry_at),
        other => panic!("{other:?}"),
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_burst_with_the_collector_down_sends_no_more_than_the_retry_schedule() {
    let mut rig = Rig::granted();
    let mut requests = 0;
    for i in 0..1_000u64 {
        rig.now = START + i * 6 / 5;
        rig.track("burst", json!({ "i": i }));
        for request in rig.drain_sends() {
            requests += 1;
            rig.answer(&request, 503, None);
        }
    }
    let during_burst = requests;
    for step in 0..600u64 {
        rig.now = START + 1_200 + step * 100;
        for request in rig.drain_sends() {
            requests += 1;
            rig.answer(&request, 503, None);
        }
    }
    assert!(
        during_burst <= 2,
        "{during_burst} requests during a 1.2 s burst"
    );
    assert!(
        requests <= Policy::default().retry_max_attempts as usize,
        "{requests} requests in 61 s with the collector down"
    );
    assert_eq!(rig.engine.stats().queued, 1_000);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn repeats_of_a_stored_error_fold_across_a_persist() {
    let mut rig = Rig::granted();
    error(&mut rig, "TypeError", "boom", None);
    rig.persist();
    error(&mut rig, "TypeError", "boom", None);
    rig.persist();
    error(&mut rig, "TypeError", "boom", None);
    rig.restart(Consent::Pending);
    let sends = rig.flush_now();
    let items = body(&sends[0])["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["count"], 3);
}

// ---- faults (issue 13) -------------------------------------------------------

#[wasm_bindgen_test(unsupported = test)]
pub fn a_chunk_listed_as_garbage_is_never_reused_after_a_restart() {
    let mut rig = Rig::granted();
    rig.track("before", json!({}));
    rig.persist();
    rig.engine.set_consent(false, rig.now, &mut rig.rng);
    rig.persist();
    // The denied record still lists the purged chunk; a new worker reads it.
    rig.restart(Consent::Pending);
    rig.engine.set_consent(true, rig.now, &mut rig.rng);
    assert_eq!(rig.track("after", json!({})), Recorded::Accepted);
    rig.restart(Consent::Pending);
    rig.now += 3_600_000;
    let sends = rig.drain_sends();
    assert_eq!(sends.len(), 1, "the item recorded after the grant survives");
    assert_eq!(body(&sends[0])["items"][0]["name"], "after");
}

/// A granted rig with `n` events stored, and storage as the worker left it.
fn stored_events(n: usize) -> Rig {
    let mut rig = Rig::granted();
    for i in 0..n {
        rig.track("e", json!({ "i": i }));
    }
    rig.persist();
    rig
}

/// A new worker on `storage` with `default` consent.
fn start_on(storage: &Storage, default: Consent) -> Rig {
    let mut rng = SplitMix(99);
    Rig {
        engine: restored(Policy::default(), default, storage, &mut rng),
        now: START,
        rng,
        storage: storage.clone(),
        policy: Policy::default(),
    }
}

fn corrupt_count(rig: &Rig) -> u64 {
    rig.engine.stats().dropped.get(DropReason::CorruptState)
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_truncated_record_starts_fresh_with_the_default_consent_and_counts_corrupt_state_once() {
    let old = stored_events(3);
    let old_id = old.engine.anonymous_id().unwrap().to_owned();
    let mut storage = old.storage.clone();
    let record = storage[RECORD_KEY].clone();
    storage.insert(RECORD_KEY.into(), record[..record.len() / 2].to_owned());

    let pending = start_on(&storage, Consent::Pending);
    assert_eq!(
        pending.engine.consent(),
        Consent::Pending,
        "never granted from garbage"
    );

    let mut rig = start_on(&storage, Consent::Granted);
    assert_ne!(rig.engine.anonymous_id(), Some(old_id.as_str()));
    assert_eq!(corrupt_count(&rig), 1);
    rig.track("after", json!({}));
    rig.now += 3_600_000;
    let sends = rig.drain_sends();
    assert_eq!(
        body(&sends[0])["dropped"]["corrupt_state"],
        1,
        "reported in the next batch"
    );
    rig.answer(&sends[0], 200, None);
    rig.restart(Consent::Granted);
    assert_eq!(corrupt_count(&rig), 1, "counted once, not on every start");
}

#[wasm_bindgen_test(unsupported = test)]
pub fn garbage_of_every_type_under_the_record_key_never_grants_consent() {
    let garbage = [
        "",
        "null",
        "42",
        "\"granted\"",
        "[1,2,3]",
        "{}",
        "{\"v\":2}",
        "{\"v\":2,\"consent\":7}",
        "{\"v\":2,\"consent\":\"granted\"}",
        "{\"v\":2,\"consent\":\"granted\",\"id\":42}",
        "{\"v\":\"2\",\"consent\":\"granted\",\"id\":\"x\"}",
        "{\"v\":3,\"consent\":\"granted\",\"id\":\"6f1c0000-0000-4000-8000-000000000000\"}",
        "{\"v\":2,\"consent\":\"granted\",\"id\":\"a\",\"lanes\":\"x\",\"totals\":[],\"seq\":-1}",
        "\u{0}\u{ffff}{{{{",
    ];
    for text in garbage {
        let mut storage = Storage::new();
        storage.insert(RECORD_KEY.into(), text.to_owned());
        let mut rig = start_on(&storage, Consent::Pending);
        assert_eq!(rig.engine.consent(), Consent::Pending, "{text:?}");
        assert_eq!(rig.engine.anonymous_id(), None, "{text:?}");
        assert_eq!(
            rig.track("e", json!({})),
            Recorded::NotConsented,
            "{text:?}"
        );
        // Counted once the user grants consent (nothing is counted before).
        rig.engine.set_consent(true, rig.now, &mut rig.rng);
        assert_eq!(corrupt_count(&rig), 1, "{text:?}");
        assert_eq!(
            rig.track("e", json!({})),
            Recorded::Accepted,
            "{text:?}: it works"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_record_of_a_later_version_falls_back_to_the_default_but_keeps_a_denial() {
    let mut storage = Storage::new();
    storage.insert(
        RECORD_KEY.into(),
        "{\"v\":9,\"consent\":\"denied\",\"new\":[1]}".into(),
    );
    let rig = start_on(&storage, Consent::Granted);
    assert_eq!(rig.engine.consent(), Consent::Denied);
    assert_eq!(rig.engine.anonymous_id(), None);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_missing_chunk_loses_only_its_items_and_counts_them() {
    let mut old = Rig::granted();
    for i in 0..5 {
        old.track("first", json!({ "i": i }));
    }
    old.persist();
    for i in 0..5 {
        old.track("second", json!({ "i": i }));
    }
    old.persist();
    let mut storage = old.storage.clone();
    let first_chunk = storage
        .keys()
        .find(|k| k.starts_with(CHUNK_PREFIX))
        .unwrap()
        .clone();
    storage.remove(&first_chunk);
    let mut rig = start_on(&storage, Consent::Pending);
    assert_eq!(rig.engine.consent(), Consent::Granted);
    rig.now += 3_600_000;
    let sends = rig.drain_sends();
    let names: Vec<Value> = sends
        .iter()
        .flat_map(|r| body(r)["items"].as_array().unwrap().clone())
        .map(|i| i["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("second"); 5]);
    assert_eq!(corrupt_count(&rig), 5, "each lost item counted");
    assert_eq!(body(&sends[0])["dropped"]["corrupt_state"], 5);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn garbage_lines_in_a_chunk_are_counted_and_the_valid_ones_delivered() {
    let old = stored_events(4);
    let mut storage = old.storage.clone();
    let key = storage
        .keys()
        .find(|k| k.starts_with(CHUNK_PREFIX))
        .unwrap()
        .clone();
    let lines: Vec<String> = storage[&key].lines().map(str::to_owned).collect();
    let damaged = [
        lines[0].clone(),
        "not\ta\tline".to_owned(),
        lines[2][..lines[2].len() / 2].to_owned(),
        lines[3].clone(),
    ]
    .join("\n");
    storage.insert(key, damaged);
    let mut rig = start_on(&storage, Consent::Pending);
    rig.now += 3_600_000;
    let sends = rig.drain_sends();
    assert_eq!(item_ids(&sends[0]).len(), 2, "the two valid lines");
    assert_eq!(corrupt_count(&rig), 2);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_chunk_that_is_not_text_counts_as_corrupt_not_as_a_crash() {
    let old = stored_events(3);
    let mut storage = old.storage.clone();
    let key = storage
        .keys()
        .find(|k| k.starts_with(CHUNK_PREFIX))
        .unwrap()
        .clone();
    // The platform reads a non-string value as empty text.
    storage.insert(key, String::new());
    let mut rig = start_on(&storage, Consent::Pending);
    rig.now += 3_600_000;
    assert!(rig.drain_sends().is_empty());
    assert_eq!(corrupt_count(&rig), 3);
    assert_eq!(rig.engine.stats().queued, 0);
    assert_eq!(rig.track("e", json!({})), Recorded::Accepted);
}

fn storage_full_count(rig: &Rig) -> u64 {
    rig.engine.stats().dropped.get(DropReason::StorageFull)
}

/// About 1 KB of props per event.
fn kilobyte(i: usize) -> Value {
    json!({ "i": i, "pad": "x".repeat(900) })
}

#[wasm_bindgen_test(unsupported = test)]
pub fn max_storage_bytes_drops_the_oldest_items_as_storage_full() {
    let policy = Policy {
        max_queued_items: 100_000,
        max_storage_bytes: 65_536,
        flush_interval_ms: 3_600_000,
        batch_max_events: 10_000,
        batch_max_bytes: 1_000_000,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy.clone(), Consent::Granted);
    for i in 0..200 {
        assert_eq!(
            rig.track("e", kilobyte(i)),
            Recorded::Accepted,
            "the newest is kept"
        );
        rig.persist();
    }
    let stored: usize = rig.storage.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert!(stored <= policy.max_storage_bytes, "{stored} bytes stored");
    let kept = rig.engine.stats().queued;
    assert_eq!(storage_full_count(&rig) + kept, 200, "every drop counted");
    assert!(kept > 40, "the bound is used, not undershot: {kept}");
    rig.now += 3_600_000;
    let sends = rig.drain_sends();
    let first = &body(&sends[0])["items"][0]["props"]["i"];
    assert_eq!(first.as_u64(), Some(200 - kept), "the oldest went first");
    assert_eq!(body(&sends[0])["dropped"]["storage_full"], 200 - kept);
}

/// Takes the next writes and reports them refused, as a full storage does.
fn refuse_write(rig: &mut Rig) {
    if rig.engine.take_writes().is_some() {
        rig.engine.writes_done_with(false, false);
    }
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_refused_write_keeps_items_in_memory_and_stores_them_once_space_is_back() {
    let mut rig = Rig::granted();
    for i in 0..10 {
        rig.track("e", json!({ "i": i }));
    }
    refuse_write(&mut rig);
    refuse_write(&mut rig);
    assert!(rig.engine.storage_refused());
    assert_eq!(rig.storage.len(), 0);
    for i in 10..20 {
        assert_eq!(rig.track("e", json!({ "i": i })), Recorded::Accepted);
    }
    assert_eq!(rig.engine.stats().queued, 20, "kept in memory");
    assert_eq!(
        storage_full_count(&rig),
        0,
        "small queues lose nothing to a refusal"
    );
    // Space is back: one persist stores everything, and a new worker has it.
    rig.persist();
    assert!(!rig.engine.storage_refused());
    rig.restart(Consent::Pending);
    rig.now += 3_600_000;
    let ids: usize = rig.drain_sends().iter().map(|r| item_ids(r).len()).sum();
    assert_eq!(ids, 20);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_storage_that_keeps_refusing_shrinks_the_budget_and_counts_storage_full() {
    let policy = Policy {
        max_queued_items: 100_000,
        max_storage_bytes: 512 * 1024,
        flush_interval_ms: 3_600_000,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    for i in 0..300 {
        rig.track("e", kilobyte(i));
    }
    rig.persist();
    assert_eq!(storage_full_count(&rig), 0);
    for _ in 0..5 {
        for i in 300..310 {
            rig.track("e", kilobyte(i));
        }
        refuse_write(&mut rig);
    }
    let footprint = rig.engine.storage_footprint();
    assert!(
        footprint <= 65_536,
        "down to one batch's worth: {footprint}"
    );
    let dropped = storage_full_count(&rig);
    assert!(dropped > 200, "{dropped}");
    assert_eq!(
        rig.engine.stats().queued + dropped,
        350,
        "every drop counted: {:?}",
        rig.engine.stats()
    );
    // The removal of evicted chunks goes first, so space comes back.
    let writes = rig.engine.take_writes().expect("a removal");
    assert!(writes.set.is_empty() && !writes.remove.is_empty());
    apply(&mut rig.storage, &writes);
    rig.engine.writes_done(true);
    rig.persist();
    assert!(!rig.engine.storage_refused());
    rig.restart(Consent::Pending);
    assert_eq!(
        rig.engine.stats().dropped.get(DropReason::StorageFull),
        dropped
    );
    assert_eq!(corrupt_count(&rig), 0);
}

const DAY: u64 = 86_400_000;

/// Sends everything due now and answers 200; returns the bodies.
fn deliver_due(rig: &mut Rig) -> Vec<Value> {
    let mut bodies = Vec::new();
    for _ in 0..100 {
        let sends = rig.drain_sends();
        if sends.is_empty() {
            break;
        }
        for request in &sends {
            bodies.push(body(request));
            rig.answer(request, 200, None);
        }
    }
    bodies
}

fn item_count(bodies: &[Value]) -> usize {
    bodies
        .iter()
        .map(|b| b["items"].as_array().unwrap().len())
        .sum()
}

fn total_drops(rig: &Rig) -> u64 {
    let counts = rig.engine.stats().dropped;
    DropReason::ALL.iter().map(|r| counts.get(*r)).sum()
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_clock_moved_back_a_day_neither_drops_nor_holds_queued_items() {
    let mut rig = Rig::granted();
    for i in 0..5 {
        rig.track("before", json!({ "i": i }));
    }
    rig.now += 30_000;
    let first = rig.drain_sends().remove(0);
    rig.answer(&first, 503, None);
    rig.now -= DAY;
    for i in 0..5 {
        rig.track("after", json!({ "i": i }));
    }
    // The first retry's backoff ceiling is retry.baseDelayMs, whatever the jump.
    let Action::WaitUntil(at) = rig.poll() else {
        panic!("waits for the backoff");
    };
    assert!(at > rig.now && at - rig.now <= Policy::default().retry_base_delay_ms);
    rig.now = at;
    let mut bodies = deliver_due(&mut rig);
    assert_eq!(
        bodies[0]["sent_at"],
        format_rfc3339(rig.now),
        "sent_at is the wall clock"
    );
    // The later items are as old as the new clock says: one flush interval.
    rig.now += Policy::default().flush_interval_ms;
    bodies.extend(deliver_due(&mut rig));
    assert_eq!(
        item_count(&bodies),
        10,
        "nothing is held for the length of the jump"
    );
    assert_eq!(total_drops(&rig), 0);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_clock_moved_back_during_a_long_retry_after_waits_at_most_retry_max_delay() {
    let policy = Policy {
        retry_max_delay_ms: 600_000,
        ..Policy::default()
    };
    let mut rig = Rig::with_policy(policy, Consent::Granted);
    rig.track("e", json!({}));
    rig.now += 30_000;
    let request = rig.drain_sends().remove(0);
    rig.answer(&request, 429, Some("3600"));
    rig.now -= DAY;
    let Action::WaitUntil(at) = rig.poll() else {
        panic!("waits");
    };
    assert!(at - rig.now <= 600_000, "{} ms", at - rig.now);
    rig.now = at;
    assert_eq!(item_count(&deliver_due(&mut rig)), 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_clock_moved_forward_a_year_sends_at_once_and_drops_nothing() {
    let mut rig = Rig::granted();
    for i in 0..5 {
        rig.track("e", json!({ "i": i }));
    }
    rig.now += 30_000;
    let first = rig.drain_sends().remove(0);
    rig.answer(&first, 503, None);
    for i in 5..8 {
        rig.track("e", json!({ "i": i }));
    }
    rig.now += 365 * DAY;
    let bodies = deliver_due(&mut rig);
    assert_eq!(item_count(&bodies), 8);
    assert_eq!(bodies[0]["sent_at"], format_rfc3339(rig.now));
    assert_eq!(total_drops(&rig), 0, "nothing is too old to send");
    assert_eq!(rig.poll(), Action::Idle);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_stored_batch_whose_chunk_is_gone_does_not_block_its_lane() {
    let mut old = Rig::granted();
    old.track("gone", json!({}));
    old.now += 30_000;
    let sent = old.drain_sends();
    assert_eq!(sent.len(), 1);
    old.persist();
    let mut storage = old.storage.clone();
    storage.retain(|k, _| !k.starts_with(CHUNK_PREFIX));
    let mut rig = start_on(&storage, Consent::Pending);
    rig.now = old.now;
    assert_eq!(
        rig.poll(),
        Action::Idle,
        "the batch's chunk is read, and is gone"
    );
    rig.track("later", json!({}));
    rig.now += 30_000;
    let bodies = deliver_due(&mut rig);
    assert_eq!(item_count(&bodies), 1, "the later item is sent");
    assert_eq!(bodies[0]["items"][0]["name"], "later");
    assert_eq!(corrupt_count(&rig), 1);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn only_an_unreadable_record_asks_for_a_sweep_of_its_orphan_chunks() {
    let old = stored_events(3);
    assert!(!start_on(&old.storage, Consent::Pending)
        .engine
        .needs_sweep());
    let mut storage = old.storage.clone();
    storage.insert(RECORD_KEY.into(), "{\"v\":2,\"consent\":".into());
    let rig = start_on(&storage, Consent::Granted);
    assert!(rig.engine.needs_sweep());
    // The platform removes every chunk key before the first item is recorded.
    let mut rig = rig;
    rig.storage.retain(|k, _| !k.starts_with(CHUNK_PREFIX));
    assert_eq!(rig.track("new", json!({})), Recorded::Accepted);
    rig.restart(Consent::Pending);
    rig.now += 3_600_000;
    let bodies = deliver_due(&mut rig);
    assert_eq!(item_count(&bodies), 1);
    assert_eq!(bodies[0]["items"][0]["name"], "new");
}

/// A granted rig holding `n` new items of about 350 bytes each.
fn rig_with_bulk_items(n: usize) -> Rig {
    let mut rig = Rig::granted();
    let props = json!({ "text": "x".repeat(300) });
    for _ in 0..n {
        rig.track("bulk", props.clone());
    }
    rig
}

/// The item chunks among a write's sets.
fn new_chunks(writes: &Writes) -> Vec<&(String, String)> {
    writes
        .set
        .iter()
        .filter(|(key, _)| key.starts_with(CHUNK_PREFIX))
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_write_carries_at_most_four_new_chunks_and_the_rest_follow_in_the_next() {
    // About 350 KB of items: more than four 32 KiB chunks.
    let mut rig = rig_with_bulk_items(1_000);
    let mut writes_taken = 0;
    while let Some(writes) = rig.engine.take_writes() {
        let chunks = new_chunks(&writes).len();
        assert!(chunks <= 4, "write {writes_taken} carries {chunks} chunks");
        apply(&mut rig.storage, &writes);
        rig.engine.writes_done(true);
        writes_taken += 1;
        assert!(writes_taken < 100, "writes end");
    }
    assert!(writes_taken >= 3, "{writes_taken} writes");
    assert!(!rig.engine.is_dirty());
    // Everything reached storage: a new worker finds all of it.
    rig.restart(Consent::Pending);
    assert_eq!(rig.engine.stats().queued, 1_000);
}

#[wasm_bindgen_test(unsupported = test)]
pub fn a_persist_splits_many_new_items_into_chunks_allocated_at_their_exact_size() {
    let mut rig = rig_with_bulk_items(400);
    let writes = rig.persist().expect("new items to write");
    let chunks = new_chunks(&writes);
    assert!(
        chunks.len() > 2,
        "about 150 KB of items make several chunks"
    );
    for (key, text) in chunks {
        assert!(text.len() <= 32 * 1024, "{key} holds at most 32 KiB");
        // A chunk that outgrew its capacity would have doubled it: a write
        // holds up to four of them at once.
        assert_eq!(text.capacity(), text.len(), "{key} is allocated once");
    }
}
