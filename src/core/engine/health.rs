//! Release health for Sentry (`docs/destinations.md`, "Release health"): the
//! engine's sessions as Sentry `session` updates, so Sentry's crash-free rate
//! works for an extension's worker.
//!
//! A session starts at the first activity after `session_idle_ms` without any
//! (the engine's own session); each captured error counts in `errors`; an
//! unhandled one (`onerror`, `onunhandledrejection`) makes it `crashed`. A
//! session that ends (a new one starts) is sent once more as `exited` (or
//! `crashed`). Updates are owed, not queued: the record keeps the current
//! session and the ended ones not yet delivered, and one request carries them
//! all.
//!
//! Sentry's `session` rate limit (`X-Sentry-Rate-Limits` naming `session`, or
//! all categories) holds updates back the way a limit on `error` holds
//! errors back: an update that comes due while the limit runs is not sent,
//! and is counted as `ratelimit_backoff` under the `session` category, as
//! Sentry's own SDKs count what they discard under a limit. Nothing is lost
//! for the current session: the next change sends its whole state again.
//!
//! The same request carries Sentry's `client_report` of drops that found no
//! envelope to ride on (no error or feedback was sent since): drops alone are
//! sent one flush interval after the first of them, so a burst of drops
//! makes one report.

use crate::core::backoff::full_jitter_delay;
use crate::core::dest::sentry::{self, SessionStatus, SessionUpdate};
use crate::core::dest::Kind;
use crate::core::time::Millis;
use crate::core::wire::{DropCounts, DropReason, Endpoint};

use super::{Engine, Request, RequestId};

/// Ended sessions kept for delivery; older ones are forgotten (Sentry then
/// sees them as still open, which its own timeout resolves as `abnormal`).
pub(crate) const MAX_ENDED: usize = 16;

/// One session as Sentry last needs to hear of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Health {
    /// The engine's session ID (Sentry's `sid`).
    pub sid: String,
    /// When it started.
    pub started: Millis,
    /// Its last activity (the update's `timestamp`).
    pub last: Millis,
    /// Errors captured in it.
    pub errors: u64,
    /// An unhandled error ended it.
    pub crashed: bool,
    /// Sentry has acknowledged an update with `init: true`.
    pub init_sent: bool,
    /// Changed since the last delivered update.
    pub changed: bool,
    /// Counts changes, so an answer tells whether the update it carried is
    /// still the latest (not persisted: nothing is in flight after a restart).
    pub version: u64,
}

/// What the engine keeps for release health.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HealthState {
    /// The current session.
    pub current: Option<Health>,
    /// Ended sessions whose final update is owed.
    pub ended: Vec<Health>,
    /// No update request before this time (first change + the error delay,
    /// or a backoff).
    pub due: Option<Millis>,
    /// Failed attempts in a row.
    pub attempts: u32,
    /// When Sentry cursors first held drops that no envelope has carried
    /// (not persisted: a restart starts the wait again).
    pub drops_at: Option<Millis>,
    /// Sentry's `session` category is rate-limited until then.
    pub limited_until: Millis,
    /// Session updates discarded under that limit, not yet in a
    /// `client_report` (category `session`).
    pub unreported: DropCounts,
}

/// The request carrying updates now: how many ended sessions it holds, and
/// whether it carries the current one (and which version of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HealthInFlight {
    pub id: RequestId,
    pub ended: usize,
    pub current: Option<u64>,
    /// The drop counts it reports, by lane: handed back if it fails.
    pub drops: Vec<(usize, DropCounts)>,
    /// The session updates it reports as discarded: handed back if it fails.
    pub session_drops: DropCounts,
}

impl Engine {
    fn sends_health(&self) -> bool {
        self.routes.destinations.sentry.is_some()
    }

    /// A session started at `now` (the previous one, if any, ended).
    pub(crate) fn health_session_started(&mut self, sid: &str, now: Millis) {
        if !self.sends_health() {
            return;
        }
        let health = &mut self.state.health;
        if let Some(old) = health.current.take() {
            if health.ended.len() == MAX_ENDED {
                health.ended.remove(0);
            }
            health.ended.push(old);
        }
        health.current = Some(Health {
            sid: sid.to_owned(),
            started: now,
            last: now,
            errors: 0,
            crashed: false,
            init_sent: false,
            changed: true,
            version: 0,
        });
        self.health_changed(now);
    }

    /// Activity in the current session (a recording call).
    pub(crate) fn health_touched(&mut self, now: Millis) {
        if let Some(current) = self.state.health.current.as_mut() {
            current.last = current.last.max(now);
        }
    }

    /// An error was captured; `unhandled` for `onerror` and `onunhandledrejection`.
    pub(crate) fn health_error(&mut self, unhandled: bool, now: Millis) {
        let Some(current) = self.state.health.current.as_mut() else {
            return;
        };
        current.errors += 1;
        current.crashed |= unhandled;
        current.changed = true;
        current.version += 1;
        self.health_changed(now);
    }

    fn health_changed(&mut self, now: Millis) {
        let delay = self.policy.error_flush_delay_ms;
        let health = &mut self.state.health;
        if health.due.is_none() {
            health.due = Some(now.saturating_add(delay));
        }
        self.dirty = true;
        self.poll_needed = true;
    }

    /// Discards the session updates due while Sentry's `session` category
    /// is rate-limited, counting each for the next `client_report`.
    pub(crate) fn drop_limited_sessions(&mut self, now: Millis) {
        let flush = self.flush_requested;
        let health = &mut self.state.health;
        if health.limited_until <= now || !(flush || health.due.unwrap_or(0) <= now) {
            return;
        }
        let current = health.current.as_mut().filter(|c| c.changed);
        let n = health.ended.len() as u64 + u64::from(current.is_some());
        if n == 0 {
            return;
        }
        // Not `init_sent`: the first update Sentry accepts still says `init`.
        if let Some(current) = current {
            current.changed = false;
        }
        health.ended.clear();
        health.due = None;
        health.unreported.add(DropReason::RateLimitBackoff, n);
        self.dirty = true;
    }

    /// Notes when Sentry cursors (or the discarded session updates) started
    /// holding drops that no envelope carried yet.
    pub(crate) fn note_sentry_drops(&mut self, now: Millis) {
        let held = self.state.health.unreported != DropCounts::default()
            || self.state.lanes.iter().any(|lane| {
                lane.cursors
                    .iter()
                    .any(|c| c.dest == Some(Kind::Sentry) && c.unreported != DropCounts::default())
            });
        let drops_at = &mut self.state.health.drops_at;
        *drops_at = if held {
            Some(drops_at.unwrap_or(now))
        } else {
            None
        };
    }

    /// When an update request is due (`None`: nothing owed or one is out).
    pub(crate) fn health_due(&self) -> Option<Millis> {
        let health = &self.state.health;
        if self.health_in_flight.is_some() || !self.sends_health() {
            return None;
        }
        let sessions = (!health.ended.is_empty()
            || health.current.as_ref().is_some_and(|c| c.changed))
        .then(|| health.due.unwrap_or(0));
        let drops = health
            .drops_at
            .map(|at| at.saturating_add(self.policy.flush_interval_ms));
        let due = match (sessions, drops) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        let due = if self.flush_requested { 0 } else { due };
        Some(due.max(self.gate(Some(Kind::Sentry))))
    }

    /// The update request: every ended session and the current one if it
    /// changed, and the drops no envelope carried, in one envelope.
    pub(crate) fn health_request(&mut self, id: RequestId, now: Millis) -> Option<Request> {
        let options = self.routes.destinations.sentry.as_ref()?;
        let url = options.dsn.envelope_url();
        let health = &self.state.health;
        let did = self.state.anonymous_id.as_deref().unwrap_or_default();
        let environment = self.context.environment.as_str();
        let mut body = String::with_capacity(320 * (health.ended.len() + 2));
        sentry::push_header(None, now, &mut body);
        // Sentry drops sessions without a release (no app version): then
        // only the drops go.
        let release = sentry::release(&self.routes.app_name, &self.context.app_version);
        let mut ended = 0;
        let mut current = None;
        // Under a `session` limit the updates wait for
        // `drop_limited_sessions`: this request carries only drops.
        let limited = health.limited_until > now;
        if let Some(release) = release.as_deref().filter(|_| !limited) {
            let update = |session, over| session_update(session, over, did, release, environment);
            for session in &health.ended {
                sentry::push_session_item(&update(session, true), &mut body);
            }
            ended = health.ended.len();
            if let Some(session) = health.current.as_ref().filter(|c| c.changed) {
                sentry::push_session_item(&update(session, false), &mut body);
                current = Some(session.version);
            }
        }
        let mut drops = Vec::new();
        for (index, lane) in self.state.lanes.iter_mut().enumerate() {
            // Sentry cursors sit only in the lanes it has a category for.
            let Some(category) = super::delivery::sentry_category(lane.endpoint) else {
                continue;
            };
            for cursor in lane
                .cursors
                .iter_mut()
                .filter(|c| c.dest == Some(Kind::Sentry))
            {
                let taken = std::mem::take(&mut cursor.unreported);
                if taken != DropCounts::default() {
                    sentry::push_client_report(&sentry::drops_of(&taken, category), &mut body);
                    drops.push((index, taken));
                }
            }
        }
        let session_drops = std::mem::take(&mut self.state.health.unreported);
        if session_drops != DropCounts::default() {
            sentry::push_client_report(&sentry::drops_of(&session_drops, "session"), &mut body);
        }
        self.state.health.drops_at = None;
        if ended == 0
            && current.is_none()
            && drops.is_empty()
            && session_drops == DropCounts::default()
        {
            // Nothing to say (sessions without a release, or held back by
            // a limit): forget what has no release, keep the limit.
            if !limited {
                self.state.health = HealthState::default();
            }
            return None;
        }
        self.health_in_flight = Some(HealthInFlight {
            id,
            ended,
            current,
            drops,
            session_drops,
        });
        Some(Request {
            id,
            endpoint: Endpoint::Errors,
            dest: Some(Kind::Sentry),
            url,
            headers: Vec::new(),
            content_type: "application/x-sentry-envelope",
            batch_id: String::new(),
            body,
            item_count: 0,
        })
    }

    /// True if `id` is the update request.
    pub(crate) fn is_health_request(&self, id: RequestId) -> bool {
        self.health_in_flight.as_ref().is_some_and(|f| f.id == id)
    }

    /// How the update request ended: delivered (forget what it carried),
    /// to retry (after a backoff), or refused (forget it too).
    pub(crate) fn health_outcome(&mut self, delivered: bool, retry: bool, now: Millis, unit: f64) {
        let Some(sent) = self.health_in_flight.take() else {
            return;
        };
        if retry {
            // The drops it carried are reported by a later envelope.
            for (index, counts) in &sent.drops {
                for cursor in self.state.lanes[*index].cursors.iter_mut() {
                    if cursor.dest == Some(Kind::Sentry) {
                        cursor.unreported.merge(counts);
                    }
                }
            }
            self.state.health.unreported.merge(&sent.session_drops);
        }
        let health = &mut self.state.health;
        if retry {
            health.attempts = health.attempts.saturating_add(1);
            let delay = full_jitter_delay(
                health.attempts,
                self.policy.retry_base_delay_ms,
                self.policy.retry_max_delay_ms,
                unit,
            );
            health.due = Some(now.saturating_add(delay));
            return;
        }
        health.attempts = 0;
        health.ended.drain(..sent.ended.min(health.ended.len()));
        if let (Some(current), Some(carried)) = (health.current.as_mut(), sent.current) {
            current.init_sent |= delivered;
            // Unchanged since it was sent: nothing more is owed.
            if current.version == carried {
                current.changed = false;
            }
        }
        let owed = !health.ended.is_empty() || health.current.as_ref().is_some_and(|c| c.changed);
        health.due = owed.then_some(now);
        self.dirty = true;
    }
}

/// The update Sentry gets for `session` (`ended`: it will see no more).
fn session_update<'a>(
    session: &'a Health,
    ended: bool,
    did: &'a str,
    release: &'a str,
    environment: &'a str,
) -> SessionUpdate<'a> {
    SessionUpdate {
        sid: &session.sid,
        did,
        init: !session.init_sent,
        started: session.started,
        now: session.last,
        errors: session.errors,
        status: SessionStatus::of(session.crashed, ended),
        release,
        environment,
    }
}
