//! The delivery engine: consent, identity, lanes, batching, retry and
//! persistence, as one sans-IO state machine (after glean-core's upload manager).
//!
//! The platform calls [`Engine::poll`] whenever something may have changed and
//! gets an [`Action`]: a request to send, chunks to read, a time to wake up at,
//! or nothing. It reports each request's outcome with [`Engine::on_outcome`],
//! and applies [`Engine::take_writes`] to storage. `docs/engine.md` walks
//! through the files of this module.

mod consent;
mod delivery;
mod health;
mod lane;
mod log;
mod record;
mod timing;

use super::dest::{Destinations, ItemType, Kind};
use super::error::{Error, Result};
use super::ids::Entropy;
use super::json::{Json, PushByte};
use super::policy::Policy;
use super::props::KeyCache;
use super::scrub::Scrubber;
use super::sketch::Sketch;
use super::source::Source;
use super::time::Millis;
use super::wire::{Context, DropCounts, DropReason, Endpoint};

pub use consent::{Consent, ConsentChange};
pub use delivery::{Action, Request, RequestId};
pub use log::Writes;
pub use record::{BeforeSend, ErrorInput, HookVerdict, Recorded};

use lane::{Cursor, Lane};

/// Breadcrumbs kept for error reports: the last track calls.
pub const BREADCRUMBS: usize = 20;

/// What storage held at start-up: the record (`mv3t.record`) and the
/// single-key state of earlier releases (`mv3t.state`), each if present.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stored<'a> {
    /// The small record of the log.
    pub record: Option<&'a str>,
    /// The pre-log snapshot, migrated when there is no record.
    pub legacy: Option<&'a str>,
}

/// The current session: renewed after [`Policy::session_idle_ms`] without activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    /// Random UUID v4.
    pub id: String,
    /// Last recording call.
    pub last_activity: Millis,
}

/// Cumulative counters for `stats()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Items delivered (2xx).
    pub sent: u64,
    /// Failed attempts that were retried.
    pub retries: u64,
    /// Every drop ever counted, by reason.
    pub dropped: DropCounts,
    /// Items accepted after something in them was truncated or coerced.
    pub truncated: u64,
}

/// The one request sent when consent is revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deletion {
    /// Same value on every retry.
    pub batch_id: String,
    /// The revoked anonymous ID.
    pub anonymous_id: String,
    /// When consent was revoked.
    pub requested_at: Millis,
    /// Failed attempts so far.
    pub attempts: u32,
    /// No attempt before this time.
    pub retry_at: Millis,
    /// The request carrying it now.
    pub in_flight: Option<RequestId>,
}

/// Samples of one (name, props) series in the current window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimingSeries {
    /// The timer's name (scrubbed).
    pub name: String,
    /// Its props as JSON text (scrubbed): part of the series key.
    pub props: String,
    /// When the first sample of this window arrived.
    pub opened_at: Millis,
    /// The samples, summarized.
    pub sketch: Sketch,
    /// The page context the samples came from (part of the series key), or
    /// `None` for the worker's own.
    pub source: Option<Source>,
}

/// Everything the engine persists.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub consent: Consent,
    pub anonymous_id: Option<String>,
    pub session: Option<Session>,
    /// One lane per ingestion endpoint, in [`Endpoint::INGESTION`] order.
    pub lanes: [Lane; 4],
    pub deletion: Option<Deletion>,
    /// Drops not yet reported to the collector.
    pub unreported: DropCounts,
    pub totals: Totals,
    /// No request to the v1 collector before this time (from `Retry-After`).
    pub not_before: Millis,
    /// The same for each other destination, by [`Kind`].
    pub gates: [Millis; 3],
    /// Next item sequence number.
    pub next_seq: u64,
    pub timings: Vec<TimingSeries>,
    pub breadcrumbs: Vec<(String, Millis)>,
    /// Per-feature state of later layers (e.g. the last daily-active day).
    pub extra: Vec<(String, Json)>,
    /// Stored error items whose count grew after they were written: (seq, count).
    pub folds: Vec<(u64, u64)>,
    /// Keys to remove from storage (retired chunks, the pre-log state).
    pub garbage: Vec<String>,
    /// Sentry release health: sessions whose update is owed.
    pub health: health::HealthState,
}

impl State {
    fn empty() -> State {
        State {
            consent: Consent::Pending,
            anonymous_id: None,
            session: None,
            lanes: Endpoint::INGESTION.map(Lane::new),
            deletion: None,
            unreported: DropCounts::default(),
            totals: Totals::default(),
            not_before: 0,
            gates: [0; 3],
            next_seq: 0,
            timings: Vec::new(),
            breadcrumbs: Vec::new(),
            extra: Vec::new(),
            folds: Vec::new(),
            garbage: Vec::new(),
            health: health::HealthState::default(),
        }
    }
}

/// What `stats()` reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Items held, queued or batched, read from storage or not.
    pub queued: u64,
    /// Items delivered.
    pub sent: u64,
    /// Retried attempts.
    pub retries: u64,
    /// Drops by reason.
    pub dropped: DropCounts,
    /// Items accepted with something truncated.
    pub truncated: u64,
}

impl Stats {
    /// `{"queued":..,"sent":..,"retries":..,"truncated":..,"dropped":{every reason}}`.
    pub fn to_json(&self) -> String {
        use super::json::push_u64;
        let mut out = String::with_capacity(200);
        out.push_str("{\"queued\":");
        push_u64(&mut out, self.queued);
        out.push_str(",\"sent\":");
        push_u64(&mut out, self.sent);
        out.push_str(",\"retries\":");
        push_u64(&mut out, self.retries);
        out.push_str(",\"truncated\":");
        push_u64(&mut out, self.truncated);
        out.push_str(",\"dropped\":");
        self.dropped.write_json_all(&mut out);
        out.push_byte(b'}');
        out
    }
}

/// A write handed to the platform and not yet confirmed.
#[derive(Debug, Clone, Default)]
struct PendingWrite {
    /// (lane index, chunk) written by it.
    chunks: Vec<(usize, u64)>,
    /// Garbage keys it removes.
    removes: usize,
    /// Only a removal (after storage refused a `set`): no `set` to report.
    removal_only: bool,
}

/// Where items go: the destinations configured, and what their encoders
/// need besides the items (`docs/destinations.md`).
#[derive(Debug, Clone)]
pub struct Routes {
    /// The v1 collector (if `endpoint` is set) and the other backends.
    pub destinations: Destinations,
    /// The extension's name (its manifest's `name`): Sentry's release
    /// prefix, OpenTelemetry's `service.name`.
    pub app_name: String,
}

impl Default for Routes {
    /// The v1 collector alone, which every engine starts with.
    fn default() -> Routes {
        Routes {
            destinations: Destinations {
                endpoint: Some(String::new()),
                ..Destinations::default()
            },
            app_name: String::new(),
        }
    }
}

impl Routes {
    /// The destinations carrying the items of `endpoint`'s lane, the v1
    /// collector first.
    pub(crate) fn carriers(&self, endpoint: Endpoint) -> Vec<Option<Kind>> {
        let item_type = match endpoint {
            Endpoint::Events => ItemType::Event,
            Endpoint::Errors => ItemType::Error,
            Endpoint::Performance => ItemType::Timing,
            _ => ItemType::Feedback,
        };
        let d = &self.destinations;
        let mut out = Vec::new();
        if d.endpoint.is_some() {
            out.push(None);
        }
        let others = [
            (Kind::Sentry, d.sentry.as_ref().map(|o| o.types)),
            (Kind::Otlp, d.otlp.as_ref().map(|o| o.types)),
            (Kind::Posthog, d.posthog.as_ref().map(|o| o.types)),
        ];
        for (kind, types) in others {
            if types.is_some_and(|t| t.contains(item_type)) {
                out.push(Some(kind));
            }
        }
        out
    }
}

/// The sans-IO delivery engine.
pub struct Engine {
    policy: Policy,
    context: Context,
    routes: Routes,
    scrubber: Scrubber,
    /// The scrubber's verdicts on recent prop keys (see `core::props`).
    key_cache: KeyCache,
    state: State,
    next_request_id: u64,
    flush_requested: bool,
    /// The record or a lane changed since the last [`Engine::take_writes`].
    dirty: bool,
    /// Set when a recording changed what `poll` would answer.
    poll_needed: bool,
    /// A batch was formed that storage does not know yet: persist before sending it.
    unsaved_batch: bool,
    /// Lanes whose chunks are being read.
    reading: [bool; 4],
    writing: Option<PendingWrite>,
    before_send: Option<BeforeSend>,
    /// Stored items that could not be read back, not yet reported.
    corrupt: u64,
    /// The page context of the recording call in progress ([`Engine::with_source`]).
    source: Option<Source>,
    /// The bound on [`Engine::storage_footprint`] now: `maxStorageBytes`,
    /// halved by every `set` storage refuses (down to [`MIN_STORAGE_BUDGET`]),
    /// back to the option after one succeeds.
    storage_budget: usize,
    /// Length of the record last handed out for writing.
    record_len: usize,
    /// The last `set` failed (storage full or failing).
    set_failed: bool,
    /// Remove retired chunks before the next `set`, so a full storage gets
    /// space back (once per refused `set`).
    remove_first: bool,
    /// The stored record could not be used: chunks it named may be left in
    /// storage, and only a listing of the keys can find them.
    sweep_pending: bool,
    /// The release-health update request out now.
    health_in_flight: Option<health::HealthInFlight>,
}

/// Stored bytes of an item beyond its wire JSON: seq, time, count, session
/// ID, fingerprint and separators of its chunk line (`docs/persistence.md`).
const LINE_OVERHEAD: usize = 100;
/// A refusing storage never shrinks the SDK's budget below one full batch.
pub const MIN_STORAGE_BUDGET: usize = 65_536;

impl Engine {
    /// A fresh engine. With `default_consent` granted it creates an anonymous ID at once.
    pub fn new(
        policy: Policy,
        context: Context,
        scrubber: Scrubber,
        default_consent: Consent,
        entropy: &mut dyn Entropy,
    ) -> Result<Engine> {
        policy.validate()?;
        let storage_budget = policy.max_storage_bytes;
        let mut engine = Engine {
            policy,
            context,
            routes: Routes::default(),
            scrubber,
            key_cache: KeyCache::default(),
            state: State::empty(),
            next_request_id: 1,
            flush_requested: false,
            dirty: false,
            poll_needed: true,
            unsaved_batch: false,
            reading: [false; 4],
            writing: None,
            before_send: None,
            corrupt: 0,
            source: None,
            storage_budget,
            record_len: 0,
            set_failed: false,
            remove_first: false,
            sweep_pending: false,
            health_in_flight: None,
        };
        if default_consent == Consent::Granted {
            engine.state.consent = Consent::Granted;
            engine.state.anonymous_id = Some(entropy.uuid_v4());
            engine.dirty = true;
        }
        Ok(engine)
    }

    /// Restores persisted state over a fresh engine. Item bodies stay in
    /// storage until a batch needs them ([`Action::Read`]). Unreadable state
    /// is discarded (the error is returned beside the engine for logging):
    /// stored state must never stop the extension's worker.
    pub fn restore(
        policy: Policy,
        context: Context,
        scrubber: Scrubber,
        default_consent: Consent,
        stored: Stored<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<(Engine, Option<Error>)> {
        let mut state = State::empty();
        let read = match (stored.record, stored.legacy) {
            (Some(record), legacy) => {
                let read = log::read_record(record, &mut state);
                if legacy.is_some()
                    && !state
                        .garbage
                        .iter()
                        .any(|k| k == super::names::LEGACY_STATE_KEY)
                {
                    state
                        .garbage
                        .push(super::names::LEGACY_STATE_KEY.to_owned());
                }
                Some(read)
            }
            (None, Some(legacy)) => Some(log::read_legacy(legacy, &mut state)),
            (None, None) => None,
        };
        // Consent is never granted from a record that cannot be read; a
        // denial that can still be read is kept (it only withholds).
        let unreadable = matches!(read, Some(Err(_)));
        let denied = unreadable
            && stored
                .record
                .or(stored.legacy)
                .is_some_and(log::reads_as_denied);
        let consent = match read {
            // The record says what consent is (`load`).
            Some(Ok(())) => Consent::Pending,
            _ if denied => Consent::Denied,
            _ => default_consent,
        };
        // One engine, built once: the three paths differ only in what follows.
        let mut engine = Engine::new(policy, context, scrubber, consent, entropy)?;
        if unreadable {
            if denied {
                engine.state.consent = Consent::Denied;
            }
            engine.dirty = true;
            engine.corrupt = 1;
            engine.sweep_pending = true;
            engine.report_corrupt();
            return Ok((engine, Some(Error::CorruptSnapshot { offset: 0 })));
        }
        if read.is_some() {
            engine.load(state);
            // A grant without a valid ID was damage: its chunks are garbage
            // already; a listing finds any others the damage hid.
            engine.sweep_pending = engine.corrupt > 0;
            engine.report_corrupt();
        }
        Ok((engine, None))
    }

    fn load(&mut self, mut state: State) {
        let legacy_items = state.lanes.iter().any(|l| !l.items.is_empty());
        if state.consent != Consent::Granted || state.anonymous_id.is_none() {
            // Defensive: never resurrect data that only consent allowed to exist.
            if state.consent == Consent::Granted {
                // A grant without its ID: the record was damaged.
                state.consent = Consent::Pending;
                self.corrupt += 1;
            }
            state.anonymous_id = None;
            state.session = None;
            state.health = health::HealthState::default();
            state.timings.clear();
            state.breadcrumbs.clear();
            state.extra.clear();
            state.folds.clear();
            for (index, lane) in state.lanes.iter_mut().enumerate() {
                let stored = lane.stored_chunks();
                log::push_chunk_keys(&mut state.garbage, index, stored);
                lane.reset();
            }
        }
        // A chunk still listed as garbage must never be written again under
        // its old key: the removal of the garbage would take new items with
        // it (a record written after a revoke keeps no chunk numbers).
        for key in &state.garbage {
            if let Some((index, n)) = log::parse_chunk_key(key) {
                let lane = &mut state.lanes[index];
                if n >= lane.next_chunk {
                    if lane.first_chunk == lane.next_chunk && lane.unread.is_none() {
                        lane.first_chunk = n + 1;
                    }
                    lane.next_chunk = n + 1;
                }
            }
        }
        self.dirty = legacy_items || !state.garbage.is_empty();
        self.state = state;
        self.enforce_cap();
    }

    /// Sets where items go. Call once, right after [`Engine::new`] or
    /// [`Engine::restore`]: a destination the record knows keeps its
    /// progress; a new one starts with the items recorded from now on; the
    /// cursors of one no longer configured are dropped, with the items
    /// only it still needed.
    pub fn set_routes(&mut self, routes: Routes) {
        let next_seq = self.state.next_seq;
        for index in 0..4 {
            let lane = &mut self.state.lanes[index];
            let wanted = routes.carriers(lane.endpoint);
            let mut old = std::mem::take(&mut lane.cursors);
            for dest in wanted {
                let kept = old.iter().position(|c| c.dest == dest);
                lane.cursors.push(match kept {
                    Some(at) => old.swap_remove(at),
                    None => Cursor::new(dest, next_seq.max(lane.floor)),
                });
            }
            self.settle_lane(index);
        }
        if routes.destinations.sentry.is_none() {
            self.state.health = health::HealthState::default();
        }
        self.routes = routes;
        self.dirty = true;
        self.poll_needed = true;
    }

    /// The routes set by [`Engine::set_routes`].
    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    /// Lets lane `index` forget the front items every cursor is done with;
    /// their chunks become garbage.
    pub(crate) fn settle_lane(&mut self, index: usize) {
        let dead = self.state.lanes[index].settle();
        log::push_chunk_keys(&mut self.state.garbage, index, dead);
        if self.state.lanes[index].endpoint == Endpoint::Errors {
            let floor = self.state.lanes[index].floor;
            self.state.folds.retain(|(seq, _)| *seq >= floor);
        }
    }

    /// The current consent.
    pub fn consent(&self) -> Consent {
        self.state.consent
    }

    /// The anonymous ID; `None` unless consent is granted.
    pub fn anonymous_id(&self) -> Option<&str> {
        self.state.anonymous_id.as_deref()
    }

    /// Per-feature state of later layers, persisted with the record.
    pub fn extra(&self, key: &str) -> Option<&Json> {
        self.state
            .extra
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Sets a per-feature value (only while consent is granted, like everything stored).
    pub fn set_extra(&mut self, key: &str, value: Json) {
        if self.state.consent == Consent::Granted {
            self.state.extra.retain(|(k, _)| k != key);
            self.state.extra.push((key.to_owned(), value));
            self.dirty = true;
        }
    }

    /// Installs the `beforeSend` hook.
    pub fn set_before_send(&mut self, hook: BeforeSend) {
        self.before_send = Some(hook);
    }

    /// Counts `n` drops decided outside the engine (calls the wrapper had to
    /// drop before the core was ready, say).
    pub fn count_drops(&mut self, reason: DropReason, n: u64) {
        if self.state.consent == Consent::Granted && n > 0 {
            self.state.unreported.add(reason, n);
            self.state.totals.dropped.add(reason, n);
            self.dirty = true;
        }
    }

    /// True after a start on a record that could not be used: chunks it
    /// named may still be in storage, and no lane knows them. The platform
    /// lists the keys (`getKeys`) and removes every chunk key before the first
    /// item is recorded: this engine has stored no chunk yet, so all of them
    /// are orphans (their items were recorded under a consent and an ID that
    /// can no longer be read; they must not be sent, nor stay stored).
    pub fn needs_sweep(&self) -> bool {
        self.sweep_pending
    }

    /// Counts the stored state found unreadable as `corrupt_state`, once
    /// consent allows counting anything (until then it waits in memory).
    pub(crate) fn report_corrupt(&mut self) {
        if self.state.consent == Consent::Granted && self.corrupt > 0 {
            let n = std::mem::take(&mut self.corrupt);
            self.count_drops(DropReason::CorruptState, n);
        }
    }

    /// Counts one drop.
    pub(crate) fn count_drop(&mut self, reason: DropReason) {
        self.count_drops(reason, 1);
    }

    /// Items held, queued or batched, read from storage or not.
    pub fn held_items(&self) -> usize {
        // Loops in this file rather than `map`/`sum`/`min`/`max` chains:
        // each chain with a closure links a fold of its own (docs/size.md).
        let mut n = 0;
        for lane in &self.state.lanes {
            n += lane.len();
        }
        n
    }

    /// Counters for `stats()`.
    pub fn stats(&self) -> Stats {
        let totals = &self.state.totals;
        Stats {
            queued: self.held_items() as u64,
            sent: totals.sent,
            retries: totals.retries,
            dropped: totals.dropped,
            truncated: totals.truncated,
        }
    }

    /// True when state changed since the last [`Engine::take_writes`].
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// True while a write from [`Engine::take_writes`] is unconfirmed.
    pub fn is_writing(&self) -> bool {
        self.writing.is_some()
    }

    /// True when a formed batch must reach storage before it is sent, so a
    /// restart re-sends it under the same id.
    pub fn needs_persist_before_send(&self) -> bool {
        self.unsaved_batch
    }

    /// What to write now, or `None` when storage is up to date (or a write is
    /// still unconfirmed: writes are applied one at a time, in order). Only
    /// what changed is written: new chunks and the small record, then the
    /// removal of chunks whose items have all left. Report the result with
    /// [`Engine::writes_done`].
    pub fn take_writes(&mut self) -> Option<Writes> {
        if !self.dirty || self.writing.is_some() {
            return None;
        }
        if self.remove_first && !self.state.garbage.is_empty() {
            // Storage refused the last `set`: free what can be freed first.
            // The stored record may still name these chunks; a worker that
            // dies before the next `set` counts their items as corrupt_state.
            self.writing = Some(PendingWrite {
                chunks: Vec::new(),
                removes: self.state.garbage.len(),
                removal_only: true,
            });
            return Some(Writes {
                set: Vec::new(),
                remove: self.state.garbage.clone(),
            });
        }
        self.dirty = false;
        self.unsaved_batch = false;
        let mut writes = Writes::default();
        let mut pending = PendingWrite::default();
        let granted = self.state.consent == Consent::Granted;
        if granted {
            for (index, lane) in self.state.lanes.iter_mut().enumerate() {
                while pending.chunks.len() < lane::MAX_CHUNKS_PER_WRITE {
                    let Some((chunk, text)) = lane.take_unstored() else {
                        break;
                    };
                    writes.set.push((log::chunk_key(index, chunk), text));
                    pending.chunks.push((index, chunk));
                }
            }
            // What did not fit goes in the next write, right after this one.
            self.dirty = self.state.lanes.iter().any(Lane::has_unstored);
        }
        let keep_record = granted
            || self.state.consent == Consent::Denied
            || self.state.deletion.as_ref().is_some_and(|d| d.attempts > 0);
        if keep_record {
            let mut record = String::with_capacity(1024);
            log::write_record(&self.state, &mut record);
            self.record_len = record.len();
            writes
                .set
                .push((super::names::RECORD_KEY.to_owned(), record));
        } else {
            writes.remove.push(super::names::RECORD_KEY.to_owned());
        }
        for key in &self.state.garbage {
            writes.remove.push(key.clone());
        }
        pending.removes = self.state.garbage.len();
        self.writing = Some(pending);
        Some(writes)
    }

    /// Reports how the last [`Engine::take_writes`] ended. After a failure the
    /// items it carried count as not stored, so the next write carries them again.
    pub fn writes_done(&mut self, ok: bool) {
        self.writes_done_with(ok, ok);
    }

    /// Reports the `set` and the `remove` of the last [`Engine::take_writes`]
    /// separately: keys whose removal failed stay listed in the record's
    /// `garbage` and are removed by a later persist (after a revoke they may
    /// hold the old ID's items).
    pub fn writes_done_with(&mut self, set_ok: bool, remove_ok: bool) {
        let Some(pending) = self.writing.take() else {
            return;
        };
        if set_ok && remove_ok {
            self.state
                .garbage
                .drain(..pending.removes.min(self.state.garbage.len()));
        } else if set_ok {
            self.dirty = true;
        } else {
            for (index, chunk) in pending.chunks {
                self.state.lanes[index].unstore(chunk);
            }
            // A batch the failed write carried is still unknown to storage.
            self.unsaved_batch = self
                .state
                .lanes
                .iter()
                .any(|l| l.cursors.iter().any(|c| c.batch.is_some()));
            self.dirty = true;
        }
        if pending.removal_only {
            // Either way, the `set` comes next.
            self.remove_first = false;
        } else if set_ok {
            self.set_failed = false;
            self.storage_budget = self.policy.max_storage_bytes;
        } else {
            // Storage is full (or failing): keep working from memory, and
            // make the next write smaller by dropping the oldest items.
            self.set_failed = true;
            self.remove_first = true;
            self.storage_budget = (self.storage_budget / 2).max(MIN_STORAGE_BUDGET);
            self.enforce_cap();
        }
    }

    /// True when storage refused the last `set`: the platform should try again later.
    pub fn storage_refused(&self) -> bool {
        self.set_failed
    }

    /// Bytes the SDK's keys take in storage once every held item is written
    /// (an estimate: items as stored, plus the record).
    pub fn storage_footprint(&self) -> usize {
        let mut items = 0;
        for l in &self.state.lanes {
            items += l.total_bytes() + l.len() * LINE_OVERHEAD;
        }
        items + self.record_len
    }

    /// Forgets every item, batch, session and unreported counter; their
    /// chunks become garbage.
    fn purge(&mut self) {
        for (index, lane) in self.state.lanes.iter_mut().enumerate() {
            let stored = lane.stored_chunks();
            log::push_chunk_keys(&mut self.state.garbage, index, stored);
            let next = lane.next_chunk;
            lane.reset();
            lane.first_chunk = next;
            lane.next_chunk = next;
        }
        self.state.session = None;
        self.state.health = health::HealthState::default();
        self.health_in_flight = None;
        self.state.unreported = DropCounts::default();
        self.state.breadcrumbs.clear();
        self.state.timings.clear();
        self.state.extra.clear();
        self.state.folds.clear();
        self.flush_requested = false;
        self.reading = [false; 4];
        self.unsaved_batch = false;
    }

    /// Why the engine holds too much now, if it does: more items than
    /// `maxQueuedItems`, or more stored bytes than the storage budget.
    fn over_limit(&self) -> Option<DropReason> {
        if self.held_items() > self.policy.max_queued_items {
            Some(DropReason::QueueFull)
        } else if self.storage_footprint() > self.storage_budget {
            Some(DropReason::StorageFull)
        } else {
            None
        }
    }

    /// Drops the oldest items past `max_queued_items` and the storage
    /// budget; returns the reason if the newest was among them.
    fn enforce_cap(&mut self) -> Option<DropReason> {
        let mut newest_dropped = None;
        while let Some(reason) = self.over_limit() {
            let newest_seq = self.state.next_seq.saturating_sub(1);
            // The oldest item of a lane whose front is not in flight.
            let mut oldest: Option<(u64, usize)> = None;
            for (i, lane) in self.state.lanes.iter().enumerate() {
                if let Some((seq, _)) = lane.front().filter(|_| !lane.in_flight()) {
                    if oldest.map_or(true, |(o, _)| seq < o) {
                        oldest = Some((seq, i));
                    }
                }
            }
            let Some((seq, index)) = oldest else {
                // Everything older is in flight: the newest item itself has to go.
                if let Some(index) = self.drop_newest() {
                    newest_dropped = Some(reason);
                    self.count_cap_drop(reason);
                    self.tell_sentry(index, reason);
                }
                break;
            };
            self.evict_front(index, reason);
            if seq == newest_seq {
                newest_dropped = Some(reason);
            }
        }
        newest_dropped
    }

    fn count_cap_drop(&mut self, reason: DropReason) {
        if self.state.consent == Consent::Granted {
            self.state.unreported.add(reason, 1);
            self.state.totals.dropped.add(reason, 1);
            self.dirty = true;
        }
    }

    /// A drop decided before any destination had the item (`beforeSend`,
    /// the newest item refused by the cap), for the `client_report` of each
    /// Sentry cursor of lane `index`; the totals and the v1 collector's
    /// report have it already.
    pub(crate) fn tell_sentry(&mut self, index: usize, reason: DropReason) {
        if self.state.consent != Consent::Granted {
            return;
        }
        for cursor in &mut self.state.lanes[index].cursors {
            if cursor.dest == Some(Kind::Sentry) {
                cursor.unreported.add(reason, 1);
            }
        }
    }

    /// Takes the most recent item back (it was just accepted); returns its
    /// lane, or `None` when it is part of a batch in flight (then nothing can go).
    fn drop_newest(&mut self) -> Option<usize> {
        let mut newest: Option<(u64, usize)> = None;
        for (i, lane) in self.state.lanes.iter().enumerate() {
            if let Some(item) = lane.items.last() {
                if newest.map_or(true, |(n, _)| item.seq > n) {
                    newest = Some((item.seq, i));
                }
            }
        }
        let (_, index) = newest?;
        let lane = &mut self.state.lanes[index];
        let touched = lane.touched();
        // A stored item would come back from its chunk after a restart.
        let stored = lane
            .items
            .last()
            .is_some_and(|i| i.chunk != lane::NOT_STORED);
        if lane.items.len() <= touched || stored {
            return None;
        }
        if let Some(item) = lane.items.pop_back() {
            lane.bytes -= item.wire_len();
        }
        Some(index)
    }

    /// Removes the front item of a lane, counted as a drop for `reason` by
    /// every destination that had not passed it; a batch emptied this way
    /// is forgotten, but its cursor keeps its backoff.
    fn evict_front(&mut self, index: usize, reason: DropReason) {
        let Some((seq, _)) = self.state.lanes[index].front() else {
            return;
        };
        // Counted once per destination that still needed it.
        for ci in 0..self.state.lanes[index].cursors.len() {
            if self.state.lanes[index].cursors[ci].floor <= seq {
                self.count_cursor_drops(index, ci, reason, 1);
            }
        }
        self.pop_lane_front(index);
        for ci in 0..self.state.lanes[index].cursors.len() {
            let cursor = &mut self.state.lanes[index].cursors[ci];
            if cursor.batch.as_ref().is_some_and(|b| b.len == 0) {
                let batch = cursor.batch.take().expect("checked");
                self.hand_back(index, ci, &batch.dropped);
            }
        }
        self.dirty = true;
    }

    /// Takes the front item out of a lane (delivered, rejected or evicted):
    /// its retired chunks become garbage, and a stored error's folded count
    /// is forgotten with it.
    pub(crate) fn pop_lane_front(&mut self, index: usize) {
        let lane = &mut self.state.lanes[index];
        if let Some(dead) = lane.pop_front() {
            log::push_chunk_keys(&mut self.state.garbage, index, dead);
        }
        if lane.endpoint == Endpoint::Errors {
            let floor = lane.floor;
            self.state.folds.retain(|(seq, _)| *seq >= floor);
        }
    }
}
