//! Persistence as a log (`docs/persistence.md`): items are stored as they were
//! serialized when recorded, in chunks under their own keys, beside one small
//! record (consent, IDs, session, counters, lane and backoff state). A persist
//! writes only what changed: new chunks and the record in one `set`, then the
//! removal of chunks whose items have all left.
//!
//! The record is written and read by hand over [`Json`]: no serde in the wasm.

use crate::core::dest::Kind;
use crate::core::json::{self, parse_u64, push_string, push_u64, Json, PushByte};
use crate::core::names::{CHUNK_PREFIX, LEGACY_STATE_KEY};
use crate::core::sketch::Sketch;
use crate::core::source::Source;
use crate::core::split::split_first;
use crate::core::wire::{DropCounts, Endpoint};

use super::health::Health;
use super::lane::{Batch, Cursor, Lane, QueuedItem, Unread, NOT_STORED};
use super::{Consent, Deletion, Session, State, TimingSeries, Totals};

/// The record format this build writes. Version 1 was the single-key snapshot.
pub const RECORD_VERSION: u64 = 2;

/// What one persist asks the platform to do, in this order: `set` (one
/// storage call: new chunks and the record together), then `remove`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Writes {
    /// Keys and values for one `chrome.storage.local.set`.
    pub set: Vec<(String, String)>,
    /// Keys for one `chrome.storage.local.remove` after the `set` succeeded.
    pub remove: Vec<String>,
}

/// The storage key of chunk `n` of the lane at `index`.
pub(crate) fn chunk_key(index: usize, n: u64) -> String {
    let mut key = String::with_capacity(24);
    key.push_str(CHUNK_PREFIX);
    push_u64(&mut key, index as u64);
    key.push_byte(b'.');
    push_u64(&mut key, n);
    key
}

/// Appends the keys of chunks `chunks` of lane `index` to `out`. One loop
/// for every caller: `extend` with a `map` closure would instantiate std's
/// extend code once per call site.
pub(crate) fn push_chunk_keys(out: &mut Vec<String>, index: usize, chunks: std::ops::Range<u64>) {
    for n in chunks {
        out.push(chunk_key(index, n));
    }
}

/// One item as stored: `seq \t recorded_at \t count \t session \t fingerprint \t json`.
/// Tabs and newlines never occur unescaped in JSON text, IDs or fingerprints.
pub(crate) fn write_item_line(item: &QueuedItem, out: &mut String) {
    push_u64(out, item.seq);
    out.push_byte(b'\t');
    push_u64(out, item.recorded_at);
    out.push_byte(b'\t');
    push_u64(out, item.count);
    out.push_byte(b'\t');
    out.push_str(&item.session_id);
    out.push_byte(b'\t');
    out.push_str(item.fingerprint.as_deref().unwrap_or(""));
    out.push_byte(b'\t');
    out.push_str(&item.json);
    out.push_byte(b'\n');
}

/// The length of the line [`write_item_line`] writes for `item`.
pub(crate) fn item_line_len(item: &QueuedItem) -> usize {
    let digits = |mut n: u64| {
        let mut d = 1;
        while n >= 10 {
            n /= 10;
            d += 1;
        }
        d
    };
    digits(item.seq)
        + digits(item.recorded_at)
        + digits(item.count)
        + item.session_id.len()
        + item.fingerprint.as_deref().map_or(0, str::len)
        + item.json.len()
        + 6
}

/// Reads a line written by [`write_item_line`]; `None` if it is not one.
pub(crate) fn parse_item_line(line: &str) -> Option<QueuedItem> {
    // Five fields, then the item's JSON (which has no raw tab: JSON escapes it).
    let (seq, rest) = split_first(line, b'\t')?;
    let (recorded_at, rest) = split_first(rest, b'\t')?;
    let (count, rest) = split_first(rest, b'\t')?;
    let (session_id, rest) = split_first(rest, b'\t')?;
    let (fingerprint, json) = split_first(rest, b'\t')?;
    let (seq, recorded_at, count) = (parse_u64(seq)?, parse_u64(recorded_at)?, parse_u64(count)?);
    let session_id = session_id.to_owned();
    let fingerprint = Some(fingerprint)
        .filter(|f| !f.is_empty())
        .map(str::to_owned);
    if !(json.starts_with('{') && json.ends_with('}')) {
        return None;
    }
    Some(QueuedItem {
        seq,
        recorded_at,
        session_id,
        json: json.to_owned(),
        fingerprint,
        count,
        chunk: NOT_STORED,
    })
}

fn key(out: &mut String, name: &str) {
    if !out.ends_with('{') && !out.ends_with('[') {
        out.push_byte(b',');
    }
    out.push_byte(b'"');
    out.push_str(name);
    out.push_str("\":");
}

fn field_u64(out: &mut String, name: &str, n: u64) {
    key(out, name);
    push_u64(out, n);
}

fn field_str(out: &mut String, name: &str, text: &str) {
    key(out, name);
    push_string(out, text);
}

fn write_counts(out: &mut String, name: &str, counts: &DropCounts) {
    key(out, name);
    counts.write_json_all(out);
}

/// The small record, as stored under `mv3t.record`.
pub(crate) fn write_record(state: &State, out: &mut String) {
    out.push_byte(b'{');
    field_u64(out, "v", RECORD_VERSION);
    field_str(out, "consent", state.consent.as_str());
    if state.consent != Consent::Granted {
        // Only the choice, and a deletion request still to deliver.
        write_deletion(state, out);
        write_garbage(state, out);
        out.push_byte(b'}');
        return;
    }
    if let Some(id) = &state.anonymous_id {
        field_str(out, "id", id);
    }
    if let Some(session) = &state.session {
        key(out, "session");
        out.push_byte(b'{');
        field_str(out, "id", &session.id);
        field_u64(out, "at", session.last_activity);
        out.push_byte(b'}');
    }
    field_u64(out, "seq", state.next_seq);
    field_u64(out, "not_before", state.not_before);
    if state.gates != [0; 3] {
        key(out, "gates");
        out.push_byte(b'[');
        for (i, gate) in state.gates.iter().enumerate() {
            if i > 0 {
                out.push_byte(b',');
            }
            push_u64(out, *gate);
        }
        out.push_byte(b']');
    }
    key(out, "totals");
    out.push_byte(b'{');
    field_u64(out, "sent", state.totals.sent);
    field_u64(out, "retries", state.totals.retries);
    field_u64(out, "truncated", state.totals.truncated);
    write_counts(out, "dropped", &state.totals.dropped);
    out.push_byte(b'}');
    write_counts(out, "unreported", &state.unreported);
    key(out, "lanes");
    out.push_byte(b'[');
    for lane in &state.lanes {
        write_lane(lane, out);
    }
    out.push_byte(b']');
    write_deletion(state, out);
    write_timings(state, out);
    if !state.breadcrumbs.is_empty() {
        key(out, "crumbs");
        out.push_byte(b'[');
        for (name, at) in &state.breadcrumbs {
            if !out.ends_with('[') {
                out.push_byte(b',');
            }
            out.push_byte(b'[');
            push_string(out, name);
            out.push_byte(b',');
            push_u64(out, *at);
            out.push_byte(b']');
        }
        out.push_byte(b']');
    }
    if !state.extra.is_empty() {
        key(out, "extra");
        json::write(&Json::Object(state.extra.clone()), out);
    }
    if !state.folds.is_empty() {
        key(out, "folds");
        out.push_byte(b'[');
        for (seq, count) in &state.folds {
            if !out.ends_with('[') {
                out.push_byte(b',');
            }
            out.push_byte(b'[');
            push_u64(out, *seq);
            out.push_byte(b',');
            push_u64(out, *count);
            out.push_byte(b']');
        }
        out.push_byte(b']');
    }
    write_health(state, out);
    write_garbage(state, out);
    out.push_byte(b'}');
}

/// Release health (`health.rs`): the current session and the ended ones
/// whose update is owed.
fn write_health(state: &State, out: &mut String) {
    let health = &state.health;
    if health.current.is_none()
        && health.ended.is_empty()
        && health.limited_until == 0
        && health.unreported == DropCounts::default()
    {
        return;
    }
    key(out, "health");
    out.push_byte(b'{');
    if let Some(due) = health.due {
        field_u64(out, "due", due);
    }
    if health.limited_until > 0 {
        field_u64(out, "limited", health.limited_until);
    }
    if health.unreported != DropCounts::default() {
        write_counts(out, "unreported", &health.unreported);
    }
    field_u64(out, "attempts", u64::from(health.attempts));
    key(out, "sessions");
    out.push_byte(b'[');
    let sessions = health.ended.iter().map(|s| (s, true));
    for (i, (session, ended)) in sessions
        .chain(health.current.iter().map(|s| (s, false)))
        .enumerate()
    {
        if i > 0 {
            out.push_byte(b',');
        }
        out.push_byte(b'{');
        field_str(out, "sid", &session.sid);
        field_u64(out, "started", session.started);
        field_u64(out, "last", session.last);
        field_u64(out, "errors", session.errors);
        // Flags as one number: 1 crashed, 2 init sent, 4 changed, 8 ended.
        let flags = u64::from(session.crashed)
            | u64::from(session.init_sent) << 1
            | u64::from(session.changed) << 2
            | u64::from(ended) << 3;
        field_u64(out, "flags", flags);
        out.push_byte(b'}');
    }
    out.push_str("]}");
}

fn read_health(value: &Json, state: &mut State) {
    let Some(health) = value.get("health") else {
        return;
    };
    state.health.due = u64_at(health, "due");
    state.health.attempts = u64_at(health, "attempts").unwrap_or(0) as u32;
    state.health.limited_until = u64_at(health, "limited").unwrap_or(0);
    state.health.unreported = counts_at(health, "unreported");
    for stored in array_at(health, "sessions") {
        let (Some(sid), Some(started)) = (str_at(stored, "sid"), u64_at(stored, "started")) else {
            continue;
        };
        let flags = u64_at(stored, "flags").unwrap_or(0);
        let session = Health {
            sid: sid.to_owned(),
            started,
            last: u64_at(stored, "last").unwrap_or(started),
            errors: u64_at(stored, "errors").unwrap_or(0),
            crashed: flags & 1 != 0,
            init_sent: flags & 2 != 0,
            changed: flags & 4 != 0,
            version: 0,
        };
        if flags & 8 != 0 {
            state.health.ended.push(session);
        } else {
            state.health.current = Some(session);
        }
    }
}

fn write_deletion(state: &State, out: &mut String) {
    if let Some(deletion) = state.deletion.as_ref().filter(|d| d.attempts > 0) {
        // Stored only after a failed attempt, so a revocation leaves storage
        // free of the ID unless delivery needs it.
        key(out, "deletion");
        out.push_byte(b'{');
        field_str(out, "batch_id", &deletion.batch_id);
        field_str(out, "anonymous_id", &deletion.anonymous_id);
        field_u64(out, "requested_at", deletion.requested_at);
        field_u64(out, "attempts", u64::from(deletion.attempts));
        field_u64(out, "retry_at", deletion.retry_at);
        out.push_byte(b'}');
    }
}

fn write_timings(state: &State, out: &mut String) {
    if state.timings.is_empty() {
        return;
    }
    key(out, "timings");
    out.push_byte(b'[');
    for series in &state.timings {
        if !out.ends_with('[') {
            out.push_byte(b',');
        }
        out.push_byte(b'{');
        field_str(out, "name", &series.name);
        field_str(out, "props", &series.props);
        field_u64(out, "opened_at", series.opened_at);
        key(out, "sketch");
        series.sketch.to_json(out);
        if let Some(source) = &series.source {
            field_str(out, "context_kind", source.kind.as_str());
            if let Some(origin) = &source.origin {
                field_str(out, "origin", origin);
            }
        }
        out.push_byte(b'}');
    }
    out.push_byte(b']');
}

fn write_garbage(state: &State, out: &mut String) {
    if state.garbage.is_empty() {
        return;
    }
    {
        key(out, "garbage");
        out.push_byte(b'[');
        for stale in &state.garbage {
            if !out.ends_with('[') {
                out.push_byte(b',');
            }
            push_string(out, stale);
        }
        out.push_byte(b']');
    }
}

fn write_lane(lane: &Lane, out: &mut String) {
    if !out.ends_with('[') {
        out.push_byte(b',');
    }
    out.push_byte(b'{');
    field_u64(out, "first", lane.first_chunk);
    field_u64(out, "next", lane.next_chunk);
    field_u64(out, "floor", lane.floor);
    // What a restart finds in storage: stored items only (the rest is in
    // chunks written with this record, or not accepted yet).
    let (mut count, mut bytes) = (0, 0);
    for item in lane.items.iter().filter(|i| i.chunk != NOT_STORED) {
        count += 1;
        bytes += item.wire_len();
    }
    let (count, bytes, evict) = match lane.unread {
        Some(u) => (u.count + count, u.bytes + bytes, u.evict),
        None => (count, bytes, 0),
    };
    field_u64(out, "count", count as u64);
    field_u64(out, "bytes", bytes as u64);
    if evict > 0 {
        field_u64(out, "evict", evict);
    }
    if let Some((seq, at)) = lane.front() {
        field_u64(out, "front_seq", seq);
        field_u64(out, "front_at", at);
    }
    // The v1 collector's cursor is written in the lane itself (the shape of
    // records from before other destinations); the others under `dests`.
    if let Some(v1) = lane.cursors.iter().find(|c| c.dest.is_none()) {
        if v1.floor > lane.floor {
            // Ahead of a slower destination.
            field_u64(out, "v1_floor", v1.floor);
        }
        write_cursor(v1, stored_before(lane, v1), count, out);
    } else {
        field_str(out, "v1", "none");
    }
    let others = lane.cursors.iter().filter(|c| c.dest.is_some());
    if lane.cursors.iter().any(|c| c.dest.is_some()) {
        key(out, "dests");
        out.push_byte(b'[');
        for cursor in others {
            if !out.ends_with('[') {
                out.push_byte(b',');
            }
            out.push_byte(b'{');
            field_str(out, "d", cursor.dest.map_or("", Kind::option));
            field_u64(out, "floor", cursor.floor);
            write_cursor(cursor, stored_before(lane, cursor), count, out);
            out.push_byte(b'}');
        }
        out.push_byte(b']');
    }
    out.push_byte(b'}');
}

/// Items of the lane before `cursor`'s first (those of them in storage
/// come first: stored items precede new ones).
fn stored_before(lane: &Lane, cursor: &Cursor) -> usize {
    match lane.unread {
        // Not read yet: the batch is the one the record gave, unchanged.
        Some(_) => 0,
        None => lane.start_of(cursor.floor),
    }
}

/// A cursor's backoff and batch, as fields of the object being written;
/// `before` of the lane's `count` stored items precede its batch.
fn write_cursor(cursor: &Cursor, before: usize, count: usize, out: &mut String) {
    if cursor.attempts > 0 {
        field_u64(out, "attempts", u64::from(cursor.attempts));
        field_u64(out, "retry_at", cursor.retry_at);
    }
    if cursor.answered > 0 {
        field_u64(out, "answered", u64::from(cursor.answered));
    }
    if cursor.limited_until > 0 {
        field_u64(out, "limited", cursor.limited_until);
    }
    if cursor.unreported != DropCounts::default() {
        write_counts(out, "unreported", &cursor.unreported);
    }
    // A batch is stored only once every item of it is: a restart re-sends
    // exactly these items under the same id.
    if let Some(batch) = cursor.batch.as_ref().filter(|b| before + b.len <= count) {
        key(out, "batch");
        out.push_byte(b'{');
        field_str(out, "id", &batch.id);
        field_u64(out, "len", batch.len as u64);
        write_counts(out, "dropped", &batch.dropped);
        out.push_byte(b'}');
    }
}

/// Reads what [`write_cursor`] wrote into `cursor`.
fn read_cursor(stored: &Json, count: usize, cursor: &mut Cursor) {
    cursor.attempts = u64_at(stored, "attempts").unwrap_or(0) as u32;
    cursor.answered = u64_at(stored, "answered").map_or(cursor.attempts, |n| n as u32);
    cursor.retry_at = u64_at(stored, "retry_at").unwrap_or(0);
    cursor.limited_until = u64_at(stored, "limited").unwrap_or(0);
    cursor.unreported = counts_at(stored, "unreported");
    cursor.batch = stored.get("batch").and_then(|b| {
        Some(Batch {
            id: str_at(b, "id")?.to_owned(),
            len: (u64_at(b, "len")? as usize).min(count),
            dropped: counts_at(b, "dropped"),
            in_flight: None,
        })
    });
}

fn u64_at(value: &Json, name: &str) -> Option<u64> {
    value.get(name).and_then(Json::as_u64)
}

fn str_at<'a>(value: &'a Json, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Json::as_str)
}

fn counts_at(value: &Json, name: &str) -> DropCounts {
    value
        .get(name)
        .and_then(DropCounts::from_json)
        .unwrap_or_default()
}

/// The elements of the array at `name`, or none. Size: one plain helper
/// instead of `Option`-flatten iterator chains, which are generic code.
fn array_at<'a>(value: &'a Json, name: &str) -> &'a [Json] {
    value.get(name).and_then(Json::as_array).unwrap_or(&[])
}

/// Where the record (v2) and the single-key snapshot (v1) name the same
/// field differently: anonymous ID, session activity, next seq, breadcrumbs.
struct Names {
    id: &'static str,
    session_at: &'static str,
    seq: &'static str,
    crumbs: &'static str,
}

const RECORD_NAMES: Names = Names {
    id: "id",
    session_at: "at",
    seq: "seq",
    crumbs: "crumbs",
};

const LEGACY_NAMES: Names = Names {
    id: "anonymous_id",
    session_at: "last_activity",
    seq: "next_seq",
    crumbs: "breadcrumbs",
};

/// What both stored formats hold the same way (under `names`): consent, IDs,
/// session, counters, timing series, breadcrumbs, `extra`. Size: one reader
/// for both formats rather than two copies.
fn read_common(value: &Json, names: &Names, state: &mut State) -> Result<(), Unreadable> {
    state.consent = str_at(value, "consent")
        .and_then(Consent::parse)
        .ok_or(Unreadable)?;
    // An ID that is not one we could have made is damage, not an identity.
    state.anonymous_id = str_at(value, names.id)
        .filter(|id| crate::core::ids::is_uuid_v4(id))
        .map(str::to_owned);
    state.session = value.get("session").and_then(|s| {
        Some(Session {
            id: str_at(s, "id")?.to_owned(),
            last_activity: u64_at(s, names.session_at)?,
        })
    });
    state.next_seq = u64_at(value, names.seq).unwrap_or(0);
    state.not_before = u64_at(value, "not_before").unwrap_or(0);
    for (gate, stored) in state.gates.iter_mut().zip(array_at(value, "gates")) {
        *gate = stored.as_u64().unwrap_or(0);
    }
    if let Some(totals) = value.get("totals") {
        state.totals = Totals {
            sent: u64_at(totals, "sent").unwrap_or(0),
            retries: u64_at(totals, "retries").unwrap_or(0),
            truncated: u64_at(totals, "truncated").unwrap_or(0),
            dropped: counts_at(totals, "dropped"),
        };
    }
    state.unreported = counts_at(value, "unreported");
    for series in array_at(value, "timings") {
        let parsed = (|| {
            Some(TimingSeries {
                name: str_at(series, "name")?.to_owned(),
                props: str_at(series, "props")?.to_owned(),
                opened_at: u64_at(series, "opened_at")?,
                sketch: Sketch::from_json(series.get("sketch")?)?,
                source: str_at(series, "context_kind")
                    .and_then(|kind| Source::new(kind, str_at(series, "origin"))),
            })
        })();
        if let Some(series) = parsed {
            state.timings.push(series);
        }
    }
    for crumb in array_at(value, names.crumbs) {
        if let Some([name, at]) = crumb.as_array() {
            if let (Some(name), Some(at)) = (name.as_str(), at.as_u64()) {
                state.breadcrumbs.push((name.to_owned(), at));
            }
        }
    }
    if let Some(extra) = value.get("extra").and_then(Json::as_object) {
        state.extra = extra.to_vec();
    }
    Ok(())
}

/// Why stored state could not be used as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unreadable;

/// True when stored text that cannot be used as a whole (a later version,
/// a damaged field) still says plainly that the user declined.
pub(crate) fn reads_as_denied(text: &str) -> bool {
    json::parse(text)
        .ok()
        .is_some_and(|value| str_at(&value, "consent") == Some(Consent::Denied.as_str()))
}

/// Reads a record written by [`write_record`] into a fresh state.
pub(crate) fn read_record(text: &str, state: &mut State) -> Result<(), Unreadable> {
    let value = json::parse(text).map_err(|_| Unreadable)?;
    if u64_at(&value, "v") != Some(RECORD_VERSION) {
        return Err(Unreadable);
    }
    read_common(&value, &RECORD_NAMES, state)?;
    for (lane, stored) in state.lanes.iter_mut().zip(array_at(&value, "lanes")) {
        read_lane(stored, lane);
    }
    state.deletion = value.get("deletion").and_then(|d| {
        Some(Deletion {
            batch_id: str_at(d, "batch_id")?.to_owned(),
            anonymous_id: str_at(d, "anonymous_id")?.to_owned(),
            requested_at: u64_at(d, "requested_at")?,
            attempts: u64_at(d, "attempts").unwrap_or(0) as u32,
            retry_at: u64_at(d, "retry_at").unwrap_or(0),
            in_flight: None,
        })
    });
    for fold in array_at(&value, "folds") {
        if let Some([seq, count]) = fold.as_array() {
            if let (Some(seq), Some(count)) = (seq.as_u64(), count.as_u64()) {
                state.folds.push((seq, count));
            }
        }
    }
    for stale in array_at(&value, "garbage") {
        if let Some(stale) = stale.as_str() {
            state.garbage.push(stale.to_owned());
        }
    }
    read_health(&value, state);
    Ok(())
}

fn read_lane(stored: &Json, lane: &mut Lane) {
    lane.first_chunk = u64_at(stored, "first").unwrap_or(0);
    lane.next_chunk = u64_at(stored, "next").unwrap_or(0).max(lane.first_chunk);
    lane.floor = u64_at(stored, "floor").unwrap_or(0);
    let count = u64_at(stored, "count").unwrap_or(0) as usize;
    lane.cursors.clear();
    if str_at(stored, "v1").is_none() {
        let floor = u64_at(stored, "v1_floor").unwrap_or(0).max(lane.floor);
        let mut v1 = Cursor::new(None, floor);
        read_cursor(stored, count, &mut v1);
        lane.cursors.push(v1);
    }
    for dest in array_at(stored, "dests") {
        let Some(kind) =
            str_at(dest, "d").and_then(|d| Kind::ALL.iter().find(|k| k.option() == d).copied())
        else {
            continue;
        };
        let floor = u64_at(dest, "floor").unwrap_or(0).max(lane.floor);
        let mut cursor = Cursor::new(Some(kind), floor);
        read_cursor(dest, count, &mut cursor);
        lane.cursors.push(cursor);
    }
    if lane.next_chunk > lane.first_chunk {
        lane.unread = Some(Unread {
            end: lane.next_chunk,
            count,
            bytes: u64_at(stored, "bytes").unwrap_or(0) as usize,
            evict: u64_at(stored, "evict").unwrap_or(0),
            front_seq: u64_at(stored, "front_seq").unwrap_or(lane.floor),
            front_at: u64_at(stored, "front_at").unwrap_or(0),
        });
    }
}

/// Reads the single-key state of releases before the log (`mv3t.state`,
/// snapshot version 1) into a fresh state: every item it held becomes a
/// not-yet-stored item, so the next persist writes it as a chunk beside the
/// record and then removes the old key.
pub(crate) fn read_legacy(text: &str, state: &mut State) -> Result<(), Unreadable> {
    let value = json::parse(text).map_err(|_| Unreadable)?;
    read_common(&value, &LEGACY_NAMES, state)?;
    let legacy_item = |item: &Json| -> Option<(Endpoint, QueuedItem)> {
        let endpoint = Endpoint::from_name(str_at(item, "endpoint")?)?;
        let queued = QueuedItem {
            seq: u64_at(item, "seq")?,
            recorded_at: u64_at(item, "recorded_at")?,
            session_id: str_at(item, "session_id")?.to_owned(),
            json: str_at(item, "json")?.to_owned(),
            fingerprint: str_at(item, "fingerprint").map(str::to_owned),
            count: u64_at(item, "count").unwrap_or(1),
            chunk: NOT_STORED,
        };
        Some((endpoint, queued))
    };
    let mut per_lane: [Vec<QueuedItem>; 4] = Default::default();
    for batch in array_at(&value, "batches") {
        // The batch's lane is its first item's.
        let mut endpoint = None;
        let mut items = Vec::new();
        for (e, item) in array_at(batch, "items").iter().filter_map(legacy_item) {
            endpoint.get_or_insert(e);
            items.push(item);
        }
        let Some(endpoint) = endpoint else {
            continue;
        };
        let Some(index) = endpoint.lane_index() else {
            continue;
        };
        let v1 = &mut state.lanes[index].cursors[0];
        if v1.batch.is_none() {
            v1.batch = Some(Batch {
                id: str_at(batch, "batch_id").unwrap_or_default().to_owned(),
                len: items.len(),
                dropped: counts_at(batch, "dropped"),
                in_flight: None,
            });
            v1.attempts = u64_at(batch, "attempts").unwrap_or(0) as u32;
            v1.retry_at = u64_at(batch, "next_attempt_at").unwrap_or(0);
        } else {
            // Only one batch per lane now: a second one joins the queue.
            state.unreported.merge(&counts_at(batch, "dropped"));
        }
        per_lane[index].append(&mut items);
    }
    for (endpoint, item) in array_at(&value, "queued").iter().filter_map(legacy_item) {
        if let Some(index) = endpoint.lane_index() {
            per_lane[index].push(item);
        }
    }
    for (lane, items) in state.lanes.iter_mut().zip(per_lane) {
        // A stable insertion in seq order, not `sort_by_key`. Size: the std
        // stable sort costs ~2.8 KB of wasm; each list is already in seq
        // order, so this is a binary search and an append per item.
        let mut sorted: Vec<QueuedItem> = Vec::with_capacity(items.len());
        for item in items {
            let at = sorted.partition_point(|queued| queued.seq <= item.seq);
            sorted.insert(at, item);
        }
        for item in sorted {
            lane.push(item);
        }
        if let Some(batch) = lane.cursors[0].batch.as_mut() {
            batch.len = batch.len.min(lane.items.len());
        }
    }
    state.deletion = value.get("deletion").and_then(|d| {
        let target = d.get("deletion")?;
        Some(Deletion {
            batch_id: str_at(d, "batch_id")?.to_owned(),
            anonymous_id: str_at(target, "anonymous_id")?.to_owned(),
            requested_at: u64_at(target, "requested_at")?,
            attempts: u64_at(d, "attempts").unwrap_or(0) as u32,
            retry_at: u64_at(d, "next_attempt_at").unwrap_or(0),
            in_flight: None,
        })
    });
    state.garbage.push(LEGACY_STATE_KEY.to_owned());
    Ok(())
}

/// The lane index and chunk number of a key made by [`chunk_key`].
pub(crate) fn parse_chunk_key(key: &str) -> Option<(usize, u64)> {
    let (index, chunk) = split_first(key.strip_prefix(CHUNK_PREFIX)?, b'.')?;
    let index = usize::try_from(parse_u64(index)?).ok()?;
    (index < 4).then_some(())?;
    Some((index, parse_u64(chunk)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_length_is_exactly_what_the_line_writer_writes() {
        for (seq, count, fingerprint) in [
            (0, 1, None),
            (9, 10, Some("0123456789abcdef0123456789abcdef")),
            (u64::MAX, u64::MAX, Some("f")),
        ] {
            let item = QueuedItem {
                seq,
                recorded_at: 1_795_255_200_000,
                session_id: "5f0c2a9e-2b1d-4c1e-9f7a-0d3c2b1a0f9e".into(),
                json: "{\"id\":\"x\",\"note\":\"é\"}".into(),
                fingerprint: fingerprint.map(str::to_owned),
                count,
                chunk: NOT_STORED,
            };
            let mut line = String::new();
            write_item_line(&item, &mut line);
            assert_eq!(item_line_len(&item), line.len());
        }
    }
}
