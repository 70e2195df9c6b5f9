#![cfg(not(target_arch = "wasm32"))]
//! The engine's invariants under random schedules (issue 13): a property test
//! drives the core's public API (record, poll, outcomes, persists that succeed
//! or fail, kills that restart from storage, consent changes, clock moves) in
//! random orders and checks after every step:
//!
//! - nothing accepted and persisted is lost unless counted as dropped;
//! - no item is sent under two batch ids (unless storage refused the batch
//!   and the worker then died: see `docs/persistence.md`, "Storage refuses");
//! - nothing is sent or stored while consent is not granted;
//! - after a revoke, nothing of the old ID is sent but its deletion request.
//!
//! The same schedules run again with a second destination (PostHog) beside
//! the v1 collector: each must receive everything owed to it, under one
//! batch id per item, whatever the other one does (issue 14).
//!
//! Run alone: `cargo test --test engine_invariants`.

use std::collections::{BTreeMap, BTreeSet};

use mv3_telemetry::core::dest::{Destinations, Kind, PosthogOptions};
use mv3_telemetry::core::names::{CHUNK_PREFIX, LEGACY_STATE_KEY, RECORD_KEY};
use mv3_telemetry::core::{
    Action, Consent, Context, DropReason, Endpoint, Engine, Outcome, Policy, Recorded, Request,
    Routes, Scrubber, SplitMix, Stored,
};
use proptest::prelude::*;
use serde_json::Value;

/// 2026-11-21T10:00:00Z
const START: u64 = 1_795_255_200_000;
const DAY: u64 = 86_400_000;

/// One step of a schedule.
#[derive(Debug, Clone)]
enum Op {
    /// `track` one event.
    Record,
    /// Poll until the engine waits; reads are answered (or fail).
    Poll {
        read_fails: bool,
        persist_ok: bool,
    },
    /// The answer to one request in flight.
    Answer {
        pick: usize,
        outcome: Answer,
    },
    /// One persist; the `set` and the `remove` each succeed or fail.
    Persist {
        set_ok: bool,
        remove_ok: bool,
    },
    /// The worker dies; requests in flight may have reached the collector.
    Kill {
        delivered: bool,
        default_granted: bool,
    },
    Grant,
    Revoke,
    Flush,
    Forward(u64),
    Back(u64),
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Ok,
    ServerError,
    TooMany,
    Rejected,
    Network,
}

fn op() -> impl Strategy<Value = Op> {
    let answer = prop_oneof![
        3 => Just(Answer::Ok),
        1 => Just(Answer::ServerError),
        1 => Just(Answer::TooMany),
        1 => Just(Answer::Rejected),
        1 => Just(Answer::Network),
    ];
    prop_oneof![
        8 => Just(Op::Record),
        4 => (any::<bool>(), any::<bool>()).prop_map(|(f, p)| Op::Poll {
            read_fails: f && p,
            persist_ok: p || f
        }),
        4 => (any::<usize>(), answer).prop_map(|(pick, outcome)| Op::Answer { pick, outcome }),
        3 => (any::<bool>(), any::<bool>()).prop_map(|(s, r)| Op::Persist {
            set_ok: s || r,
            remove_ok: r
        }),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(delivered, default_granted)| Op::Kill {
            delivered,
            default_granted
        }),
        1 => Just(Op::Grant),
        1 => Just(Op::Revoke),
        1 => Just(Op::Flush),
        2 => (1u64..(2 * DAY)).prop_map(Op::Forward),
        1 => (1u64..=DAY).prop_map(Op::Back),
    ]
}

/// Small limits, so a short schedule reaches the cap, full batches,
/// exhausted retries and long backoffs.
fn policy() -> Policy {
    Policy {
        max_queued_items: 12,
        batch_max_events: 4,
        flush_interval_ms: 1_000,
        retry_base_delay_ms: 100,
        retry_max_delay_ms: 60_000,
        retry_max_attempts: 4,
        default_rate_limit_ms: 5_000,
        ..Policy::default()
    }
}

/// The v1 collector alone, or beside PostHog.
fn routes(posthog: bool) -> Routes {
    Routes {
        destinations: Destinations {
            endpoint: Some("http://127.0.0.1:1".into()),
            posthog: posthog
                .then(|| PosthogOptions::new("phc_k", Some("http://127.0.0.1:1"), None).unwrap()),
            ..Destinations::default()
        },
        app_name: "Ext".into(),
    }
}

fn restore(storage: &BTreeMap<String, String>, default: Consent, rng: &mut SplitMix) -> Engine {
    let stored = Stored {
        record: storage.get(RECORD_KEY).map(String::as_str),
        legacy: storage.get(LEGACY_STATE_KEY).map(String::as_str),
    };
    Engine::restore(
        policy(),
        Context::default(),
        Scrubber::default(),
        default,
        stored,
        rng,
    )
    .expect("valid policy")
    .0
}

/// The worker, its storage and what the collector and the user saw.
struct World {
    engine: Engine,
    /// PostHog is a second destination.
    posthog: bool,
    rng: SplitMix,
    now: u64,
    storage: BTreeMap<String, String>,
    in_flight: Vec<Request>,
    next_key: u64,
    /// Accepted since the last persist that stored them: a kill may lose
    /// these (the debounce window `docs/persistence.md` documents).
    unpersisted: Vec<u64>,
    /// Accepted and in storage: they must arrive or be counted as dropped.
    durable: BTreeSet<u64>,
    /// What each destination received: (destination, item id) -> (event key, batch id).
    received: BTreeMap<(Option<Kind>, String), (u64, String)>,
    /// Every (destination, item id) sent, with the batch id it was first sent under.
    sent_under: BTreeMap<(Option<Kind>, String), String>,
    /// Batches sent while storage did not hold them.
    unsaved_batches: BTreeSet<String>,
    /// Items a restart may re-batch (their batch never reached storage).
    rebatchable: BTreeSet<(Option<Kind>, String)>,
    /// Anonymous IDs revoked so far.
    revoked: Vec<String>,
}

fn body(request: &Request) -> Value {
    serde_json::from_str(&request.body).expect("bodies are JSON")
}

/// The anonymous ID a request names.
fn anonymous_id(request: &Request) -> String {
    let body = body(request);
    let id = match request.dest {
        None => &body["anonymous_id"],
        Some(_) => &body["batch"][0]["distinct_id"],
    };
    id.as_str().unwrap().to_owned()
}

/// (item id, event key) of every item a request carries.
fn carried(request: &Request) -> Vec<(String, u64)> {
    let body = body(request);
    let (list, id, props) = match request.dest {
        None => ("items", "id", "props"),
        Some(_) => ("batch", "uuid", "properties"),
    };
    body[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item[id].as_str().unwrap().to_owned(),
                item[props]["k"].as_u64().unwrap(),
            )
        })
        .collect()
}

impl World {
    fn new(posthog: bool) -> World {
        let mut rng = SplitMix(11);
        let mut engine = Engine::new(
            policy(),
            Context::default(),
            Scrubber::default(),
            Consent::Granted,
            &mut rng,
        )
        .expect("valid policy");
        engine.set_routes(routes(posthog));
        World {
            engine,
            posthog,
            rng,
            now: START,
            storage: BTreeMap::new(),
            in_flight: Vec::new(),
            next_key: 0,
            unpersisted: Vec::new(),
            durable: BTreeSet::new(),
            received: BTreeMap::new(),
            sent_under: BTreeMap::new(),
            unsaved_batches: BTreeSet::new(),
            rebatchable: BTreeSet::new(),
            revoked: Vec::new(),
        }
    }

    /// One persist as the runtime makes it: after storage refused a `set`,
    /// a removal of retired chunks comes first, then the `set`.
    fn persist(&mut self, set_ok: bool, remove_ok: bool) {
        for _ in 0..2 {
            let removal_only = self.persist_once(set_ok, remove_ok);
            if !(removal_only && remove_ok) {
                break;
            }
        }
    }

    /// Returns true if the write was only a removal.
    fn persist_once(&mut self, set_ok: bool, remove_ok: bool) -> bool {
        let Some(writes) = self.engine.take_writes() else {
            return false;
        };
        let removal_only = writes.set.is_empty() && self.engine.is_dirty();
        if removal_only {
            if remove_ok {
                for key in &writes.remove {
                    self.storage.remove(key);
                }
            }
            self.engine.writes_done_with(true, remove_ok);
            return true;
        }
        if set_ok {
            for (key, value) in &writes.set {
                self.storage.insert(key.clone(), value.clone());
            }
            self.durable.extend(self.unpersisted.drain(..));
            if remove_ok {
                for key in &writes.remove {
                    self.storage.remove(key);
                }
            }
        }
        self.engine.writes_done_with(set_ok, set_ok && remove_ok);
        let record = self.storage.get(RECORD_KEY).cloned().unwrap_or_default();
        self.unsaved_batches
            .retain(|id| !record.contains(id.as_str()));
        if self.engine.consent() != Consent::Granted && set_ok && remove_ok {
            assert!(
                !self.storage.keys().any(|k| k.starts_with(CHUNK_PREFIX)),
                "no item is stored while consent is not granted"
            );
            assert!(
                !record.contains("\"id\":"),
                "no anonymous ID is stored while consent is not granted: {record}"
            );
        }
        false
    }

    fn check_send(&mut self, request: &Request) {
        let body = body(request);
        if request.endpoint == Endpoint::Deletion {
            let id = body["anonymous_id"].as_str().unwrap();
            assert!(
                self.revoked.iter().any(|r| r == id),
                "a deletion request names a revoked ID"
            );
            return;
        }
        assert_eq!(
            self.engine.consent(),
            Consent::Granted,
            "only the deletion request goes out without consent"
        );
        let id = anonymous_id(request);
        assert!(
            !self.revoked.contains(&id),
            "nothing of a revoked ID is sent but its deletion request"
        );
        assert_eq!(Some(id.as_str()), self.engine.anonymous_id());
        for (item_id, _) in carried(request) {
            let key = (request.dest, item_id.clone());
            let first = self
                .sent_under
                .entry(key.clone())
                .or_insert_with(|| request.batch_id.clone());
            assert!(
                *first == request.batch_id || self.rebatchable.contains(&key),
                "item {item_id} sent to {:?} under two batch ids",
                request.dest
            );
        }
    }

    fn poll(&mut self, read_fails: bool, persist_ok: bool) {
        for _ in 0..64 {
            match self.engine.poll(self.now, &mut self.rng) {
                Action::Read(keys) => {
                    let values = (!read_fails)
                        .then(|| keys.iter().map(|k| self.storage.get(k).cloned()).collect());
                    self.engine.on_read(&keys, values);
                    if read_fails {
                        return;
                    }
                }
                Action::Send(request) => {
                    // The platform stores a new batch before sending it.
                    if self.engine.needs_persist_before_send() {
                        self.persist(persist_ok, true);
                    }
                    let record = self.storage.get(RECORD_KEY).cloned().unwrap_or_default();
                    if request.endpoint != Endpoint::Deletion
                        && !record.contains(request.batch_id.as_str())
                    {
                        self.unsaved_batches.insert(request.batch_id.clone());
                    }
                    self.check_send(&request);
                    self.in_flight.push(request);
                }
                Action::WaitUntil(_) | Action::Idle => return,
            }
        }
    }

    fn deliver(&mut self, request: &Request) {
        if request.endpoint == Endpoint::Deletion {
            return;
        }
        for (item_id, key) in carried(request) {
            self.received
                .insert((request.dest, item_id), (key, request.batch_id.clone()));
        }
    }

    fn answer(&mut self, pick: usize, answer: Answer) {
        if self.in_flight.is_empty() {
            return;
        }
        let request = self.in_flight.remove(pick % self.in_flight.len());
        let outcome = match answer {
            Answer::Ok => Outcome::Status {
                code: 200,
                retry_after: None,
            },
            Answer::ServerError => Outcome::Status {
                code: 503,
                retry_after: None,
            },
            Answer::TooMany => Outcome::Status {
                code: 429,
                retry_after: Some("2".into()),
            },
            Answer::Rejected => Outcome::Status {
                code: 400,
                retry_after: None,
            },
            Answer::Network => Outcome::NetworkError,
        };
        if matches!(answer, Answer::Ok) {
            self.deliver(&request);
        }
        self.engine
            .on_outcome(request.id, &outcome, self.now, &mut self.rng);
    }

    fn kill(&mut self, delivered: bool, default_granted: bool) {
        for request in std::mem::take(&mut self.in_flight) {
            if delivered {
                self.deliver(&request);
            }
        }
        let record = self.storage.get(RECORD_KEY).cloned().unwrap_or_default();
        for batch in std::mem::take(&mut self.unsaved_batches) {
            if !record.contains(batch.as_str()) {
                let items = self
                    .sent_under
                    .iter()
                    .filter(|(_, b)| **b == batch)
                    .map(|(key, _)| key.clone());
                self.rebatchable.extend(items.collect::<Vec<_>>());
            }
        }
        self.unpersisted.clear();
        let default = if default_granted {
            Consent::Granted
        } else {
            Consent::Pending
        };
        let mut rng = SplitMix(self.rng.0 ^ 0x5eed);
        self.engine = restore(&self.storage, default, &mut rng);
        self.engine.set_routes(routes(self.posthog));
        self.rng = rng;
        if let Some(id) = self.engine.anonymous_id() {
            assert!(
                !self.revoked.iter().any(|r| r == id),
                "a restart never brings a revoked ID back"
            );
        }
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::Record => {
                let key = self.next_key;
                self.next_key += 1;
                let props = format!("{{\"k\":{key}}}");
                if self
                    .engine
                    .record_event("e", Some(&props), self.now, &mut self.rng)
                    == Recorded::Accepted
                {
                    self.unpersisted.push(key);
                }
            }
            Op::Poll {
                read_fails,
                persist_ok,
            } => self.poll(read_fails, persist_ok),
            Op::Answer { pick, outcome } => self.answer(pick, outcome),
            Op::Persist { set_ok, remove_ok } => self.persist(set_ok, remove_ok),
            Op::Kill {
                delivered,
                default_granted,
            } => self.kill(delivered, default_granted),
            Op::Grant => {
                self.engine.set_consent(true, self.now, &mut self.rng);
            }
            Op::Revoke => {
                let old = self.engine.anonymous_id().map(str::to_owned);
                self.engine.set_consent(false, self.now, &mut self.rng);
                if let Some(old) = old {
                    self.revoked.push(old);
                    // Purged: no longer owed to the collector, and not a drop.
                    self.unpersisted.clear();
                    self.durable.clear();
                    // The platform writes storage before it polls again.
                    self.persist(true, true);
                }
            }
            Op::Flush => {
                self.engine.request_flush(self.now);
                self.poll(false, true);
                self.engine.end_flush();
            }
            Op::Forward(ms) => self.now += ms,
            Op::Back(ms) => self.now -= ms,
        }
    }

    /// The network and storage work again for long enough: everything owed arrives.
    fn settle(&mut self) {
        for _ in 0..200 {
            self.persist(true, true);
            self.poll(false, true);
            while !self.in_flight.is_empty() {
                self.answer(0, Answer::Ok);
                self.poll(false, true);
            }
            if self.engine.held_items() == 0 && !self.engine.has_pending() {
                break;
            }
            self.now += policy().retry_max_delay_ms + 1;
        }
    }

    fn check_nothing_lost(&self) {
        let counts = self.engine.stats().dropped;
        let dropped: u64 = DropReason::ALL.iter().map(|r| counts.get(*r)).sum();
        let mut lost = 0;
        let dests: &[Option<Kind>] = if self.posthog {
            &[None, Some(Kind::Posthog)]
        } else {
            &[None]
        };
        for dest in dests {
            let arrived: BTreeSet<u64> = self
                .received
                .iter()
                .filter(|((d, _), _)| d == dest)
                .map(|(_, (k, _))| *k)
                .collect();
            lost += self.durable.difference(&arrived).count() as u64;
        }
        assert!(
            lost <= dropped,
            "{lost} persisted deliveries never arrived and only {dropped} drops were counted"
        );
        if self.engine.consent() == Consent::Granted {
            assert_eq!(self.engine.held_items(), 0, "everything left the queue");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_schedules_lose_nothing_duplicate_nothing_and_respect_consent(
        ops in prop::collection::vec(op(), 1..160)
    ) {
        let mut world = World::new(false);
        for op in &ops {
            world.step(op);
        }
        world.settle();
        world.check_nothing_lost();
    }

    #[test]
    fn with_two_destinations_each_gets_everything_owed_under_one_batch_id_per_item(
        ops in prop::collection::vec(op(), 1..160)
    ) {
        let mut world = World::new(true);
        for op in &ops {
            world.step(op);
        }
        world.settle();
        world.check_nothing_lost();
    }
}
