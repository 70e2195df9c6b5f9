//! Delivery: when a lane becomes a batch, which request goes out next, and
//! what each outcome does to the lane's backoff. The deletion request has its
//! own slot: it carries no items and is the only request after a revoke.

use crate::core::backoff::{classify, full_jitter_delay, retry_after_delay, Outcome, Verdict};
use crate::core::ids::Entropy;
use crate::core::policy::ENVELOPE_RESERVE;
use crate::core::time::{format_rfc3339, Millis};
use crate::core::wire::{batch_body, deletion_body, DropReason, Endpoint, Envelope};

use super::lane::Batch;
use super::log::chunk_key;
use super::{Consent, Engine};

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

impl Engine {
    /// True when a recording since the last [`Engine::poll`] may have changed
    /// its answer (a first item sets a deadline, a full lane is due now).
    pub fn poll_needed(&self) -> bool {
        self.poll_needed
    }

    /// The age after which a lane is sent.
    fn flush_delay(&self, endpoint: Endpoint) -> Millis {
        match endpoint {
            Endpoint::Errors => self.policy.error_flush_delay_ms,
            _ => self.policy.flush_interval_ms,
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
        for lane in &mut self.state.lanes {
            lane.retry_at = lane.retry_at.min(latest(lane.attempts));
        }
        if let Some(deletion) = self.state.deletion.as_mut() {
            deletion.retry_at = deletion.retry_at.min(latest(deletion.attempts));
        }
        let gate = now.saturating_add(policy.retry_max_delay_ms);
        self.state.not_before = self.state.not_before.min(gate);
        for series in &mut self.state.timings {
            series.opened_at = series.opened_at.min(now);
        }
    }

    /// When the lane at `index` must become a batch (`None` if empty): when
    /// full or old enough, and never while its backoff runs, so a batch formed
    /// after a failure carries everything that waited. An item recorded
    /// after `now` (the clock went back) is overdue: its age is unknown, and
    /// sending early is harmless while holding it for the jump is not.
    fn lane_due_at(&self, index: usize, now: Millis) -> Option<Millis> {
        let lane = &self.state.lanes[index];
        let (_, oldest_at) = lane.front()?;
        let full = lane.len() >= self.policy.batch_max_events
            || lane.total_bytes() + ENVELOPE_RESERVE >= self.policy.batch_max_bytes;
        let due = if full || self.flush_requested || oldest_at > now {
            0
        } else {
            oldest_at.saturating_add(self.flush_delay(lane.endpoint))
        };
        Some(due.max(lane.retry_at))
    }

    fn form_batch(&mut self, index: usize, entropy: &mut dyn Entropy) {
        let budget = self.policy.batch_max_bytes.saturating_sub(ENVELOPE_RESERVE);
        let max_events = self.policy.batch_max_events;
        let lane = &self.state.lanes[index];
        let Some(first) = lane.items.front() else {
            return;
        };
        let mut len = 0;
        let mut bytes = 0;
        for item in &lane.items {
            let size = item.wire_len();
            let fits = len == 0 || (len < max_events && bytes + size <= budget);
            if !fits || item.session_id != first.session_id {
                break;
            }
            bytes += size;
            len += 1;
        }
        let dropped = std::mem::take(&mut self.state.unreported);
        self.state.lanes[index].batch = Some(Batch {
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
        let gate = self.state.not_before;
        let mut wake = None;
        let mut reads = Vec::new();
        let mut reading = [false; 4];
        // By index: the loop calls `&mut self` methods between lane reads.
        #[allow(clippy::needless_range_loop)]
        for index in 0..4 {
            if !granted || self.state.lanes[index].in_flight() {
                continue;
            }
            let lane = &self.state.lanes[index];
            let due = if lane.batch.is_some() {
                Some(lane.retry_at)
            } else {
                self.lane_due_at(index, now)
            };
            let Some(at) = due.map(|due| due.max(gate)) else {
                continue;
            };
            if at > now {
                earliest(&mut wake, at);
                continue;
            }
            if let Some(chunks) = lane.unread_chunks() {
                if !self.reading[index] {
                    reads.extend(chunks.map(|n| chunk_key(index, n)));
                    reading[index] = true;
                }
                continue;
            }
            if lane.batch.as_ref().is_some_and(|b| b.len == 0) {
                // Its items left while it waited (evicted, or their chunk
                // was gone after a restart): it must not block the lane.
                let empty = self.state.lanes[index].batch.take().expect("checked");
                self.state.unreported.merge(&empty.dropped);
                self.dirty = true;
            }
            if self.state.lanes[index].batch.is_none() {
                self.form_batch(index, entropy);
            }
            let id = self.next_request();
            let lane = &mut self.state.lanes[index];
            let Some(batch) = lane.batch.as_mut().filter(|b| b.len > 0) else {
                continue;
            };
            batch.in_flight = Some(id);
            return Action::Send(self.build_request(index, id, now));
        }
        if !reads.is_empty() {
            for (flag, now_reading) in self.reading.iter_mut().zip(reading) {
                *flag |= now_reading;
            }
            return Action::Read(reads);
        }
        if let Some(deletion) = self
            .state
            .deletion
            .as_ref()
            .filter(|d| d.in_flight.is_none())
        {
            let at = deletion.retry_at.max(gate);
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

    fn build_request(&self, index: usize, id: RequestId, now: Millis) -> Request {
        let lane = &self.state.lanes[index];
        let batch = lane.batch.as_ref().expect("a batch is being sent");
        let items = lane.items.range(..batch.len);
        let bytes: usize = lane.items.range(..batch.len).map(|i| i.wire_len()).sum();
        let session_id = lane.items.front().map_or("", |i| i.session_id.as_str());
        let sent_at = format_rfc3339(now);
        let envelope = Envelope {
            batch_id: &batch.id,
            sent_at: &sent_at,
            anonymous_id: self.state.anonymous_id.as_deref().unwrap_or_default(),
            session_id,
            context: &self.context,
            dropped: &batch.dropped,
        };
        let body = batch_body(&envelope, bytes, |out| {
            for (i, item) in items.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                item.write_wire(out);
            }
        });
        Request {
            id,
            endpoint: lane.endpoint,
            batch_id: batch.id.clone(),
            body,
            item_count: batch.len,
        }
    }

    /// Takes in chunks read for an [`Action::Read`]: `values[i]` is the value
    /// of `keys[i]` (`None` if absent). `values` is `None` when the read
    /// failed: the chunks stay unread and are asked for again later.
    pub fn on_read(&mut self, keys: &[String], values: Option<Vec<Option<String>>>) {
        let mut per_lane: [Vec<(u64, Option<String>)>; 4] = Default::default();
        let mut asked = [false; 4];
        let values = values.map(|v| v.into_iter().map(Some).collect::<Vec<_>>());
        for (at, key) in keys.iter().enumerate() {
            let Some((index, chunk)) = super::log::parse_chunk_key(key) else {
                continue;
            };
            asked[index] = true;
            if let Some(values) = &values {
                per_lane[index].push((chunk, values.get(at).cloned().flatten().flatten()));
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
            self.corrupt += corrupt;
            self.report_corrupt();
            self.state.garbage.extend(dead.map(|n| chunk_key(index, n)));
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

    /// True while request `id` still matters: false once its batch was purged
    /// (consent revoked), so a request built just before must not go out.
    pub fn is_in_flight(&self, id: RequestId) -> bool {
        self.state
            .deletion
            .as_ref()
            .is_some_and(|d| d.in_flight == Some(id))
            || self
                .state
                .lanes
                .iter()
                .any(|l| l.batch.as_ref().is_some_and(|b| b.in_flight == Some(id)))
    }

    /// True while any request is out.
    pub fn has_in_flight(&self) -> bool {
        self.state
            .deletion
            .as_ref()
            .is_some_and(|d| d.in_flight.is_some())
            || self.state.lanes.iter().any(|l| l.in_flight())
    }

    /// True when anything waits for delivery (items, a deletion request, timings).
    pub fn has_pending(&self) -> bool {
        self.state.deletion.is_some() || self.held_items() > 0 || !self.state.timings.is_empty()
    }

    /// Tells the engine how a request ended.
    pub fn on_outcome(
        &mut self,
        id: RequestId,
        outcome: &Outcome,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) {
        let verdict = classify(outcome);
        let lane_index = self
            .state
            .lanes
            .iter()
            .position(|l| l.batch.as_ref().is_some_and(|b| b.in_flight == Some(id)));
        let is_deletion = self
            .state
            .deletion
            .as_ref()
            .is_some_and(|d| d.in_flight == Some(id));
        if lane_index.is_none() && !is_deletion {
            return; // purged while in flight (consent revoked): forget it.
        }
        self.dirty = true;
        self.poll_needed = true;
        if let Outcome::Status { code, retry_after } = outcome {
            let asked = retry_after
                .as_deref()
                .and_then(|v| retry_after_delay(v, now));
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
        let policy = &self.policy;
        // A network error (offline, DNS, timeout) is not the collector saying
        // no: it never exhausts the retries, so a week offline loses nothing
        // but what the queue and storage bounds drop.
        let offline = matches!(outcome, Outcome::NetworkError);
        // When attempt number `attempts` (failed so far) may go again, or
        // `None` once `answered` collector failures reach `retry.maxAttempts`.
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
            if verdict == Verdict::Retry {
                deletion.attempts = deletion.attempts.saturating_add(1);
                if let Some(at) = retry_time(deletion.attempts, deletion.attempts) {
                    deletion.retry_at = at;
                    return;
                }
            }
            self.state.deletion = None;
            return;
        }
        let index = lane_index.expect("checked above");
        let lane = &mut self.state.lanes[index];
        let batch = lane.batch.as_mut().expect("the lane's batch is in flight");
        batch.in_flight = None;
        let lost = match verdict {
            Verdict::Delivered => None,
            Verdict::Rejected => Some(DropReason::Rejected),
            Verdict::Retry => {
                lane.attempts = lane.attempts.saturating_add(1);
                if !offline {
                    lane.answered = lane.answered.saturating_add(1);
                }
                if let Some(at) = retry_time(lane.attempts, lane.answered) {
                    lane.retry_at = at;
                    self.state.totals.retries += 1;
                    return;
                }
                Some(DropReason::RetryExhausted)
            }
        };
        lane.attempts = 0;
        lane.answered = 0;
        lane.retry_at = 0;
        let batch = lane.batch.take().expect("the lane's batch is in flight");
        for _ in 0..batch.len {
            self.pop_lane_front(index);
        }
        let delivered = batch.len as u64;
        match lost {
            None => self.state.totals.sent += delivered,
            Some(reason) if self.state.consent == Consent::Granted => {
                // Hand the carried drop counters back so the next batch reports them.
                self.state.unreported.merge(&batch.dropped);
                self.state.unreported.add(reason, delivered);
                self.state.totals.dropped.add(reason, delivered);
            }
            Some(_) => {}
        }
    }

    /// Asks for everything to be sent now: age thresholds and jittered backoff
    /// are skipped; `Retry-After` is still honoured.
    pub fn request_flush(&mut self, now: Millis) {
        self.flush_requested = true;
        self.poll_needed = true;
        for lane in &mut self.state.lanes {
            lane.retry_at = lane.retry_at.min(now);
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
