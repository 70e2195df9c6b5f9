//! TEMPORARY (json-split branch): the snapshot written and read by hand in
//! the exact format serde's derives gave it, so this branch compiles and
//! keeps its behaviour without the serde bridge. The engine rewrite replaces
//! this file with its own persisted record; delete it then.

use crate::core::json::PushByte;
use std::collections::VecDeque;

use super::engine::{
    Batch, Consent, DeletionTarget, QueuedItem, Session, Snapshot, TimingSeries, Totals,
};
use super::error::Error;
use super::json::{self, push_string, push_u64, Json};
use super::sketch::Sketch;
use super::wire::{DropCounts, Endpoint};

impl Snapshot {
    /// The snapshot as JSON text.
    pub fn to_json_text(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("{\"version\":");
        push_u64(&mut out, u64::from(self.version));
        out.push_str(",\"consent\":");
        push_string(&mut out, self.consent.as_str());
        out.push_str(",\"anonymous_id\":");
        json::push_optional_string(&mut out, self.anonymous_id.as_deref());
        out.push_str(",\"session\":");
        match &self.session {
            Some(session) => session_to_json(session, &mut out),
            None => out.push_str("null"),
        }
        out.push_str(",\"queued\":");
        json::push_array(&mut out, &self.queued, |out, item| item_to_json(item, out));
        out.push_str(",\"batches\":");
        json::push_array(&mut out, &self.batches, |out, batch| {
            batch_to_json(batch, out)
        });
        out.push_str(",\"deletion\":");
        match &self.deletion {
            Some(batch) => batch_to_json(batch, &mut out),
            None => out.push_str("null"),
        }
        out.push_str(",\"unreported\":");
        self.unreported.to_json(&mut out);
        out.push_str(",\"totals\":{\"sent\":");
        push_u64(&mut out, self.totals.sent);
        out.push_str(",\"retries\":");
        push_u64(&mut out, self.totals.retries);
        out.push_str(",\"dropped\":");
        self.totals.dropped.to_json(&mut out);
        out.push_str(",\"truncated\":");
        push_u64(&mut out, self.totals.truncated);
        out.push_str("},\"not_before\":");
        push_u64(&mut out, self.not_before);
        out.push_str(",\"next_seq\":");
        push_u64(&mut out, self.next_seq);
        if !self.timings.is_empty() {
            out.push_str(",\"timings\":");
            json::push_array(&mut out, &self.timings, |out, series| {
                out.push_str("{\"name\":");
                push_string(out, &series.name);
                out.push_str(",\"props\":");
                push_string(out, &series.props);
                out.push_str(",\"opened_at\":");
                push_u64(out, series.opened_at);
                out.push_str(",\"sketch\":");
                series.sketch.to_json(out);
                out.push_byte(b'}');
            });
        }
        if !self.breadcrumbs.is_empty() {
            out.push_str(",\"breadcrumbs\":");
            json::push_array(&mut out, &self.breadcrumbs, |out, (name, at)| {
                out.push_byte(b'[');
                push_string(out, name);
                out.push_byte(b',');
                push_u64(out, *at);
                out.push_byte(b']');
            });
        }
        if !self.extra.is_empty() {
            out.push_str(",\"extra\":");
            json::write(&Json::Object(self.extra.clone()), &mut out);
        }
        out.push_byte(b'}');
        out
    }

    /// Reads what [`Snapshot::to_json_text`] wrote (and what the serde
    /// derives wrote before it).
    pub fn from_json_text(text: &str) -> Result<Snapshot, Error> {
        let value = json::parse(text).map_err(|e| Error::CorruptSnapshot { offset: e.offset })?;
        snapshot_from_json(&value).ok_or(Error::CorruptSnapshot { offset: 0 })
    }
}

fn snapshot_from_json(v: &Json) -> Option<Snapshot> {
    Some(Snapshot {
        version: v.get("version")?.as_u32()?,
        consent: Consent::parse(v.get("consent")?.as_str()?)?,
        anonymous_id: v.optional_field("anonymous_id", Json::to_owned_str)?,
        session: v.optional_field("session", session_from_json)?,
        queued: v.field_or_default("queued", |q| q.array_of(item_from_json))?,
        batches: v.field_or_default("batches", |b| b.array_of(batch_from_json))?,
        deletion: v.optional_field("deletion", batch_from_json)?,
        unreported: v.field_or_default("unreported", DropCounts::from_json)?,
        totals: v.field_or_default("totals", |t| {
            Some(Totals {
                sent: t.get("sent")?.as_u64()?,
                retries: t.get("retries")?.as_u64()?,
                dropped: DropCounts::from_json(t.get("dropped")?)?,
                truncated: t.get("truncated")?.as_u64()?,
            })
        })?,
        not_before: v.field_or_default("not_before", Json::as_u64)?,
        next_seq: v.field_or_default("next_seq", Json::as_u64)?,
        timings: v.field_or_default("timings", |t| {
            t.array_of(|s| {
                Some(TimingSeries {
                    name: s.get("name")?.to_owned_str()?,
                    props: s.get("props")?.to_owned_str()?,
                    opened_at: s.get("opened_at")?.as_u64()?,
                    sketch: Sketch::from_json(s.get("sketch")?)?,
                    source: None,
                })
            })
        })?,
        breadcrumbs: v.field_or_default("breadcrumbs", |b| {
            b.array_of(|pair| match pair.as_array()? {
                [name, at] => Some((name.to_owned_str()?, at.as_u64()?)),
                _ => None,
            })
            .map(VecDeque::from)
        })?,
        extra: v.field_or_default("extra", |e| e.as_object().map(<[_]>::to_vec))?,
    })
}

fn session_to_json(session: &Session, out: &mut String) {
    out.push_str("{\"id\":");
    push_string(out, &session.id);
    out.push_str(",\"last_activity\":");
    push_u64(out, session.last_activity);
    out.push_byte(b'}');
}

fn session_from_json(v: &Json) -> Option<Session> {
    Some(Session {
        id: v.get("id")?.to_owned_str()?,
        last_activity: v.get("last_activity")?.as_u64()?,
    })
}

fn item_to_json(item: &QueuedItem, out: &mut String) {
    out.push_str("{\"seq\":");
    push_u64(out, item.seq);
    out.push_str(",\"endpoint\":");
    item.endpoint.to_json(out);
    out.push_str(",\"recorded_at\":");
    push_u64(out, item.recorded_at);
    out.push_str(",\"session_id\":");
    push_string(out, &item.session_id);
    out.push_str(",\"json\":");
    push_string(out, &item.json);
    if let Some(fingerprint) = &item.fingerprint {
        out.push_str(",\"fingerprint\":");
        push_string(out, fingerprint);
    }
    if item.count != 1 {
        out.push_str(",\"count\":");
        push_u64(out, item.count);
    }
    out.push_byte(b'}');
}

fn item_from_json(v: &Json) -> Option<QueuedItem> {
    Some(QueuedItem {
        seq: v.get("seq")?.as_u64()?,
        endpoint: Endpoint::from_json(v.get("endpoint")?)?,
        recorded_at: v.get("recorded_at")?.as_u64()?,
        session_id: v.get("session_id")?.to_owned_str()?,
        json: v.get("json")?.to_owned_str()?,
        fingerprint: v.optional_field("fingerprint", Json::to_owned_str)?,
        count: match v.get("count") {
            None => 1,
            Some(count) => count.as_u64()?,
        },
    })
}

fn batch_to_json(batch: &Batch, out: &mut String) {
    out.push_str("{\"batch_id\":");
    push_string(out, &batch.batch_id);
    out.push_str(",\"endpoint\":");
    batch.endpoint.to_json(out);
    out.push_str(",\"session_id\":");
    push_string(out, &batch.session_id);
    out.push_str(",\"items\":");
    json::push_array(out, &batch.items, |out, item| item_to_json(item, out));
    out.push_str(",\"dropped\":");
    batch.dropped.to_json(out);
    out.push_str(",\"attempts\":");
    push_u64(out, u64::from(batch.attempts));
    out.push_str(",\"next_attempt_at\":");
    push_u64(out, batch.next_attempt_at);
    if let Some(target) = &batch.deletion {
        out.push_str(",\"deletion\":{\"anonymous_id\":");
        push_string(out, &target.anonymous_id);
        out.push_str(",\"requested_at\":");
        push_u64(out, target.requested_at);
        out.push_byte(b'}');
    }
    out.push_byte(b'}');
}

fn batch_from_json(v: &Json) -> Option<Batch> {
    Some(Batch {
        batch_id: v.get("batch_id")?.to_owned_str()?,
        endpoint: Endpoint::from_json(v.get("endpoint")?)?,
        session_id: v.get("session_id")?.to_owned_str()?,
        items: v.get("items")?.array_of(item_from_json)?,
        dropped: DropCounts::from_json(v.get("dropped")?)?,
        attempts: v.get("attempts")?.as_u32()?,
        next_attempt_at: v.get("next_attempt_at")?.as_u64()?,
        deletion: v.optional_field("deletion", |d| {
            Some(DeletionTarget {
                anonymous_id: d.get("anonymous_id")?.to_owned_str()?,
                requested_at: d.get("requested_at")?.as_u64()?,
            })
        })?,
        in_flight: None,
    })
}
