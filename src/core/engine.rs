//! The delivery engine: consent, identity, queues, batching, retry, in one
//! sans-IO state machine (after glean-core's upload manager).
//!
//! The platform calls [`Engine::poll`] whenever something may have changed and
//! gets an [`Action`]: a request to send, a time to wake up at, or nothing.
//! It reports each request's [`Outcome`] with [`Engine::on_outcome`], and
//! persists [`Engine::persisted_state`] whenever [`Engine::take_dirty`] says so.

use std::collections::VecDeque;

use super::backoff::{classify, full_jitter_delay, retry_after_delay, Outcome, Verdict};
use super::error::{Error, Result};
use super::ids::Entropy;
use super::json::{self, Json, Number};
use super::policy::{Policy, ENVELOPE_RESERVE};
use super::fingerprint::fingerprint;
use super::sanitize::{clean_name, clean_props, truncate_chars, Cleaning};
use super::stack::{parse_v8_stack, Frame};
use super::scrub::Scrubber;
use super::sketch::Sketch;
use super::time::{format_rfc3339, utc_day, Millis};
use super::wire::{batch_body, deletion_body, push_u64, Context, DropCounts, DropReason, Endpoint, Envelope};

/// The user's consent, DESIGN section 4.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Consent {
    /// Not asked yet: nothing is recorded, stored or sent.
    #[default]
    Pending,
    /// Recording and delivery run under an anonymous ID.
    Granted,
    /// Nothing is recorded; the only request ever sent is the deletion request.
    Denied,
}

impl Consent {
    /// `pending`, `granted` or `denied`, as the JS API reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Consent::Pending => "pending",
            Consent::Granted => "granted",
            Consent::Denied => "denied",
        }
    }

    /// Parses the JS spelling.
    pub fn parse(text: &str) -> Option<Consent> {
        match text {
            "pending" => Some(Consent::Pending),
            "granted" => Some(Consent::Granted),
            "denied" => Some(Consent::Denied),
            _ => None,
        }
    }
}

/// What a consent change requires of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentChange {
    /// Nothing changed.
    Unchanged,
    /// Consent was granted: a new anonymous ID exists; persist.
    Granted,
    /// Consent moved to denied without data to erase; persist.
    Denied,
    /// Consent was revoked: queue and ID are gone from memory; the platform must
    /// overwrite storage *before* it polls, so the deletion request goes out last.
    Revoked,
}

/// The result of a recording call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Queued for delivery.
    Accepted,
    /// Not recorded, and not counted: consent is not granted.
    NotConsented,
    /// Dropped and counted for this reason.
    Dropped(DropReason),
}

/// Identifies one request handed to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// One HTTP request for the platform to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Pass back to [`Engine::on_outcome`].
    pub id: RequestId,
    /// Where to `POST` it.
    pub endpoint: Endpoint,
    /// For the `X-Batch-Id` header.
    pub batch_id: String,
    /// The JSON body, uncompressed.
    pub body: String,
    /// Items carried (0 for the deletion request).
    pub item_count: usize,
}

/// What the platform should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this request now, then poll again.
    Send(Request),
    /// Nothing to send before this time; poll again then.
    WaitUntil(Millis),
    /// Nothing pending (or only requests already in flight).
    Idle,
}

/// One recorded item, serialized once at record time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedItem {
    /// Global arrival order, for drop-oldest across queues.
    pub seq: u64,
    /// Its queue.
    pub endpoint: Endpoint,
    /// When it was accepted.
    pub recorded_at: Millis,
    /// Batches never mix sessions, so the envelope's `session_id` is true for every item.
    pub session_id: String,
    /// The item exactly as it goes on the wire (errors: without `count`).
    pub json: String,
    /// Errors only: same fingerprint while queued means one item with a count.
    pub fingerprint: Option<String>,
    /// Errors only: occurrences folded into this item.
    pub count: u64,
}

impl QueuedItem {
    /// Bytes on the wire, `count` included.
    fn wire_len(&self) -> usize {
        self.json.len() + 1 + if self.fingerprint.is_some() { 32 } else { 0 }
    }

    /// Appends the item as sent: errors get their `count` here, so folding a
    /// repeat never re-serializes the item.
    pub fn write_wire(&self, out: &mut String) {
        match (&self.fingerprint, self.json.strip_suffix('}')) {
            (Some(_), Some(open)) => {
                out.push_str(open);
                out.push_str(",\"count\":");
                push_u64(out, self.count);
                out.push('}');
            }
            _ => out.push_str(&self.json),
        }
    }
}

/// A captured error before it becomes an item (DESIGN section 5, `error`).
#[derive(Debug, Clone, Default)]
pub struct ErrorInput<'a> {
    /// `TypeError`, `DOMException`, `string`, ... (the wrapper decides).
    pub kind: &'a str,
    /// The message, unscrubbed.
    pub message: &'a str,
    /// V8 stack text, if any.
    pub stack: Option<&'a str>,
    /// The caller's context object.
    pub context: Option<Json>,
}

/// What a `beforeSend` hook decided about one item.
#[derive(Debug, Clone, PartialEq)]
pub enum HookVerdict {
    /// Send it as it is.
    Keep,
    /// Send this instead (it is scrubbed again; `id` and `type` are kept).
    Replace(Json),
    /// Do not send it (counted as `before_send`).
    Drop,
    /// The hook threw: the item is kept unchanged (counted as `hook_error`).
    Failed,
}

/// The platform's `beforeSend`: sees each item's wire JSON before it is queued.
pub type BeforeSend = Box<dyn FnMut(&str) -> HookVerdict>;

/// Samples of one (name, props) series in the current window.
#[derive(Debug, Clone, PartialEq)]
pub struct TimingSeries {
    /// The timer's name (scrubbed).
    pub name: String,
    /// Its props as JSON text (scrubbed): part of the series key.
    pub props: String,
    /// When the first sample of this window arrived.
    pub opened_at: Millis,
    /// The samples, summarized.
    pub sketch: Sketch,
}

/// The `extra` key remembering the last UTC day a `daily_active` was sent.
const LAST_ACTIVE_DAY: &str = "last_active_day";

/// Breadcrumbs kept for error reports: the last track calls.
pub const BREADCRUMBS: usize = 20;
/// Error messages are cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 2_000;

/// Who a deletion request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionTarget {
    /// The revoked anonymous ID.
    pub anonymous_id: String,
    /// When consent was revoked.
    pub requested_at: Millis,
}

/// Items (or a deletion) bound together under one `batch_id` until delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Same value on every retry, so the collector can de-duplicate.
    pub batch_id: String,
    /// Its endpoint.
    pub endpoint: Endpoint,
    /// The session of every item in it.
    pub session_id: String,
    /// Its items, oldest first.
    pub items: Vec<QueuedItem>,
    /// Drop counters reported with this batch; handed back if it is not delivered.
    pub dropped: DropCounts,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Earliest time of the next attempt.
    pub next_attempt_at: Millis,
    /// Present on the deletion request only.
    pub deletion: Option<DeletionTarget>,
    /// The request carrying it now; never persisted: after a restart it is re-sent.
    pub in_flight: Option<RequestId>,
}

impl Batch {
    fn bytes(&self) -> usize {
        self.items.iter().map(QueuedItem::wire_len).sum()
    }
}

/// The current session: renewed after [`Policy::session_idle_ms`] without activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Random UUID v4.
    pub id: String,
    /// Last recording call.
    pub last_activity: Millis,
}

/// Cumulative counters for `stats()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Items delivered (2xx).
    pub sent: u64,
    /// Failed attempts that were retried.
    pub retries: u64,
    /// Every drop ever counted, by reason.
    pub dropped: DropCounts,
    /// Items accepted after something in them was truncated or coerced.
    pub truncated: u64,
}

/// Everything the engine persists, as JSON text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Format version, so later releases can migrate.
    pub version: u32,
    /// The user's choice.
    pub consent: Consent,
    /// Present only while consent is granted.
    pub anonymous_id: Option<String>,
    /// The current session.
    pub session: Option<Session>,
    /// Queued items of every endpoint, in arrival order per endpoint.
    pub queued: Vec<QueuedItem>,
    /// Formed batches awaiting delivery.
    pub batches: Vec<Batch>,
    /// A deletion request that failed at least once.
    pub deletion: Option<Batch>,
    /// Drops not yet reported to the collector.
    pub unreported: DropCounts,
    /// Counters for `stats()`.
    pub totals: Totals,
    /// No request before this time (from `Retry-After`).
    pub not_before: Millis,
    /// Next item sequence number.
    pub next_seq: u64,
    /// Timing series of the open window.
    pub timings: Vec<TimingSeries>,
    /// The last track calls (scrubbed names), attached to error reports.
    pub breadcrumbs: VecDeque<(String, Millis)>,
    /// Free-form per-feature state of later layers (e.g. the last daily-active day).
    pub extra: Vec<(String, Json)>,
}

/// The snapshot format this build writes.
pub const SNAPSHOT_VERSION: u32 = 1;

/// What `stats()` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Items held, queued or batched.
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
    /// `{"queued":..,"sent":..,"retries":..,"dropped":{every reason},"truncated":..}`.
    pub fn to_json(&self) -> String {
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
        out.push('}');
        out
    }
}

/// The sans-IO delivery engine.
pub struct Engine {
    policy: Policy,
    context: Context,
    scrubber: Scrubber,
    state: Snapshot,
    /// Per ingestion endpoint, items not yet in a batch.
    queues: [VecDeque<QueuedItem>; 4],
    /// Serialized bytes per queue, kept so `poll` never sums.
    queue_bytes: [usize; 4],
    next_request_id: u64,
    flush_requested: bool,
    dirty: bool,
    /// Set when a recording changed what `poll` would answer.
    poll_needed: bool,
    before_send: Option<BeforeSend>,
}

impl Engine {
    /// A fresh engine. With `default_consent` granted it creates an anonymous ID at once.
    pub fn new(policy: Policy, context: Context, scrubber: Scrubber, default_consent: Consent, entropy: &mut dyn Entropy) -> Result<Engine> {
        policy.validate()?;
        let mut engine = Engine {
            policy,
            context,
            scrubber,
            state: Snapshot { version: SNAPSHOT_VERSION, ..Snapshot::default() },
            queues: Default::default(),
            queue_bytes: [0; 4],
            next_request_id: 1,
            flush_requested: false,
            dirty: false,
            poll_needed: true,
            before_send: None,
        };
        if default_consent == Consent::Granted {
            engine.state.consent = Consent::Granted;
            engine.state.anonymous_id = Some(entropy.uuid_v4());
            engine.dirty = true;
        }
        Ok(engine)
    }

    /// Restores persisted state over a fresh engine. A corrupt snapshot is
    /// discarded (the error is returned beside the fresh engine for logging):
    /// stored state must never stop the extension's worker.
    pub fn restore(
        policy: Policy,
        context: Context,
        scrubber: Scrubber,
        default_consent: Consent,
        stored: Option<&str>,
        entropy: &mut dyn Entropy,
    ) -> Result<(Engine, Option<Error>)> {
        let mut engine = Engine::new(policy, context, scrubber, Consent::Pending, entropy)?;
        let parsed = stored.map(Snapshot::from_json_text);
        match parsed {
            Some(Ok(snapshot)) => {
                engine.load(snapshot);
                Ok((engine, None))
            }
            other => {
                let problem = other.and_then(|r| r.err());
                let mut fresh = Engine::new(engine.policy, engine.context, engine.scrubber, default_consent, entropy)?;
                fresh.before_send = engine.before_send;
                fresh.dirty |= problem.is_some();
                Ok((fresh, problem))
            }
        }
    }

    fn load(&mut self, mut snapshot: Snapshot) {
        snapshot.version = SNAPSHOT_VERSION;
        if snapshot.consent != Consent::Granted {
            // Defensive: never resurrect data that only consent allowed to exist.
            snapshot.anonymous_id = None;
            snapshot.queued.clear();
            snapshot.batches.clear();
            snapshot.session = None;
        } else if snapshot.anonymous_id.is_none() {
            snapshot.consent = Consent::Pending;
            snapshot.queued.clear();
            snapshot.batches.clear();
        }
        for item in std::mem::take(&mut snapshot.queued) {
            if item.endpoint == Endpoint::Deletion {
                continue;
            }
            let index = item.endpoint.queue_index();
            self.queue_bytes[index] += item.wire_len();
            self.queues[index].push_back(item);
        }
        for queue in &mut self.queues {
            queue.make_contiguous().sort_by_key(|item| item.seq);
        }
        snapshot.batches.retain(|b| b.endpoint != Endpoint::Deletion && !b.items.is_empty());
        self.state = snapshot;
        self.enforce_cap();
    }

    /// The current consent.
    pub fn consent(&self) -> Consent {
        self.state.consent
    }

    /// The anonymous ID; `None` unless consent is granted.
    pub fn anonymous_id(&self) -> Option<&str> {
        self.state.anonymous_id.as_deref()
    }

    /// Per-feature state of later layers, persisted with the snapshot.
    pub fn extra(&self, key: &str) -> Option<&Json> {
        self.state.extra.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets a per-feature value (only while consent is granted, like everything stored).
    pub fn set_extra(&mut self, key: &str, value: Json) {
        if self.state.consent == Consent::Granted {
            self.state.extra.retain(|(k, _)| k != key);
            self.state.extra.push((key.to_owned(), value));
            self.dirty = true;
        }
    }

    /// Applies the user's choice (DESIGN section 4).
    pub fn set_consent(&mut self, granted: bool, now: Millis, entropy: &mut dyn Entropy) -> ConsentChange {
        match (self.state.consent, granted) {
            (Consent::Granted, true) => ConsentChange::Unchanged,
            (_, true) => {
                self.state.consent = Consent::Granted;
                self.state.anonymous_id = Some(entropy.uuid_v4());
                self.state.session = None;
                self.dirty = true;
                ConsentChange::Granted
            }
            (Consent::Denied, false) => ConsentChange::Unchanged,
            (Consent::Pending, false) => {
                self.state.consent = Consent::Denied;
                self.dirty = true;
                ConsentChange::Denied
            }
            (Consent::Granted, false) => {
                let old_id = self.state.anonymous_id.take();
                self.purge();
                self.state.consent = Consent::Denied;
                if let Some(anonymous_id) = old_id {
                    self.state.deletion = Some(Batch {
                        batch_id: entropy.uuid_v4(),
                        endpoint: Endpoint::Deletion,
                        session_id: String::new(),
                        items: Vec::new(),
                        dropped: DropCounts::default(),
                        attempts: 0,
                        next_attempt_at: now,
                        deletion: Some(DeletionTarget { anonymous_id, requested_at: now }),
                        in_flight: None,
                    });
                }
                self.dirty = true;
                ConsentChange::Revoked
            }
        }
    }

    /// Forgets every item, batch, session and unreported counter.
    fn purge(&mut self) {
        for queue in &mut self.queues {
            queue.clear();
        }
        self.queue_bytes = [0; 4];
        self.state.batches.clear();
        self.state.session = None;
        self.state.unreported = DropCounts::default();
        self.state.breadcrumbs.clear();
        self.state.timings.clear();
        self.state.extra.clear();
        self.flush_requested = false;
    }

    /// Counts a drop decided outside the engine (sampling or `beforeSend` in JS, say).
    pub fn count_drop(&mut self, reason: DropReason) {
        if self.state.consent == Consent::Granted {
            self.state.unreported.add(reason, 1);
            self.state.totals.dropped.add(reason, 1);
            self.dirty = true;
        }
    }

    /// Installs the `beforeSend` hook.
    pub fn set_before_send(&mut self, hook: BeforeSend) {
        self.before_send = Some(hook);
    }

    /// Records a usage event, subject to `sampleRate`. Never fails: bad input
    /// is truncated or dropped with a reason.
    pub fn record_event(&mut self, name: &str, props: Option<Json>, now: Millis, entropy: &mut dyn Entropy) -> Recorded {
        if self.state.consent != Consent::Granted {
            return Recorded::NotConsented;
        }
        if self.policy.sample_rate < 1.0 && entropy.unit_f64() >= self.policy.sample_rate {
            self.count_drop(DropReason::Sampled);
            return Recorded::Dropped(DropReason::Sampled);
        }
        let (recorded, clean) = self.record_event_item(name, props, now, entropy);
        if let (Recorded::Accepted, Some(clean)) = (recorded, clean) {
            // Breadcrumbs are the user's own track calls, not the SDK's events.
            if self.state.breadcrumbs.len() == BREADCRUMBS {
                self.state.breadcrumbs.pop_front();
            }
            self.state.breadcrumbs.push_back((clean, now));
        }
        recorded
    }

    /// Records an event that sampling must not thin out (lifecycle events,
    /// `daily_active`, `slow_operation`): counts built from them stay true.
    pub fn record_unsampled_event(&mut self, name: &str, props: Option<Json>, now: Millis, entropy: &mut dyn Entropy) -> Recorded {
        self.record_event_item(name, props, now, entropy).0
    }

    /// Builds and queues an event item; also returns its cleaned, scrubbed name.
    fn record_event_item(&mut self, name: &str, props: Option<Json>, now: Millis, entropy: &mut dyn Entropy) -> (Recorded, Option<String>) {
        if self.state.consent != Consent::Granted {
            return (Recorded::NotConsented, None);
        }
        let mut cleaning = Cleaning::default();
        let Some(name) = clean_name(name, &self.policy, &mut cleaning) else {
            self.count_drop(DropReason::Invalid);
            return (Recorded::Dropped(DropReason::Invalid), None);
        };
        let name = self.scrubber.scrub_text(&name).into_owned();
        let mut props = Json::Object(clean_props(props, &self.policy, &mut cleaning));
        self.scrubber.scrub_value(&mut props);
        let id = entropy.uuid_v4();
        let mut json = event_json(&id, &name, now, &props);
        if json.len() > self.policy.item_byte_limit() {
            cleaning.truncated = true;
            props = Json::Object(vec![("_truncated".into(), Json::Bool(true))]);
            json = event_json(&id, &name, now, &props);
        }
        let recorded = self.accept_item(Endpoint::Events, json, None, cleaning, now, entropy);
        (recorded, Some(name))
    }

    /// Captures an error: parses and scrubs its stack, attaches breadcrumbs,
    /// and folds a repeat of a still-queued fingerprint into its `count`.
    /// Errors are never sampled.
    pub fn record_error(&mut self, input: ErrorInput<'_>, now: Millis, entropy: &mut dyn Entropy) -> Recorded {
        if self.state.consent != Consent::Granted {
            return Recorded::NotConsented;
        }
        let mut cleaning = Cleaning::default();
        let kind = clean_name(input.kind, &self.policy, &mut cleaning).unwrap_or_else(|| "Error".to_owned());
        let kind = self.scrubber.scrub_text(&kind).into_owned();
        let message = truncate_chars(input.message, MAX_MESSAGE_CHARS, &mut cleaning).unwrap_or_else(|| input.message.to_owned());
        let message = self.scrubber.scrub_text(&message).into_owned();
        let mut frames = input.stack.map(parse_v8_stack).unwrap_or_default();
        for frame in &mut frames {
            for text in [&mut frame.function, &mut frame.file].into_iter().flatten() {
                if let std::borrow::Cow::Owned(clean) = self.scrubber.scrub_text(text) {
                    *text = clean;
                }
            }
        }
        let fingerprint = fingerprint(&kind, &message, &frames);
        let errors = &mut self.queues[Endpoint::Errors.queue_index()];
        if let Some(same) = errors.iter_mut().find(|item| item.fingerprint.as_deref() == Some(fingerprint.as_str())) {
            same.count += 1;
            self.dirty = true;
            return Recorded::Accepted;
        }
        let mut context = Json::Object(clean_props(input.context, &self.policy, &mut cleaning));
        self.scrubber.scrub_value(&mut context);
        let id = entropy.uuid_v4();
        let mut json = error_json(&id, now, &kind, &message, &frames, &fingerprint, &context, &self.state.breadcrumbs);
        if json.len() > self.policy.item_byte_limit() {
            cleaning.truncated = true;
            frames.truncate(10);
            json = error_json(&id, now, &kind, &message, &frames, &fingerprint, &Json::Object(Vec::new()), &VecDeque::new());
        }
        self.accept_item(Endpoint::Errors, json, Some(fingerprint), cleaning, now, entropy)
    }

    /// Runs `beforeSend`; `None` when it dropped the item (already counted).
    fn apply_before_send(&mut self, json: String) -> Option<String> {
        let Some(hook) = self.before_send.as_mut() else { return Some(json) };
        match hook(&json) {
            HookVerdict::Keep => Some(json),
            HookVerdict::Drop => {
                self.count_drop(DropReason::BeforeSend);
                None
            }
            HookVerdict::Failed => {
                self.count_drop(DropReason::HookError);
                Some(json)
            }
            HookVerdict::Replace(mut edited) => {
                // The hook may add anything: scrub its result again, and keep
                // the identity fields the collector relies on.
                let original = json::parse(&json).ok();
                let Json::Object(fields) = &mut edited else {
                    self.count_drop(DropReason::HookError);
                    return Some(json);
                };
                for key in ["id", "type"] {
                    let kept = original.as_ref().and_then(|o| o.get(key)).cloned().unwrap_or(Json::Null);
                    fields.retain(|(k, _)| k != key);
                    fields.insert(0, (key.to_owned(), kept));
                }
                fields.swap(0, 1);
                self.scrubber.scrub_value(&mut edited);
                Some(json::to_string(&edited))
            }
        }
    }

    /// Adds one timer sample (milliseconds) to its (name, props) series of
    /// the current window; a sample over `slow_threshold_ms` also records a
    /// `slow_operation` event. Timings are never sampled.
    pub fn record_timing(&mut self, name: &str, duration_ms: f64, props: Option<Json>, now: Millis, entropy: &mut dyn Entropy) -> Recorded {
        if self.state.consent != Consent::Granted {
            return Recorded::NotConsented;
        }
        let mut cleaning = Cleaning::default();
        let Some(name) = clean_name(name, &self.policy, &mut cleaning) else {
            self.count_drop(DropReason::Invalid);
            return Recorded::Dropped(DropReason::Invalid);
        };
        let name = self.scrubber.scrub_text(&name).into_owned();
        let mut props = Json::Object(clean_props(props, &self.policy, &mut cleaning));
        self.scrubber.scrub_value(&mut props);
        let props = json::to_string(&props);
        let duration = if duration_ms.is_finite() && duration_ms > 0.0 { duration_ms } else { 0.0 };
        let full = self.state.timings.len() >= self.policy.max_timing_series;
        match self.state.timings.iter_mut().find(|s| s.name == name && s.props == props) {
            Some(series) => series.sketch.add(duration),
            None if full => {
                self.count_drop(DropReason::QueueFull);
                return Recorded::Dropped(DropReason::QueueFull);
            }
            None => {
                let mut sketch = Sketch::new();
                sketch.add(duration);
                self.state.timings.push(TimingSeries { name: name.clone(), props, opened_at: now, sketch });
                self.poll_needed = true;
            }
        }
        self.dirty = true;
        if duration > self.policy.slow_threshold_ms {
            let props = Json::Object(vec![("name".into(), Json::String(name)), ("duration_ms".into(), Json::Number(ms_number(duration)))]);
            self.record_unsampled_event("slow_operation", Some(props), now, entropy);
        }
        Recorded::Accepted
    }

    /// Turns the series whose window closed (or all, on flush) into `timing` items.
    fn close_timing_windows(&mut self, now: Millis, entropy: &mut dyn Entropy) {
        let interval = self.policy.flush_interval_ms;
        let flush = self.flush_requested;
        let (due, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.state.timings)
            .into_iter()
            .partition(|s| flush || now >= s.opened_at.saturating_add(interval));
        self.state.timings = open;
        for series in due {
            let Some(summary) = series.sketch.summary() else { continue };
            let id = entropy.uuid_v4();
            let mut out = String::with_capacity(256 + series.props.len());
            out.push_str("{\"id\":");
            json::push_string(&mut out, &id);
            out.push_str(",\"type\":\"timing\",\"name\":");
            json::push_string(&mut out, &series.name);
            out.push_str(",\"ts\":");
            push_u64(&mut out, series.opened_at);
            out.push_str(",\"props\":");
            out.push_str(&series.props);
            out.push_str(",\"count\":");
            push_u64(&mut out, summary.count);
            for (key, value) in [("sum", summary.sum), ("min", summary.min), ("max", summary.max), ("p50", summary.p50), ("p95", summary.p95), ("p99", summary.p99)] {
                out.push_str(",\"");
                out.push_str(key);
                out.push_str("\":");
                out.push_str(ms_number(value).as_str());
            }
            out.push_str(",\"unit\":\"ms\"}");
            if self.accept_item(Endpoint::Performance, out, None, Cleaning::default(), now, entropy) == Recorded::Accepted {
                // The window already waited its interval: date the item from
                // its first sample so the queue sends it now, not one interval later.
                if let Some(item) = self.queues[Endpoint::Performance.queue_index()].back_mut() {
                    item.recorded_at = series.opened_at;
                }
            }
        }
    }

    /// The earliest close of an open timing window.
    fn timing_deadline(&self) -> Option<Millis> {
        let interval = self.policy.flush_interval_ms;
        self.state.timings.iter().map(|s| s.opened_at.saturating_add(interval)).min()
    }

    /// User feedback (never sampled): `kind` is bug / idea / praise / other,
    /// `rating` 1-5, the message is scrubbed and capped; `contact` is the
    /// user's own choice to be reached, so it is kept as given (only capped).
    pub fn record_feedback(&mut self, kind: &str, rating: Option<u8>, message: Option<&str>, contact: Option<&str>, now: Millis, entropy: &mut dyn Entropy) -> Recorded {
        if self.state.consent != Consent::Granted {
            return Recorded::NotConsented;
        }
        if !matches!(kind, "bug" | "idea" | "praise" | "other") {
            self.count_drop(DropReason::Invalid);
            return Recorded::Dropped(DropReason::Invalid);
        }
        let mut cleaning = Cleaning::default();
        let id = entropy.uuid_v4();
        let mut out = String::with_capacity(128 + message.map_or(0, str::len));
        out.push_str("{\"id\":");
        json::push_string(&mut out, &id);
        out.push_str(",\"type\":\"feedback\",\"ts\":");
        push_u64(&mut out, now);
        out.push_str(",\"kind\":");
        json::push_string(&mut out, kind);
        if let Some(rating) = rating.filter(|r| (1..=5).contains(r)) {
            out.push_str(",\"rating\":");
            push_u64(&mut out, u64::from(rating));
        }
        if let Some(message) = message {
            let cut = truncate_chars(message, self.policy.max_feedback_chars, &mut cleaning);
            let text = cut.as_deref().unwrap_or(message);
            out.push_str(",\"message\":");
            json::push_string(&mut out, &self.scrubber.scrub_text(text));
        }
        if let Some(contact) = contact {
            let cut = truncate_chars(contact, 320, &mut cleaning);
            out.push_str(",\"contact\":");
            json::push_string(&mut out, cut.as_deref().unwrap_or(contact));
        }
        out.push('}');
        self.accept_item(Endpoint::Feedback, out, None, cleaning, now, entropy)
    }

    /// Records `daily_active` once per UTC day per installation (the last
    /// day is persisted, so worker restarts do not repeat it). True if sent.
    pub fn mark_daily_active(&mut self, now: Millis, entropy: &mut dyn Entropy) -> bool {
        if self.state.consent != Consent::Granted || !self.policy.lifecycle_events {
            return false;
        }
        let today = utc_day(now);
        let last = self.extra(LAST_ACTIVE_DAY).and_then(Json::as_u64);
        if last == Some(today as u64) {
            return false;
        }
        self.set_extra(LAST_ACTIVE_DAY, Json::Number(Number::from_u64(today as u64)));
        let day = format_rfc3339(now)[..10].to_owned();
        let props = Json::Object(vec![("day".into(), Json::String(day))]);
        self.record_unsampled_event("daily_active", Some(props), now, entropy) == Recorded::Accepted
    }

    fn accept_item(
        &mut self,
        endpoint: Endpoint,
        json: String,
        fingerprint: Option<String>,
        cleaning: Cleaning,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> Recorded {
        let Some(json) = self.apply_before_send(json) else {
            return Recorded::Dropped(DropReason::BeforeSend);
        };
        let session_id = self.touch_session(now, entropy);
        if cleaning.truncated {
            self.state.totals.truncated += 1;
        }
        let item = QueuedItem { seq: self.state.next_seq, endpoint, recorded_at: now, session_id, json, fingerprint, count: 1 };
        self.state.next_seq += 1;
        let index = endpoint.queue_index();
        self.queue_bytes[index] += item.wire_len();
        self.queues[index].push_back(item);
        self.dirty = true;
        // Only a first item (a new deadline) or a full queue changes what poll
        // would say; sparing the other polls keeps `track` cheap.
        let len = self.queues[index].len();
        self.poll_needed |= len == 1 || len >= self.policy.batch_max_events || self.queue_bytes[index] + ENVELOPE_RESERVE >= self.policy.batch_max_bytes;
        if self.enforce_cap() {
            // The newest item itself had to go: everything older is in flight.
            return Recorded::Dropped(DropReason::QueueFull);
        }
        Recorded::Accepted
    }

    /// The current session ID, renewed after the idle timeout.
    fn touch_session(&mut self, now: Millis, entropy: &mut dyn Entropy) -> String {
        let idle = self.policy.session_idle_ms;
        match &mut self.state.session {
            Some(session) if now.saturating_sub(session.last_activity) < idle => {
                session.last_activity = session.last_activity.max(now);
                session.id.clone()
            }
            _ => {
                let id = entropy.uuid_v4();
                self.state.session = Some(Session { id: id.clone(), last_activity: now });
                id
            }
        }
    }

    /// Items held, queued or batched.
    pub fn held_items(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum::<usize>() + self.state.batches.iter().map(|b| b.items.len()).sum::<usize>()
    }

    /// Drops the oldest items past `max_queued_items`; true if the newest was among them.
    fn enforce_cap(&mut self) -> bool {
        let mut newest_dropped = false;
        while self.held_items() > self.policy.max_queued_items {
            let newest_seq = self.state.next_seq.saturating_sub(1);
            let from_queue = (0..4).filter_map(|i| self.queues[i].front().map(|item| (item.seq, i))).min();
            let from_batch = self
                .state
                .batches
                .iter()
                .enumerate()
                .filter(|(_, b)| b.in_flight.is_none())
                .filter_map(|(i, b)| b.items.first().map(|item| (item.seq, i)))
                .min();
            let dropped_seq = match (from_queue, from_batch) {
                (Some(q), Some(b)) if b.0 < q.0 => self.evict_from_batch(b.1),
                (Some((_, index)), _) => self.evict_from_queue(index),
                (None, Some((_, index))) => self.evict_from_batch(index),
                (None, None) => break,
            };
            newest_dropped |= dropped_seq == newest_seq;
            self.state.unreported.add(DropReason::QueueFull, 1);
            self.state.totals.dropped.add(DropReason::QueueFull, 1);
        }
        newest_dropped
    }

    fn evict_from_queue(&mut self, index: usize) -> u64 {
        let item = self.queues[index].pop_front().expect("caller saw a front item");
        self.queue_bytes[index] -= item.wire_len();
        item.seq
    }

    fn evict_from_batch(&mut self, index: usize) -> u64 {
        let batch = &mut self.state.batches[index];
        let item = batch.items.remove(0);
        if batch.items.is_empty() {
            let batch = self.state.batches.remove(index);
            self.state.unreported.merge(&batch.dropped);
        }
        item.seq
    }

    /// Asks for everything to be sent now: age thresholds and jittered backoff
    /// are skipped; `Retry-After` is still honoured.
    pub fn request_flush(&mut self, now: Millis) {
        self.flush_requested = true;
        for batch in self.state.batches.iter_mut().chain(self.state.deletion.as_mut()) {
            batch.next_attempt_at = batch.next_attempt_at.min(now);
        }
    }

    /// Ends a flush started with [`Engine::request_flush`].
    pub fn end_flush(&mut self) {
        self.flush_requested = false;
    }

    /// The age after which a queue is sent.
    fn flush_delay(&self, endpoint: Endpoint) -> Millis {
        match endpoint {
            Endpoint::Errors => self.policy.error_flush_delay_ms,
            _ => self.policy.flush_interval_ms,
        }
    }

    /// When the queue of `index` must become a batch (`None` if empty).
    fn queue_due_at(&self, index: usize) -> Option<Millis> {
        let oldest = self.queues[index].front()?;
        let full = self.queues[index].len() >= self.policy.batch_max_events
            || self.queue_bytes[index] + ENVELOPE_RESERVE >= self.policy.batch_max_bytes;
        if full || self.flush_requested {
            return Some(0);
        }
        Some(oldest.recorded_at.saturating_add(self.flush_delay(Endpoint::INGESTION[index])))
    }

    fn form_batch(&mut self, index: usize, now: Millis, entropy: &mut dyn Entropy) {
        let endpoint = Endpoint::INGESTION[index];
        let queue = &mut self.queues[index];
        let Some(first) = queue.front() else { return };
        let session_id = first.session_id.clone();
        let budget = self.policy.batch_max_bytes.saturating_sub(ENVELOPE_RESERVE);
        let mut items = Vec::new();
        let mut bytes = 0;
        while let Some(next) = queue.front() {
            let size = next.wire_len();
            let fits = items.is_empty() || (items.len() < self.policy.batch_max_events && bytes + size <= budget);
            if !fits || next.session_id != session_id {
                break;
            }
            bytes += size;
            items.push(queue.pop_front().expect("front exists"));
        }
        self.queue_bytes[index] -= bytes;
        let dropped = std::mem::take(&mut self.state.unreported);
        self.state.batches.push(Batch {
            batch_id: entropy.uuid_v4(),
            endpoint,
            session_id,
            items,
            dropped,
            attempts: 0,
            next_attempt_at: now,
            deletion: None,
            in_flight: None,
        });
        self.dirty = true;
    }

    /// True when a recording since the last [`Engine::poll`] may have changed
    /// its answer (a first item sets a deadline, a full queue is due now).
    pub fn poll_needed(&self) -> bool {
        self.poll_needed
    }

    /// What to do now. Call again after every `Send` until it answers
    /// `WaitUntil` or `Idle`.
    pub fn poll(&mut self, now: Millis, entropy: &mut dyn Entropy) -> Action {
        self.poll_needed = false;
        if self.state.consent == Consent::Granted {
            if self.timing_deadline().is_some_and(|at| self.flush_requested || at <= now) {
                self.close_timing_windows(now, entropy);
            }
            for index in 0..4 {
                let endpoint = Endpoint::INGESTION[index];
                let has_batch = self.state.batches.iter().any(|b| b.endpoint == endpoint);
                if !has_batch && self.queue_due_at(index).is_some_and(|due| due <= now) {
                    self.form_batch(index, now, entropy);
                }
            }
        }
        let gate = self.state.not_before;
        let mut wake: Option<Millis> = None;
        let mut ready: Option<usize> = None;
        let deletion_slot = self.state.batches.len();
        let candidates = self.state.batches.iter().chain(self.state.deletion.as_ref());
        for (slot, batch) in candidates.enumerate() {
            if batch.in_flight.is_some() {
                continue;
            }
            let at = batch.next_attempt_at.max(gate);
            if at <= now {
                ready = Some(slot);
                break;
            }
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
        if let Some(slot) = ready {
            let id = RequestId(self.next_request_id);
            self.next_request_id += 1;
            let batch = if slot == deletion_slot {
                self.state.deletion.as_mut().expect("slot is the deletion")
            } else {
                &mut self.state.batches[slot]
            };
            batch.in_flight = Some(id);
            let batch = batch.clone();
            return Action::Send(self.build_request(id, &batch, now));
        }
        if self.state.consent == Consent::Granted {
            for index in 0..4 {
                let endpoint = Endpoint::INGESTION[index];
                if self.state.batches.iter().any(|b| b.endpoint == endpoint) {
                    continue;
                }
                if let Some(due) = self.queue_due_at(index) {
                    let at = due.max(now);
                    wake = Some(wake.map_or(at, |w| w.min(at)));
                }
            }
        }
        if let Some(at) = self.timing_deadline().filter(|_| self.state.consent == Consent::Granted) {
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
        wake.map_or(Action::Idle, Action::WaitUntil)
    }

    fn build_request(&self, id: RequestId, batch: &Batch, now: Millis) -> Request {
        let sent_at = format_rfc3339(now);
        let body = match &batch.deletion {
            Some(target) => deletion_body(&target.anonymous_id, &format_rfc3339(target.requested_at)),
            None => batch_body(
                &Envelope {
                    batch_id: &batch.batch_id,
                    sent_at: &sent_at,
                    anonymous_id: self.state.anonymous_id.as_deref().unwrap_or_default(),
                    session_id: &batch.session_id,
                    context: &self.context,
                    dropped: &batch.dropped,
                },
                &batch.items,
                batch.bytes(),
            ),
        };
        Request { id, endpoint: batch.endpoint, batch_id: batch.batch_id.clone(), body, item_count: batch.items.len() }
    }

    /// True while request `id` still matters: false once its batch was purged
    /// (consent revoked), so a request built just before must not go out.
    pub fn is_in_flight(&self, id: RequestId) -> bool {
        self.state.batches.iter().chain(self.state.deletion.as_ref()).any(|b| b.in_flight == Some(id))
    }

    /// True while any request is out.
    pub fn has_in_flight(&self) -> bool {
        self.state.batches.iter().chain(self.state.deletion.as_ref()).any(|b| b.in_flight.is_some())
    }

    /// True when anything waits for delivery (items, batches, a deletion request).
    pub fn has_pending(&self) -> bool {
        self.state.deletion.is_some() || self.held_items() > 0 || !self.state.timings.is_empty()
    }

    /// Tells the engine how a request ended.
    pub fn on_outcome(&mut self, id: RequestId, outcome: &Outcome, now: Millis, entropy: &mut dyn Entropy) {
        let is_deletion = self.state.deletion.as_ref().is_some_and(|b| b.in_flight == Some(id));
        let slot = self.state.batches.iter().position(|b| b.in_flight == Some(id));
        if !is_deletion && slot.is_none() {
            return; // purged while in flight (consent revoked): forget it.
        }
        self.dirty = true;
        let verdict = classify(outcome);
        if let Outcome::Status { code, retry_after } = outcome {
            let asked = retry_after.as_deref().and_then(|v| retry_after_delay(v, now));
            let wait = match (asked, *code) {
                (Some(ms), _) => Some(ms),
                (None, 429) => Some(self.policy.default_rate_limit_ms),
                _ => None,
            };
            if let Some(ms) = wait.filter(|_| verdict == Verdict::Retry) {
                let until = now.saturating_add(ms.min(self.policy.retry_max_delay_ms));
                self.state.not_before = self.state.not_before.max(until);
            }
        }
        let take = |engine: &mut Engine| -> Batch {
            match slot {
                Some(index) => engine.state.batches.remove(index),
                None => engine.state.deletion.take().expect("deletion is in flight"),
            }
        };
        match verdict {
            Verdict::Delivered => {
                let batch = take(self);
                self.state.totals.sent += batch.items.len() as u64;
            }
            Verdict::Rejected => {
                let batch = take(self);
                self.give_back_counts(&batch, DropReason::Rejected);
            }
            Verdict::Retry => {
                let policy = &self.policy;
                let (base, max, attempts_cap) = (policy.retry_base_delay_ms, policy.retry_max_delay_ms, policy.retry_max_attempts);
                let batch = match slot {
                    Some(index) => &mut self.state.batches[index],
                    None => self.state.deletion.as_mut().expect("deletion is in flight"),
                };
                batch.in_flight = None;
                batch.attempts += 1;
                if batch.attempts >= attempts_cap {
                    let batch = take(self);
                    self.give_back_counts(&batch, DropReason::RetryExhausted);
                } else {
                    let delay = full_jitter_delay(batch.attempts, base, max, entropy.unit_f64());
                    batch.next_attempt_at = now.saturating_add(delay);
                    self.state.totals.retries += 1;
                }
            }
        }
    }

    /// A batch that will never be delivered: count its items, and hand its
    /// carried drop counters back so the next batch reports them.
    fn give_back_counts(&mut self, batch: &Batch, reason: DropReason) {
        let lost = batch.items.len() as u64;
        if self.state.consent != Consent::Granted {
            return;
        }
        self.state.unreported.merge(&batch.dropped);
        self.state.unreported.add(reason, lost);
        self.state.totals.dropped.add(reason, lost);
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

    /// True when state changed since the last [`Engine::take_dirty`].
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Forces the next persistence check to write (after a failed write).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// True (once) when state changed since the last call: time to persist.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// The state to persist, or `None` when nothing may be stored (consent
    /// pending, or denied with nothing left to do): the platform then deletes its key.
    pub fn persisted_state(&self) -> Option<String> {
        let snapshot = self.snapshot();
        let empty = snapshot.consent == Consent::Pending && snapshot.deletion.is_none() && snapshot.totals == Totals::default();
        if empty {
            return None;
        }
        Some(snapshot.to_json_text())
    }

    /// Everything persisted, as a value (in-flight requests count as not sent).
    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = self.state.clone();
        snapshot.queued = self.queues.iter().flatten().cloned().collect();
        // A deletion request is stored only after a failed attempt, so a
        // revocation leaves storage free of the ID unless delivery needs it.
        if snapshot.deletion.as_ref().is_some_and(|d| d.attempts == 0) {
            snapshot.deletion = None;
        }
        if snapshot.consent != Consent::Granted {
            snapshot.totals = Totals::default();
        }
        snapshot
    }
}

/// A millisecond figure as a JSON number with at most 3 decimals (µs), written
/// without float formatting code (size).
fn ms_number(value: f64) -> Number {
    let micros = if value.is_finite() && value > 0.0 { (value * 1000.0 + 0.5) as u64 } else { 0 };
    let mut text = String::with_capacity(16);
    push_u64(&mut text, micros / 1000);
    let frac = micros % 1000;
    if frac != 0 {
        text.push('.');
        let digits = [frac / 100, frac / 10 % 10, frac % 10];
        let used = if frac % 100 == 0 { 1 } else if frac % 10 == 0 { 2 } else { 3 };
        for d in &digits[..used] {
            text.push((b'0' + *d as u8) as char);
        }
    }
    Number::parse(&text).unwrap_or_else(|| Number::from_u64(0))
}

/// An `error` item without its `count` (added at send time).
#[allow(clippy::too_many_arguments)]
fn error_json(id: &str, ts: Millis, kind: &str, message: &str, frames: &[Frame], fingerprint: &str, context: &Json, breadcrumbs: &VecDeque<(String, Millis)>) -> String {
    let mut out = String::with_capacity(256 + message.len() + frames.len() * 96);
    out.push_str("{\"id\":");
    json::push_string(&mut out, id);
    out.push_str(",\"type\":\"error\",\"ts\":");
    push_u64(&mut out, ts);
    out.push_str(",\"kind\":");
    json::push_string(&mut out, kind);
    out.push_str(",\"message\":");
    json::push_string(&mut out, message);
    out.push_str(",\"stack\":[");
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"function\":");
        push_optional_string(&mut out, frame.function.as_deref());
        out.push_str(",\"file\":");
        push_optional_string(&mut out, frame.file.as_deref());
        out.push_str(",\"line\":");
        push_optional_u64(&mut out, frame.line.map(u64::from));
        out.push_str(",\"column\":");
        push_optional_u64(&mut out, frame.column.map(u64::from));
        out.push('}');
    }
    out.push_str("],\"fingerprint\":");
    json::push_string(&mut out, fingerprint);
    out.push_str(",\"context\":");
    json::write(context, &mut out);
    out.push_str(",\"breadcrumbs\":[");
    for (i, (name, at)) in breadcrumbs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        json::push_string(&mut out, name);
        out.push_str(",\"ts\":");
        push_u64(&mut out, *at);
        out.push('}');
    }
    out.push_str("]}");
    out
}

fn push_optional_string(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => json::push_string(out, text),
        None => out.push_str("null"),
    }
}

fn push_optional_u64(out: &mut String, n: Option<u64>) {
    match n {
        Some(n) => push_u64(out, n),
        None => out.push_str("null"),
    }
}

/// `{"id":..,"type":"event","name":..,"ts":..,"props":{..}}`, written directly.
fn event_json(id: &str, name: &str, ts: Millis, props: &Json) -> String {
    let mut out = String::with_capacity(96 + name.len());
    out.push_str("{\"id\":");
    json::push_string(&mut out, id);
    out.push_str(",\"type\":\"event\",\"name\":");
    json::push_string(&mut out, name);
    out.push_str(",\"ts\":");
    push_u64(&mut out, ts);
    out.push_str(",\"props\":");
    json::write(props, &mut out);
    out.push('}');
    out
}
