//! The recording pipeline, one for every kind of item: gate on consent →
//! clean → scrub → build the wire JSON → `beforeSend` → accept into a lane.

use crate::core::fingerprint::fingerprint;
use crate::core::ids::Entropy;
use crate::core::json::{self, Json, Number, PushByte};
use crate::core::props::write_props;
use crate::core::sanitize::{clean_name, truncate_chars, Cleaning};
use crate::core::source::{web_origin, Source};
use crate::core::stack::parse_v8_stack;
use crate::core::time::{format_rfc3339, utc_day, Millis};
use crate::core::wire::items::{self, Cause};
use crate::core::wire::{DropReason, Endpoint};

use super::lane::{QueuedItem, NOT_STORED};
use super::{Consent, Engine, Session, BREADCRUMBS};

/// The `extra` key remembering the last UTC day a `daily_active` was sent.
const LAST_ACTIVE_DAY: &str = "last_active_day";
/// Error messages are cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 2_000;
/// Feedback contacts are cut to this many characters (an e-mail address fits).
const MAX_CONTACT_CHARS: usize = 320;
/// Stored errors whose count may still grow: bounds the record.
const MAX_FOLDS: usize = 64;

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

/// A captured error before it becomes an item (`error` in the wire format).
#[derive(Debug, Clone, Default)]
pub struct ErrorInput<'a> {
    /// `TypeError`, `DOMException`, `string`, ... (the wrapper decides).
    pub kind: &'a str,
    /// The message, unscrubbed.
    pub message: &'a str,
    /// V8 stack text, if any.
    pub stack: Option<&'a str>,
    /// The caller's context object, as JSON text.
    pub context: Option<&'a str>,
    /// The error's cause chain as JSON text, `[{"kind","message","stack"},…]`
    /// (the same three parts as the error, `stack` V8's text): the direct
    /// cause first, the root cause last. At most [`items::MAX_CAUSES`] are
    /// kept; the item's `causes` keep this order (`docs/destinations.md`).
    pub causes: Option<&'a str>,
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

impl Engine {
    /// Runs one recording call made by a page client (`connect()`) and
    /// forwarded by the worker: every item it records carries `source`.
    pub fn with_source<R>(&mut self, source: Source, call: impl FnOnce(&mut Engine) -> R) -> R {
        let outer = self.source.replace(source);
        let result = call(self);
        self.source = outer;
        result
    }

    /// Records a usage event, subject to `sampleRate`. Never fails: bad input
    /// is truncated or dropped with a reason.
    pub fn record_event(
        &mut self,
        name: &str,
        props: Option<&str>,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> Recorded {
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
            // A `Vec` rather than a `VecDeque`: shifting a few entries costs
            // less than the ring buffer's code in the wasm build.
            if self.state.breadcrumbs.len() == BREADCRUMBS {
                self.state.breadcrumbs.remove(0);
            }
            self.state.breadcrumbs.push((clean, now));
        }
        recorded
    }

    /// Records an event that sampling must not thin out (lifecycle events,
    /// `daily_active`, `slow_operation`): counts built from them stay true.
    pub fn record_unsampled_event(
        &mut self,
        name: &str,
        props: Option<&str>,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> Recorded {
        self.record_event_item(name, props, now, entropy).0
    }

    /// The front half every named item shares: consent, a usable name, scrubbed
    /// name and props (JSON text). `Err` is the call's result when it stops here.
    pub(crate) fn clean_named(
        &mut self,
        name: &str,
        props: Option<&str>,
        cleaning: &mut Cleaning,
    ) -> Result<(String, String), Recorded> {
        if self.state.consent != Consent::Granted {
            return Err(Recorded::NotConsented);
        }
        let Some(name) = clean_name(name, &self.policy, cleaning) else {
            self.count_drop(DropReason::Invalid);
            return Err(Recorded::Dropped(DropReason::Invalid));
        };
        let name = self.scrubber.scrub_text(&name).into_owned();
        let mut clean = String::with_capacity(props.map_or(2, str::len) + 16);
        write_props(
            props,
            &self.policy,
            &self.scrubber,
            &mut self.key_cache,
            cleaning,
            &mut clean,
        );
        Ok((name, clean))
    }

    /// Builds and queues an event item; also returns its cleaned, scrubbed name.
    fn record_event_item(
        &mut self,
        name: &str,
        props: Option<&str>,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> (Recorded, Option<String>) {
        let mut cleaning = Cleaning::default();
        let (name, props) = match self.clean_named(name, props, &mut cleaning) {
            Ok(clean) => clean,
            Err(recorded) => return (recorded, None),
        };
        let id = entropy.uuid_v4();
        let mut json = items::event_json(&id, &name, now, &props);
        if json.len() > self.policy.item_byte_limit() {
            cleaning.truncated = true;
            json = items::event_json(&id, &name, now, items::TRUNCATED_PROPS);
        }
        let recorded = self.accept_item(Endpoint::Events, json, None, cleaning, now, entropy);
        (recorded, Some(name))
    }

    /// Captures an error: parses and scrubs its stack, attaches breadcrumbs,
    /// and folds a repeat of a still-queued fingerprint into its `count`.
    /// Errors are never sampled.
    pub fn record_error(
        &mut self,
        input: ErrorInput<'_>,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> Recorded {
        if self.state.consent != Consent::Granted {
            return Recorded::NotConsented;
        }
        let mut cleaning = Cleaning::default();
        let Cause {
            kind,
            message,
            mut frames,
        } = self.clean_thrown(input.kind, input.message, input.stack, &mut cleaning);
        // The thrown error alone decides the fingerprint: the same failure
        // wrapped around a different cause is still the same failure here.
        let fingerprint = fingerprint(&kind, &message, &frames);
        // The wrapper names how it caught the error; uncaught ones crash the
        // session for release health.
        let unhandled = input.context.is_some_and(|c| {
            mentions(c, "\"mechanism\":\"onerror\"")
                || mentions(c, "\"mechanism\":\"onunhandledrejection\"")
        });
        if self.fold_repeat(&fingerprint) {
            self.health_error(unhandled, now);
            return Recorded::Accepted;
        }
        let mut causes = self.clean_causes(input.causes, &mut cleaning);
        let mut context = String::with_capacity(input.context.map_or(2, str::len) + 16);
        write_props(
            input.context,
            &self.policy,
            &self.scrubber,
            &mut self.key_cache,
            &mut cleaning,
            &mut context,
        );
        let id = entropy.uuid_v4();
        let crumbs = &self.state.breadcrumbs;
        let mut json = items::error_json(
            &id,
            now,
            &kind,
            &message,
            &frames,
            &fingerprint,
            &context,
            crumbs,
        );
        items::push_causes(&mut json, &causes);
        if json.len() > self.policy.item_byte_limit() {
            cleaning.truncated = true;
            frames.truncate(10);
            // A cause keeps its type and message, the part that explains.
            causes.iter_mut().for_each(|c| c.frames.clear());
            json = items::error_json(&id, now, &kind, &message, &frames, &fingerprint, "{}", &[]);
            // Without frames, causes fit unless their messages are huge:
            // then the item goes without them, as small as before causes.
            let mut with_causes = json.clone();
            items::push_causes(&mut with_causes, &causes);
            if with_causes.len() <= self.policy.item_byte_limit() {
                json = with_causes;
            }
        }
        let recorded = self.accept_item(
            Endpoint::Errors,
            json,
            Some(fingerprint),
            cleaning,
            now,
            entropy,
        );
        if recorded == Recorded::Accepted {
            self.health_error(unhandled, now);
        }
        recorded
    }

    /// An error's or a cause's type, message and frames, cleaned and
    /// scrubbed: the type as a name (`Error` if unusable), the message cut
    /// to [`MAX_MESSAGE_CHARS`], the frames parsed from V8's stack text.
    fn clean_thrown(
        &self,
        kind: &str,
        message: &str,
        stack: Option<&str>,
        cleaning: &mut Cleaning,
    ) -> Cause {
        let kind = clean_name(kind, &self.policy, cleaning).unwrap_or_else(|| "Error".to_owned());
        let kind = self.scrubber.scrub_text(&kind).into_owned();
        let cut = truncate_chars(message, MAX_MESSAGE_CHARS, cleaning);
        let message = self
            .scrubber
            .scrub_text(cut.as_deref().unwrap_or(message))
            .into_owned();
        let mut frames = stack.map(parse_v8_stack).unwrap_or_default();
        if self.source.is_some() {
            // A content script's error may pass through the page's scripts:
            // their frames stay, with the page's origin for a file.
            for file in frames.iter_mut().filter_map(|f| f.file.as_mut()) {
                if let Some(origin) = web_origin(file) {
                    *file = origin.to_owned();
                }
            }
        }
        for frame in &mut frames {
            for text in [&mut frame.function, &mut frame.file].into_iter().flatten() {
                if let std::borrow::Cow::Owned(clean) = self.scrubber.scrub_text(text) {
                    *text = clean;
                }
            }
        }
        Cause {
            kind,
            message,
            frames,
        }
    }

    /// The causes the wrapper found ([`ErrorInput::causes`]), each cleaned
    /// like the error. The text comes from a page as much as from our own
    /// wrapper: anything that is not a list of objects is ignored, a cause
    /// without a string `message` is skipped, at most [`items::MAX_CAUSES`].
    fn clean_causes(&self, causes: Option<&str>, cleaning: &mut Cleaning) -> Vec<Cause> {
        let Some(Ok(Json::Array(list))) = causes.map(json::parse) else {
            return Vec::new();
        };
        // A loop rather than `collect`: that links std's iterator-to-`Vec`
        // code for the element type.
        let mut out = Vec::new();
        for cause in &list {
            if out.len() == items::MAX_CAUSES {
                break;
            }
            let Some(message) = cause.get("message").and_then(Json::as_str) else {
                continue;
            };
            let text = |key| cause.get(key).and_then(Json::as_str);
            out.push(self.clean_thrown(
                text("kind").unwrap_or(""),
                message,
                text("stack"),
                cleaning,
            ));
        }
        out
    }

    /// Adds one to the count of a queued error with this fingerprint, if any
    /// (a stored one only while the record can remember its new count).
    fn fold_repeat(&mut self, fingerprint: &str) -> bool {
        let folds = &mut self.state.folds;
        let lane = &mut self.state.lanes[Endpoint::Errors.lane_index().unwrap_or(1)];
        // A batch may already have reached a destination: its items stay as sent.
        let touched = lane.touched();
        let Some(same) = lane
            .items
            .iter_mut()
            .skip(touched)
            .find(|item| item.fingerprint.as_deref() == Some(fingerprint))
        else {
            return false;
        };
        if same.chunk != NOT_STORED {
            match folds.iter().position(|(seq, _)| *seq == same.seq) {
                Some(at) => folds[at].1 = same.count + 1,
                None if folds.len() < MAX_FOLDS => folds.push((same.seq, same.count + 1)),
                None => return false,
            }
        }
        same.count += 1;
        self.dirty = true;
        true
    }

    /// User feedback (never sampled): `kind` is bug / idea / praise / other,
    /// `rating` 1-5, the message is scrubbed and capped; `contact` is the
    /// user's own choice to be reached, so it is kept as given (only capped).
    pub fn record_feedback(
        &mut self,
        kind: &str,
        rating: Option<u8>,
        message: Option<&str>,
        contact: Option<&str>,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> Recorded {
        if self.state.consent != Consent::Granted {
            return Recorded::NotConsented;
        }
        if !matches!(kind, "bug" | "idea" | "praise" | "other") {
            self.count_drop(DropReason::Invalid);
            return Recorded::Dropped(DropReason::Invalid);
        }
        let mut cleaning = Cleaning::default();
        let message = message.map(|m| {
            let cut = truncate_chars(m, self.policy.max_feedback_chars, &mut cleaning);
            self.scrubber
                .scrub_text(cut.as_deref().unwrap_or(m))
                .into_owned()
        });
        let contact = contact.map(|c| {
            truncate_chars(c, MAX_CONTACT_CHARS, &mut cleaning).unwrap_or_else(|| c.to_owned())
        });
        let rating = rating.filter(|r| (1..=5).contains(r));
        let id = entropy.uuid_v4();
        let json = items::feedback_json(
            &id,
            now,
            kind,
            rating,
            message.as_deref(),
            contact.as_deref(),
        );
        self.accept_item(Endpoint::Feedback, json, None, cleaning, now, entropy)
    }

    /// Records `daily_active` once per UTC day per installation (the last
    /// day is persisted, so worker restarts do not repeat it). True if sent.
    pub fn mark_daily_active(&mut self, now: Millis, entropy: &mut dyn Entropy) -> bool {
        if self.state.consent != Consent::Granted || !self.policy.lifecycle_events {
            return false;
        }
        let today = utc_day(now) as u64;
        if self.extra(LAST_ACTIVE_DAY).and_then(Json::as_u64) == Some(today) {
            return false;
        }
        self.set_extra(LAST_ACTIVE_DAY, Json::Number(Number::from_u64(today)));
        let day = format_rfc3339(now)[..10].to_owned();
        let mut props = String::from("{\"day\":");
        json::push_string(&mut props, &day);
        props.push_byte(b'}');
        self.record_unsampled_event("daily_active", Some(&props), now, entropy)
            == Recorded::Accepted
    }

    /// Runs `beforeSend`; `None` when it dropped the item (already counted).
    fn apply_before_send(&mut self, json: String) -> Option<String> {
        let hook = self.before_send.as_mut()?;
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
                // By reference: an array iterated by value links its own
                // `array::IntoIter` code.
                for &key in &["type", "id"] {
                    let kept = original
                        .as_ref()
                        .and_then(|o| o.get(key))
                        .cloned()
                        .unwrap_or(Json::Null);
                    fields.retain(|(k, _)| k != key);
                    fields.insert(0, (key.to_owned(), kept));
                }
                self.scrubber.scrub_value(&mut edited);
                Some(json::to_string(&edited))
            }
        }
    }

    /// The back half: `beforeSend`, the session, the lane, the cap.
    pub(crate) fn accept_item(
        &mut self,
        endpoint: Endpoint,
        json: String,
        fingerprint: Option<String>,
        cleaning: Cleaning,
        now: Millis,
        entropy: &mut dyn Entropy,
    ) -> Recorded {
        // Before `beforeSend`: the hook sees where the item came from.
        let json = match &self.source {
            Some(source) => source.stamp(json),
            None => json,
        };
        let json = if self.before_send.is_some() {
            match self.apply_before_send(json) {
                Some(json) => json,
                None => {
                    if let Some(index) = endpoint.lane_index() {
                        self.tell_sentry(index, DropReason::BeforeSend);
                    }
                    return Recorded::Dropped(DropReason::BeforeSend);
                }
            }
        } else {
            json
        };
        let session_id = self.touch_session(now, entropy);
        if cleaning.truncated {
            self.state.totals.truncated += 1;
        }
        let seq = self.state.next_seq;
        self.state.next_seq += 1;
        let item = QueuedItem {
            seq,
            recorded_at: now,
            session_id,
            json,
            fingerprint,
            count: 1,
            chunk: NOT_STORED,
        };
        let Some(index) = endpoint.lane_index() else {
            return Recorded::Dropped(DropReason::Invalid);
        };
        let lane = &mut self.state.lanes[index];
        if lane.cursors.is_empty() {
            // No destination carries this type (`types`): nothing to keep.
            return Recorded::Accepted;
        }
        let bytes_before = lane.total_bytes();
        lane.push(item);
        self.dirty = true;
        // Sparing the polls this item cannot change keeps `track` cheap,
        // above all with the collector down (`docs/engine.md`).
        self.poll_needed |= self.changes_due(index, bytes_before);
        if let Some(reason) = self.enforce_cap() {
            return Recorded::Dropped(reason);
        }
        Recorded::Accepted
    }

    /// The current session ID, renewed after the idle timeout.
    fn touch_session(&mut self, now: Millis, entropy: &mut dyn Entropy) -> String {
        let idle = self.policy.session_idle_ms;
        match &mut self.state.session {
            Some(session) if now.saturating_sub(session.last_activity) < idle => {
                session.last_activity = session.last_activity.max(now);
                let id = session.id.clone();
                self.health_touched(now);
                id
            }
            _ => {
                let id = entropy.uuid_v4();
                self.state.session = Some(Session {
                    id: id.clone(),
                    last_activity: now,
                });
                self.health_session_started(&id, now);
                id
            }
        }
    }
}

/// Whether `needle` (not empty) occurs in `hay`, by a scan of byte windows.
/// Size: `str::contains` links core's two-way searcher, about 1.2 KB of wasm,
/// for this one check of a short context text.
fn mentions(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
