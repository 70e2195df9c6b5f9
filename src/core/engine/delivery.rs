//! Delivery: when a cursor's part of a lane becomes a batch, which request
//! goes out next, and what each outcome does to the cursor's backoff
//! (`docs/destinations.md`). The deletion request has its own slot: it
//! carries no items and is the only request after a revoke.

use crate::core::backoff::{classify, full_jitter_delay, retry_after_delay, Outcome, Verdict};
use crate::core::dest::response::{self, RateLimits, Response};
use crate::core::dest::Kind;
use crate::core::ids::Entropy;
use crate::core::json::PushByte;
use crate::core::policy::ENVELOPE_RESERVE;
use crate::core::time::{format_rfc3339, Millis};
use crate::core::wire::{batch_body, deletion_body, DropReason, Endpoint, Envelope};

use super::lane::{Batch, Cursor};
use super::log::push_chunk_keys;
use super::{Consent, Engine};

/// Identifies one request handed to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// One HTTP request for the platform to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Pass back to [`Engine::on_outcome`].
    pub id: RequestId,
    /// The v1 endpoint it belongs to (for another destination: the lane's).
    pub endpoint: Endpoint,
    /// The destination (`None`: the v1 collector).
    pub dest: Option<Kind>,
    /// The whole URL for another destination; empty for the v1 collector,
    /// whose URL is its configured origin plus `endpoint`'s path.
    pub url: String,
    /// Headers besides `Content-Type` and `Content-Encoding` (OTLP's
    /// configured ones; `X-Batch-Id` for the v1 collector).
    pub headers: Vec<(String, String)>,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// For the v1 `X-Batch-Id` header; the de-duplication key everywhere.
    pub batch_id: String,
    /// The body, uncompressed.
    pub body: String,
    /// Items carried (0 for the deletion request).
    pub item_count: usize,
}

/// What the platform should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this request now, then poll again.
    Send(Request),
    /// Read these storage keys (item chunks) and hand them to
    /// [`Engine::on_read`], then poll again.
    Read(Vec<String>),
    /// Nothing to send before this time; poll again then.
    WaitUntil(Millis),
    /// Nothing pending (or only requests already in flight).
    Idle,
}

fn earliest(wake: &mut Option<Millis>, at: Millis) {
    *wake = Some(wake.map_or(at, |w| w.min(at)));
}

/// The Sentry category of a lane (`None`: Sentry does not carry it).
pub(crate) fn sentry_category(endpoint: Endpoint) -> Option<&'static str> {
    match endpoint {
        Endpoint::Errors => Some("error"),
        Endpoint::Feedback => Some("feedback"),
        _ => None,
    }
}

/// Cuts the OTLP-only tail of a stored timing item (`,"otlp":{…}` before
/// the closing brace, see [`Engine::close_timing_windows`]): the v1
/// collector and the other destinations get the item as documented.
pub(crate) fn without_otlp_tail(json: &str) -> &str {
    // A byte scan from the end: `rfind` with a string pattern links the
    // two-way searcher (about 1.3 KB of wasm) for this one use.
    const TAIL: &[u8] = b",\"otlp\":";
    let bytes = json.as_bytes();
    let mut at = bytes.len().saturating_sub(TAIL.len());
    loop {
        if bytes[at..].starts_with(TAIL) {
            return &json[..at];
        }
        if at == 0 {
            return json.strip_suffix('}').unwrap_or(json);
        }
        at -= 1;
    }
}

impl Engine {
    /// True when a recording since the last [`Engine::poll`] may have changed
    /// its answer (a first item sets a deadline, a full lane is due now).
    pub fn poll_needed(&self) -> bool {
        self.poll_needed
    }

    /// Whether the item just pushed to lane `index` (which held
    /// `bytes_before`) may change what [`Engine::poll`] answers: only for a
    /// cursor with no batch (one in flight, or waiting for its retry, is due
    /// when its answer or its retry time says, `cursor_due_at`), and only if
    /// the item is the first it has to send (a new deadline) or makes it
    /// full, by count or by the lane's bytes. A lane that stays full, as
    /// with the collector down or at the cap, asks for no poll.
    pub(crate) fn changes_due(&self, index: usize, bytes_before: usize) -> bool {
        let lane = &self.state.lanes[index];
        let filled_by_bytes =
            !self.full_by_bytes(bytes_before) && self.full_by_bytes(lane.total_bytes());
        for ci in 0..lane.cursors.len() {
            if lane.cursors[ci].batch.is_some() {
                continue;
            }
            // Records add one item at a time: the count reaches the limit
            // exactly once (evictions may take it back below).
            let count = self.pending(index, ci).map_or(0, |(count, _)| count);
            if filled_by_bytes || count == 1 || count == self.policy.batch_max_events {
                return true;
            }
        }
        false
    }

    /// Whether a lane holding `bytes` of items fills a batch by its bytes
    /// (`batch.maxBytes`, less the envelope's reserve).
    fn full_by_bytes(&self, bytes: usize) -> bool {
        bytes + ENVELOPE_RESERVE >= self.policy.batch_max_bytes
    }

    /// The age after which a lane is sent.
    fn flush_delay(&self, endpoint: Endpoint) -> Millis {
        match endpoint {
            Endpoint::Errors => self.policy.error_flush_delay_ms,
            _ => self.policy.flush_interval_ms,
        }
    }

    /// No request to `dest` before this time (its `Retry-After`).
    pub(crate) fn gate(&self, dest: Option<Kind>) -> Millis {
        match dest {
            None => self.state.not_before,
            Some(kind) => self.state.gates[kind as usize],
        }
    }

    /// The wall clock may jump (a user or NTP sets it back a day or forward
    /// a year). Waits were computed from the old clock: none may now last
    /// longer than `retry.maxDelayMs` (backoff and `Retry-After`) or one flush
    /// interval (a timing window opened "in the future"), so nothing is held
    /// for the length of the jump. A jump forward only makes things due.
    fn follow_clock(&mut self, now: Millis) {
        let policy = &self.policy;
        // The longest backoff the attempt number allows (full jitter's ceiling).
        let latest = |attempts: u32| {
            let ceiling = full_jitter_delay(
                attempts,
                policy.retry_base_delay_ms,
                policy.retry_max_delay_ms,
                1.0,
            );
            now.saturating_add(ceiling)
        };
        let gate = now.saturating_add(policy.retry_max_delay_ms);
        for lane in &mut self.state.lanes {
            for cursor in &mut lane.cursors {
                cursor.retry_at = cursor.retry_at.min(latest(cursor.attempts));
                // A rate limit is at most a day (Sentry's longest is an hour).
                cursor.limited_until = cursor.limited_until.min(now.saturating_add(86_400_000));
            }
        }
        let health = &mut self.state.health;
        health.limited_until = health.limited_until.min(now.saturating_add(86_400_000));
        if let Some(deletion) = self.state.deletion.as_mut() {
            deletion.retry_at = deletion.retry_at.min(latest(deletion.attempts));
        }
        self.state.not_before = self.state.not_before.min(gate);
        for g in &mut self.state.gates {
            *g = (*g).min(gate);
        }
        for series in &mut self.state.timings {
            series.opened_at = series.opened_at.min(now);
        }
    }

    /// The items cursor `ci` of lane `index` has not passed: how many, and
    /// when the oldest was recorded (`None` if none). Items still in storage
    /// count as the cursor's (they are read before a batch is formed).
    fn pending(&self, index: usize, ci: usize) -> Option<(usize, Millis)> {
        let lane = &self.state.lanes[index];
        if let Some(unread) = lane.unread.filter(|u| u.count > 0) {
            return Some((lane.len(), unread.front_at));
        }
        let start = lane.start_of(lane.cursors[ci].floor);
        let oldest = lane.items.get(start)?;
        Some((lane.items.len() - start, oldest.recorded_at))
    }

    /// When cursor `ci` of lane `index` must become a batch (`None` if it
    /// has nothing): when full or old enough, and never while its backoff
    /// runs, so a batch formed after a failure carries everything that
    /// waited. An item recorded after `now` (the clock went back) is
    /// overdue: its age is unknown, and sending early is harmless while
    /// holding it for the jump is not.
    fn cursor_due_at(&self, index: usize, ci: usize, now: Millis) -> Option<Millis> {
        let lane = &self.state.lanes[index];
        let cursor = &lane.cursors[ci];
        if cursor.batch.is_some() {
            return Some(cursor.retry_at);
        }
        let (count, oldest_at) = self.pending(index, ci)?;
        // The lane's bytes bound the cursor's: a lagging cursor may be
        // judged full a little early, never late.
        let full = count >= self.policy.batch_max_events || self.full_by_bytes(lane.total_bytes());
        let due = if full || self.flush_requested || oldest_at > now {
            0
        } else {
            oldest_at.saturating_add(self.flush_delay(lane.endpoint))
        };
        Some(due.max(cursor.retry_at))
    }

    /// The most items one request to `dest` carries: Relay takes one
    /// event-creating item per envelope.
    fn max_events(&self, dest: Option<Kind>) -> usize {
        match dest {
            Some(Kind::Sentry) => 1,
            _ => self.policy.batch_max_events,
        }
    }

    fn form_batch(&mut self, index: usize, ci: usize, entropy: &mut dyn Entropy) {
        let budget = self.policy.batch_max_bytes.saturating_sub(ENVELOPE_RESERVE);
        let lane = &self.state.lanes[index];
        let cursor = &lane.cursors[ci];
        let max_events = self.max_events(cursor.dest);
        let start = lane.start_of(cursor.floor);
        let Some(first) = lane.items.get(start) else {
            return;
        };
        let mut len = 0;
        let mut bytes = 0;
        for item in lane.items.get(start..).unwrap_or_default() {
            let size = item.wire_len();
            let fits = len == 0 || (len < max_events && bytes + size <= budget);
            if !fits || item.session_id != first.session_id {
                break;
            }
            bytes += size;
            len += 1;
        }
        let dest = cursor.dest;
        let dropped = match dest {
            None => std::mem::take(&mut self.state.unreported),
            Some(_) => std::mem::take(&mut self.state.lanes[index].cursors[ci].unreported),
        };
        self.state.lanes[index].cursors[ci].batch = Some(Batch {
            id: entropy.uuid_v4(),
            len,
            dropped,
            in_flight: None,
        });
        self.unsaved_batch = true;
        self.dirty = true;
    }

    /// What to do now. Call again after every `Send` and `Read` until it
    /// answers `WaitUntil` or `Idle`.
    pub fn poll(&mut self, now: Millis, entropy: &mut dyn Entropy) -> Action {
        self.poll_needed = false;
        self.follow_clock(now);
        let granted = self.state.consent == Consent::Granted;
        if granted
            && self
                .timing_deadline()
                .is_some_and(|at| self.flush_requested || at <= now)
        {
            self.close_timing_windows(now, entropy);
        }
        let mut wake = None;
        let mut reads = Vec::new();
        let mut reading = [false; 4];
        // By index: the loop calls `&mut self` methods between lane reads.
        #[allow(clippy::needless_range_loop)]
        for index in 0..4 {
            if !granted {
                break;
            }
            let mut ci = 0;
            while ci < self.state.lanes[index].cursors.len() {
                let cursor = &self.state.lanes[index].cursors[ci];
                let dest = cursor.dest;
                if cursor.in_flight() {
                    ci += 1;
                    continue;
                }
                let due = self.cursor_due_at(index, ci, now);
                let Some(at) = due.map(|due| due.max(self.gate(dest))) else {
                    ci += 1;
                    continue;
                };
                if at > now {
                    earliest(&mut wake, at);
                    ci += 1;
                    continue;
                }
                if let Some(chunks) = self.state.lanes[index].unread_chunks() {
                    // Every cursor of the lane waits for the same read.
                    if !self.reading[index] && !reading[index] {
                        push_chunk_keys(&mut reads, index, chunks);
                        reading[index] = true;
                    }
                    break;
                }
                if self.state.lanes[index].cursors[ci].limited_until > now {
                    self.drop_rate_limited(index, ci);
                    continue;
                }
                let cursor = &mut self.state.lanes[index].cursors[ci];
                if cursor.batch.as_ref().is_some_and(|b| b.len == 0) {
                    // Its items left while it waited (evicted, or their chunk
                    // was gone after a restart): it must not block the cursor.
                    let empty = cursor.batch.take().expect("checked");
                    self.hand_back(index, ci, &empty.dropped);
                    self.dirty = true;
                }
                if self.state.lanes[index].cursors[ci].batch.is_none() {
                    self.form_batch(index, ci, entropy);
                }
                let id = self.next_request();
                let cursor = &mut self.state.lanes[index].cursors[ci];
                let Some(batch) = cursor.batch.as_mut().filter(|b| b.len > 0) else {
                    ci += 1;
                    continue;
                };
                batch.in_flight = Some(id);
                match self.build_request(index, ci, id, now) {
                    Some(request) => return Action::Send(request),
                    None => {
                        // Nothing of it can go to this destination (an item
                        // it cannot parse): done with it, not retried.
                        let batch = self.state.lanes[index].cursors[ci].batch.take();
                        let len = batch.map_or(0, |b| b.len);
                        self.pass_items(index, ci, len);
                        self.dirty = true;
                    }
                }
            }
        }
        if !reads.is_empty() {
            for (flag, now_reading) in self.reading.iter_mut().zip(reading) {
                *flag |= now_reading;
            }
            return Action::Read(reads);
        }
        if granted {
            self.drop_limited_sessions(now);
            self.note_sentry_drops(now);
        }
        if let Some(at) = self.health_due().filter(|_| granted) {
            if at <= now {
                let id = self.next_request();
                if let Some(request) = self.health_request(id, now) {
                    return Action::Send(request);
                }
            }
            earliest(&mut wake, at);
        }
        if let Some(deletion) = self
            .state
            .deletion
            .as_ref()
            .filter(|d| d.in_flight.is_none())
        {
            let at = deletion.retry_at.max(self.state.not_before);
            if at <= now {
                let id = self.next_request();
                let deletion = self.state.deletion.as_mut().expect("checked above");
                deletion.in_flight = Some(id);
                let body = deletion_body(
                    &deletion.anonymous_id,
                    &format_rfc3339(deletion.requested_at),
                );
                return Action::Send(Request {
                    id,
                    endpoint: Endpoint::Deletion,
                    dest: None,
                    url: String::new(),
                    headers: vec![("X-Batch-Id".to_owned(), deletion.batch_id.clone())],
                    content_type: "application/json",
                    batch_id: deletion.batch_id.clone(),
                    body,
                    item_count: 0,
                });
            }
            earliest(&mut wake, at);
        }
        if let Some(at) = self.timing_deadline().filter(|_| granted) {
            earliest(&mut wake, at);
        }
        wake.map_or(Action::Idle, Action::WaitUntil)
    }

    fn next_request(&mut self) -> super::RequestId {
        let id = RequestId(self.next_request_id);
        self.next_request_id += 1;
        id
    }

    /// Drop counters a batch carried and did not deliver go back to where
    /// the cursor's next batch takes them from.
    pub(crate) fn hand_back(
        &mut self,
        index: usize,
        ci: usize,
        dropped: &crate::core::wire::DropCounts,
    ) {
        match self.state.lanes[index].cursors[ci].dest {
            None => self.state.unreported.merge(dropped),
            Some(_) => self.state.lanes[index].cursors[ci]
                .unreported
                .merge(dropped),
        }
    }

    /// Counts `n` of cursor `ci`'s items as dropped for `reason`: in the
    /// totals, and for the destination's own report (the v1 collector's
    /// `dropped`, Sentry's `client_report`).
    pub(crate) fn count_cursor_drops(
        &mut self,
        index: usize,
        ci: usize,
        reason: DropReason,
        n: u64,
    ) {
        if n == 0 || self.state.consent != Consent::Granted {
            return;
        }
        self.state.totals.dropped.add(reason, n);
        let cursor = &mut self.state.lanes[index].cursors[ci];
        match cursor.dest {
            None => self.state.unreported.add(reason, n),
            Some(Kind::Sentry) => cursor.unreported.add(reason, n),
            Some(_) => {}
        }
        self.dirty = true;
    }

    /// Moves cursor `ci` past its first `len` items (delivered or dropped),
    /// then lets the lane forget what every cursor is done with.
    fn pass_items(&mut self, index: usize, ci: usize, len: usize) {
        let lane = &mut self.state.lanes[index];
        let start = lane.start_of(lane.cursors[ci].floor);
        if len > 0 {
            if let Some(last) = lane.items.get(start + len - 1) {
                lane.cursors[ci].floor = last.seq + 1;
            }
        }
        self.settle_lane(index);
    }

    /// Drops what a rate-limited Sentry cursor would send now: Sentry counts
    /// it server side too; the client report says `ratelimit_backoff`.
    fn drop_rate_limited(&mut self, index: usize, ci: usize) {
        let lane = &mut self.state.lanes[index];
        let start = lane.start_of(lane.cursors[ci].floor);
        let n = lane.items.len() - start;
        if let Some(batch) = lane.cursors[ci].batch.take() {
            self.hand_back(index, ci, &batch.dropped);
        }
        self.count_cursor_drops(index, ci, DropReason::RateLimitBackoff, n as u64);
        self.pass_items(index, ci, n);
        self.dirty = true;
    }

    fn build_request(
        &self,
        index: usize,
        ci: usize,
        id: RequestId,
        now: Millis,
    ) -> Option<Request> {
        let lane = &self.state.lanes[index];
        let cursor = &lane.cursors[ci];
        let batch = cursor.batch.as_ref().expect("a batch is being sent");
        let start = lane.start_of(cursor.floor);
        let items = lane
            .items
            .get(start..start + batch.len)
            .unwrap_or_default()
            .iter();
        let anonymous_id = self.state.anonymous_id.as_deref().unwrap_or_default();
        let mut request = Request {
            id,
            endpoint: lane.endpoint,
            dest: cursor.dest,
            url: String::new(),
            headers: Vec::new(),
            content_type: "application/json",
            batch_id: batch.id.clone(),
            body: String::new(),
            item_count: batch.len,
        };
        let Some(kind) = cursor.dest else {
            let mut bytes = 0;
            for item in items.clone() {
                bytes += item.wire_len();
            }
            let session_id = lane.items.get(start).map_or("", |i| i.session_id.as_str());
            let sent_at = format_rfc3339(now);
            let envelope = Envelope {
                batch_id: &batch.id,
                sent_at: &sent_at,
                anonymous_id,
                session_id,
                context: &self.context,
                dropped: &batch.dropped,
            };
            let timings = lane.endpoint == Endpoint::Performance;
            request.body = batch_body(&envelope, bytes, |out| {
                for (i, item) in items.enumerate() {
                    if i > 0 {
                        out.push_byte(b',');
                    }
                    if timings {
                        out.push_str(without_otlp_tail(&item.json));
                        out.push_byte(b'}');
                    } else {
                        item.write_wire(out);
                    }
                }
            });
            request
                .headers
                .push(("X-Batch-Id".to_owned(), batch.id.clone()));
            return Some(request);
        };
        // Every other destination encodes the stored v1 items at send time.
        // Loops rather than `collect`: each collect into a new element type
        // links its own copy of std's iterator-to-`Vec` code.
        let mut texts = Vec::with_capacity(batch.len);
        for item in items {
            let mut text = String::with_capacity(item.wire_len() + 8);
            item.write_wire(&mut text);
            if lane.endpoint == Endpoint::Performance && kind != Kind::Otlp {
                let cut = without_otlp_tail(&text).len();
                text.truncate(cut);
                text.push_byte(b'}');
            }
            texts.push(text);
        }
        let mut refs = Vec::with_capacity(texts.len());
        for text in &texts {
            refs.push(text.as_str());
        }
        let meta = crate::core::dest::Meta {
            app_name: &self.routes.app_name,
            context: &self.context,
            anonymous_id,
            now,
        };
        self.encode(
            kind,
            lane.endpoint,
            &meta,
            &refs,
            &batch.dropped,
            &mut request,
        )
        .then_some(request)
    }

    /// Writes the body, URL and headers of a request to `kind`; false when
    /// nothing in the batch can go there.
    fn encode(
        &self,
        kind: Kind,
        endpoint: Endpoint,
        meta: &crate::core::dest::Meta,
        items: &[&str],
        dropped: &crate::core::wire::DropCounts,
        request: &mut Request,
    ) -> bool {
        use crate::core::dest::{otlp, posthog, sentry};
        let dests = &self.routes.destinations;
        let body = &mut request.body;
        match kind {
            Kind::Sentry => {
                let Some(options) = dests.sentry.as_ref() else {
                    return false;
                };
                request.url = options.dsn.envelope_url();
                request.content_type = "application/x-sentry-envelope";
                let category = sentry_category(endpoint).unwrap_or("error");
                let drops = sentry::drops_of(dropped, category);
                let Some(item) = items.first() else {
                    return false;
                };
                if !sentry::envelope(meta, item, &drops, body) {
                    sentry::client_report_envelope(meta, &drops, body);
                }
            }
            Kind::Otlp => {
                let Some(options) = dests.otlp.as_ref() else {
                    return false;
                };
                request.headers = options.headers.clone();
                if endpoint == Endpoint::Performance {
                    request.url = options.endpoint.clone() + "/v1/metrics";
                    super::timing::otlp_metrics(meta, items, body);
                } else {
                    request.url = options.endpoint.clone() + "/v1/logs";
                    otlp::logs(meta, items, body);
                }
            }
            Kind::Posthog => {
                let Some(options) = dests.posthog.as_ref() else {
                    return false;
                };
                request.url = options.host.clone() + posthog::BATCH_PATH;
                posthog::batch(options, meta, items, body);
            }
        }
        !body.is_empty()
    }

    /// Takes in chunks read for an [`Action::Read`]: `values[i]` is the value
    /// of `keys[i]` (`None` if absent). `values` is `None` when the read
    /// failed: the chunks stay unread and are asked for again later.
    pub fn on_read(&mut self, keys: &[String], mut values: Option<Vec<Option<String>>>) {
        let mut per_lane: [Vec<(u64, Option<String>)>; 4] = Default::default();
        let mut asked = [false; 4];
        for (at, key) in keys.iter().enumerate() {
            let Some((index, chunk)) = super::log::parse_chunk_key(key) else {
                continue;
            };
            asked[index] = true;
            if let Some(values) = values.as_mut() {
                // Taken, not cloned: each index is visited once.
                let value = values.get_mut(at).and_then(Option::take);
                per_lane[index].push((chunk, value));
            }
        }
        for index in 0..4 {
            if !asked[index] || !self.reading[index] {
                continue;
            }
            self.reading[index] = false;
            if values.is_none() {
                continue;
            }
            let chunks = std::mem::take(&mut per_lane[index]);
            let (corrupt, dead) = self.state.lanes[index].take_read(chunks);
            // Lost for every destination of the lane (which of them had
            // passed an item that cannot be read is unknown: an upper bound).
            let cursors = self.state.lanes[index].cursors.len().max(1) as u64;
            self.corrupt += corrupt * cursors;
            self.report_corrupt();
            push_chunk_keys(&mut self.state.garbage, index, dead);
            self.apply_folds(index);
            self.dirty = true;
        }
        self.poll_needed = true;
    }

    /// Counts folded into stored errors after they were written.
    fn apply_folds(&mut self, index: usize) {
        if self.state.lanes[index].endpoint != Endpoint::Errors || self.state.folds.is_empty() {
            return;
        }
        let folds = &self.state.folds;
        for item in self.state.lanes[index].items.iter_mut() {
            if let Some((_, count)) = folds.iter().find(|(seq, _)| *seq == item.seq) {
                item.count = item.count.max(*count);
            }
        }
    }

    /// The lane and cursor whose batch request `id` carries.
    fn carrier(&self, id: RequestId) -> Option<(usize, usize)> {
        self.state
            .lanes
            .iter()
            .enumerate()
            .find_map(|(index, lane)| {
                lane.cursors
                    .iter()
                    .position(|c| c.batch.as_ref().is_some_and(|b| b.in_flight == Some(id)))
                    .map(|ci| (index, ci))
            })
    }

    /// True while request `id` still matters: false once its batch was purged
    /// (consent revoked), so a request built just before must not go out.
    pub fn is_in_flight(&self, id: RequestId) -> bool {
        self.state
            .deletion
            .as_ref()
            .is_some_and(|d| d.in_flight == Some(id))
            || self.carrier(id).is_some()
            || self.is_health_request(id)
    }

    /// True while any request is out.
    pub fn has_in_flight(&self) -> bool {
        self.state
            .deletion
            .as_ref()
            .is_some_and(|d| d.in_flight.is_some())
            || self
                .state
                .lanes
                .iter()
                .any(|l| l.cursors.iter().any(Cursor::in_flight))
            || self.health_in_flight.is_some()
    }

    /// True when anything waits for delivery (items, a deletion request, timings).
    pub fn has_pending(&self) -> bool {
        self.state.deletion.is_some() || self.held_items() > 0 || !self.state.timings.is_empty()
    }

    /// Tells the engine how a request ended (no headers beyond `Retry-After`
    /// and no body read: enough for the v1 collector).
    pub fn on_outcome(
        &mut self,
        id: RequestId,
        outcome: &Outcome,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) {
        self.on_response(id, outcome, None, None, now, entropy);
    }

    /// Tells the engine how a request ended, with what other destinations
    /// need: Sentry's `X-Sentry-Rate-Limits` header (applied whatever the
    /// status) and, for an OTLP 2xx, the body (`partialSuccess`).
    pub fn on_response(
        &mut self,
        id: RequestId,
        outcome: &Outcome,
        rate_limits: Option<&str>,
        body: Option<&str>,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) {
        let (code, retry_after) = match outcome {
            Outcome::Status { code, retry_after } => (Some(*code), retry_after.as_deref()),
            Outcome::NetworkError => (None, None),
        };
        if self.is_health_request(id) {
            let answer = Response {
                status: code,
                retry_after,
                rate_limits,
                body: None,
            };
            self.apply_rate_limits(&answer, now);
            let verdict = response::classify(Kind::Sentry, &answer, now);
            if let response::Verdict::Retry {
                not_before: Some(at),
            } = verdict
            {
                let gate = &mut self.state.gates[Kind::Sentry as usize];
                *gate = (*gate).max(at);
            }
            let delivered = matches!(verdict, response::Verdict::Delivered { .. });
            let retry = matches!(verdict, response::Verdict::Retry { .. });
            self.health_outcome(delivered, retry, now, entropy.unit_f64());
            self.poll_needed = true;
            return;
        }
        let carrier = self.carrier(id);
        let is_deletion = self
            .state
            .deletion
            .as_ref()
            .is_some_and(|d| d.in_flight == Some(id));
        if carrier.is_none() && !is_deletion {
            return; // purged while in flight (consent revoked): forget it.
        }
        self.dirty = true;
        self.poll_needed = true;
        let dest = carrier.and_then(|(index, ci)| self.state.lanes[index].cursors[ci].dest);
        // One decision for every destination: the v1 collector's rules
        // (`backoff::classify`), or the backend's (`dest::response`).
        let decision = match dest {
            None => match classify(outcome) {
                Verdict::Delivered => response::Verdict::Delivered { rejected: 0 },
                Verdict::Rejected => response::Verdict::Rejected,
                Verdict::Retry => response::Verdict::Retry { not_before: None },
            },
            Some(kind) => {
                let answer = Response {
                    status: code,
                    retry_after,
                    rate_limits,
                    body,
                };
                if kind == Kind::Sentry {
                    self.apply_rate_limits(&answer, now);
                }
                response::classify(kind, &answer, now)
            }
        };
        if let Some(code) = code {
            let asked = retry_after.and_then(|v| retry_after_delay(v, now));
            let wait = match (asked, code) {
                (Some(ms), _) => Some(ms),
                (None, 429) => Some(self.policy.default_rate_limit_ms),
                _ => None,
            };
            let retrying = matches!(decision, response::Verdict::Retry { .. });
            if let Some(ms) = wait.filter(|_| retrying) {
                let until = now.saturating_add(ms.min(self.policy.retry_max_delay_ms));
                let gate = match dest {
                    None => &mut self.state.not_before,
                    Some(kind) => &mut self.state.gates[kind as usize],
                };
                *gate = (*gate).max(until);
            }
        }
        let policy = &self.policy;
        // A network error (offline, DNS, timeout) is not the destination
        // saying no: it never exhausts the retries, so a week offline loses
        // nothing but what the queue and storage bounds drop.
        let offline = matches!(outcome, Outcome::NetworkError);
        // When attempt number `attempts` (failed so far) may go again, or
        // `None` once `answered` failures reach `retry.maxAttempts`.
        let mut retry_time = |attempts: u32, answered: u32| {
            (offline || answered < policy.retry_max_attempts).then(|| {
                let delay = full_jitter_delay(
                    attempts,
                    policy.retry_base_delay_ms,
                    policy.retry_max_delay_ms,
                    entropy.unit_f64(),
                );
                now.saturating_add(delay)
            })
        };
        if is_deletion {
            let deletion = self.state.deletion.as_mut().expect("checked above");
            deletion.in_flight = None;
            if matches!(decision, response::Verdict::Retry { .. }) {
                deletion.attempts = deletion.attempts.saturating_add(1);
                if let Some(at) = retry_time(deletion.attempts, deletion.attempts) {
                    deletion.retry_at = at;
                    return;
                }
            }
            self.state.deletion = None;
            return;
        }
        let (index, ci) = carrier.expect("checked above");
        let cursor = &mut self.state.lanes[index].cursors[ci];
        let batch = cursor
            .batch
            .as_mut()
            .expect("the cursor's batch is in flight");
        batch.in_flight = None;
        let (lost, partly) = match decision {
            response::Verdict::Delivered { rejected } => (None, rejected),
            response::Verdict::Rejected => (Some(DropReason::Rejected), 0),
            response::Verdict::RateLimited => (Some(DropReason::RateLimitBackoff), 0),
            response::Verdict::Retry { not_before } => {
                cursor.attempts = cursor.attempts.saturating_add(1);
                if !offline {
                    cursor.answered = cursor.answered.saturating_add(1);
                }
                if let Some(at) = retry_time(cursor.attempts, cursor.answered) {
                    cursor.retry_at = at.max(not_before.unwrap_or(0));
                    self.state.totals.retries += 1;
                    return;
                }
                (Some(DropReason::RetryExhausted), 0)
            }
        };
        cursor.attempts = 0;
        cursor.answered = 0;
        cursor.retry_at = 0;
        let batch = cursor
            .batch
            .take()
            .expect("the cursor's batch is in flight");
        let carried = batch.len as u64;
        match lost {
            None => {
                let rejected = partly.min(carried);
                self.state.totals.sent += carried - rejected;
                self.count_cursor_drops(index, ci, DropReason::Rejected, rejected);
            }
            Some(reason) => {
                // Hand the carried drop counters back so the next batch reports them.
                self.hand_back(index, ci, &batch.dropped);
                self.count_cursor_drops(index, ci, reason, carried);
            }
        }
        self.pass_items(index, ci, batch.len);
    }

    /// Sentry's rate limits from one answer, onto every Sentry cursor by
    /// the category of its lane, and onto release health (`session`).
    fn apply_rate_limits(&mut self, answer: &Response, now: Millis) {
        let mut limits = RateLimits::default();
        limits.update(answer, now);
        let health = &mut self.state.health;
        health.limited_until = health.limited_until.max(limits.session);
        for lane in &mut self.state.lanes {
            let Some(category) = sentry_category(lane.endpoint) else {
                continue;
            };
            let until = limits.until(category);
            for cursor in &mut lane.cursors {
                if cursor.dest == Some(Kind::Sentry) {
                    cursor.limited_until = cursor.limited_until.max(until);
                }
            }
        }
    }

    /// Asks for everything to be sent now: age thresholds and jittered backoff
    /// are skipped; `Retry-After` is still honoured.
    pub fn request_flush(&mut self, now: Millis) {
        self.flush_requested = true;
        self.poll_needed = true;
        for lane in &mut self.state.lanes {
            for cursor in &mut lane.cursors {
                cursor.retry_at = cursor.retry_at.min(now);
            }
        }
        if let Some(deletion) = self.state.deletion.as_mut() {
            deletion.retry_at = deletion.retry_at.min(now);
        }
    }

    /// Ends a flush started with [`Engine::request_flush`].
    pub fn end_flush(&mut self) {
        self.flush_requested = false;
    }
}
