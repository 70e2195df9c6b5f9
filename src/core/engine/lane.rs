//! One lane per item type: its items in arrival order, the part of it that
//! is still only in storage, and one cursor per destination that carries the
//! type (`docs/destinations.md`, "One item, several consumers").
//!
//! A lane is FIFO: items leave it only from the front (once every cursor has
//! passed them, or evicted by the cap), so "everything of this lane below
//! sequence number `floor`" describes what left it, whatever the chunk
//! boundaries are (`docs/persistence.md`). A cursor is the same idea for one
//! destination: items below its `floor` are done for it.

use crate::core::dest::Kind;
use crate::core::json::PushByte;
use crate::core::split::pieces;
use crate::core::time::Millis;
use crate::core::wire::{DropCounts, Endpoint};

use super::RequestId;

/// `chunk` of an item not written to storage yet.
pub(crate) const NOT_STORED: u64 = u64::MAX;
/// A chunk holds at most about this many bytes: storage gets space back
/// chunk by chunk as the oldest items leave, which a full storage needs.
pub(crate) const CHUNK_MAX_BYTES: usize = 32 * 1024;
/// A write carries at most this many new chunks (128 KiB); the rest follow
/// in the next write, at once. The chunks of a write are all in memory
/// together, and wasm memory never shrinks: after a burst of thousands of
/// events with the collector down, one write of every item took the worker
/// from 768 KiB to 1,088 KiB.
pub(crate) const MAX_CHUNKS_PER_WRITE: usize = 4;

/// One recorded item, serialized once at record time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueuedItem {
    /// Global arrival order: drop-oldest across lanes, and the lane's floor.
    pub seq: u64,
    /// When it was accepted (timings: when their window opened).
    pub recorded_at: Millis,
    /// Batches never mix sessions, so the envelope's `session_id` is true for every item.
    pub session_id: String,
    /// The item exactly as it goes on the wire (errors: without `count`).
    pub json: String,
    /// Errors only: same fingerprint while queued means one item with a count.
    pub fingerprint: Option<String>,
    /// Errors only: occurrences folded into this item.
    pub count: u64,
    /// The chunk holding it in storage, or [`NOT_STORED`].
    pub chunk: u64,
}

impl QueuedItem {
    /// Bytes on the wire, `count` included.
    pub fn wire_len(&self) -> usize {
        self.json.len() + 1 + if self.fingerprint.is_some() { 32 } else { 0 }
    }

    /// Appends the item as sent: errors get their `count` here, so folding a
    /// repeat never re-serializes the item.
    pub fn write_wire(&self, out: &mut String) {
        match (&self.fingerprint, self.json.strip_suffix('}')) {
            (Some(_), Some(open)) => {
                out.push_str(open);
                out.push_str(",\"count\":");
                crate::core::json::push_u64(out, self.count);
                out.push_byte(b'}');
            }
            _ => out.push_str(&self.json),
        }
    }
}

/// A lane's items, oldest first: a `Vec` whose front is consumed by moving
/// `head` past it. Not std's `VecDeque`: its ring-buffer code cost 1.3 KB
/// gzip of wasm for this one item type, and every walk over a ring is two
/// loops. Reads go through the live items as a slice (`Deref`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Items {
    all: Vec<QueuedItem>,
    /// `all[..head]` were taken from the front (emptied, no heap held).
    head: usize,
}

/// What a slot taken from the front holds until the next compaction.
const TAKEN: QueuedItem = QueuedItem {
    seq: 0,
    recorded_at: 0,
    session_id: String::new(),
    json: String::new(),
    fingerprint: None,
    count: 0,
    chunk: 0,
};

impl Items {
    /// Appends `item` at the back.
    ///
    /// Where the `Vec` would grow, the taken front is dropped instead when it
    /// is at least 1/64 of it: a full queue (the cap evicting one item per
    /// new one) then keeps its capacity, as a ring would (wasm memory never
    /// shrinks), for a move of the live items every `capacity / 64` pushes
    /// at most. Not inlined: the compaction at each call site cost about
    /// 300 B gzip of wasm.
    #[inline(never)]
    pub fn push_back(&mut self, item: QueuedItem) {
        if self.head > 0
            && self.all.len() == self.all.capacity()
            && self.head * 64 >= self.all.len()
        {
            self.all.drain(..self.head);
            self.head = 0;
        }
        self.all.push(item);
    }

    /// Takes the oldest item out.
    pub fn pop_front(&mut self) -> Option<QueuedItem> {
        let slot = self.all.get_mut(self.head)?;
        self.head += 1;
        Some(std::mem::replace(slot, TAKEN))
    }

    /// Takes the newest item out.
    pub fn pop_back(&mut self) -> Option<QueuedItem> {
        if self.all.len() > self.head {
            self.all.pop()
        } else {
            None
        }
    }

    /// The live items, oldest first, as a `Vec`.
    pub fn into_vec(mut self) -> Vec<QueuedItem> {
        self.all.drain(..self.head);
        self.all
    }
}

impl From<Vec<QueuedItem>> for Items {
    fn from(all: Vec<QueuedItem>) -> Items {
        Items { all, head: 0 }
    }
}

impl std::ops::Deref for Items {
    type Target = [QueuedItem];
    fn deref(&self) -> &[QueuedItem] {
        self.all.get(self.head..).unwrap_or_default()
    }
}

impl std::ops::DerefMut for Items {
    fn deref_mut(&mut self) -> &mut [QueuedItem] {
        self.all.get_mut(self.head..).unwrap_or_default()
    }
}

/// The items of a lane that are in storage but not read yet: after a
/// restart, item bodies are read when a batch needs them, not at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Unread {
    /// Chunks `[lane.first_chunk, end)` hold them.
    pub end: u64,
    /// How many are live.
    pub count: usize,
    /// Their wire bytes.
    pub bytes: usize,
    /// Items evicted from the front while unread: dropped when read.
    pub evict: u64,
    /// The oldest live one's sequence number (a lower bound after evictions).
    pub front_seq: u64,
    /// When the oldest live one was recorded.
    pub front_at: Millis,
}

/// Items bound together under one `batch_id` until delivered: always the
/// first `len` items of its lane at or above its cursor's `floor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Batch {
    /// Same value on every retry, so the collector can de-duplicate.
    pub id: String,
    /// Items at the front of the lane it carries.
    pub len: usize,
    /// Drop counters reported with this batch; handed back if it is not delivered.
    pub dropped: DropCounts,
    /// The request carrying it now; never persisted: after a restart it is re-sent.
    pub in_flight: Option<RequestId>,
}

/// One ingestion endpoint's queue.
#[derive(Debug, Clone)]
pub(crate) struct Lane {
    /// Where its batches go.
    pub endpoint: Endpoint,
    /// Items read or recorded in this worker's life, oldest first: stored ones
    /// (in chunk order) before those not written yet.
    pub items: Items,
    /// Wire bytes of `items`, kept so `poll` never sums.
    pub bytes: usize,
    /// Stored items not read yet (they come before `items`).
    pub unread: Option<Unread>,
    /// The oldest chunk of this lane that may still hold a live item.
    pub first_chunk: u64,
    /// The number the next chunk of this lane gets.
    pub next_chunk: u64,
    /// Items of this lane with a smaller sequence number have left it.
    pub floor: u64,
    /// One per destination carrying this lane's type; the v1 collector's
    /// first when it is configured. Empty: the type goes nowhere.
    pub cursors: Vec<Cursor>,
}

/// One destination's progress through a lane: what it is done with, its
/// batch and its backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The destination (`None`: the v1 collector).
    pub dest: Option<Kind>,
    /// Items of the lane with a smaller sequence number are done for this
    /// destination (delivered or dropped); never below the lane's `floor`.
    pub floor: u64,
    /// The batch in formation or delivery.
    pub batch: Option<Batch>,
    /// Failed attempts since the last delivery: the backoff belongs to the
    /// cursor, so a batch emptied by the cap does not reset it.
    pub attempts: u32,
    /// Of those, the failures the destination answered (5xx, 408, 429):
    /// only they count toward `retry.maxAttempts`. A network error (offline)
    /// never drops a batch; it only lengthens the backoff.
    pub answered: u32,
    /// No attempt before this time.
    pub retry_at: Millis,
    /// Sentry only: the rate limit of this lane's category runs until then.
    pub limited_until: Millis,
    /// Sentry only: drops of this lane's items not yet sent in a
    /// `client_report` (the v1 collector's are in the engine's `unreported`).
    pub unreported: DropCounts,
}

impl Cursor {
    /// A cursor that has passed everything below `floor`.
    pub fn new(dest: Option<Kind>, floor: u64) -> Cursor {
        Cursor {
            dest,
            floor,
            batch: None,
            attempts: 0,
            answered: 0,
            retry_at: 0,
            limited_until: 0,
            unreported: DropCounts::default(),
        }
    }

    /// True while its batch is out.
    pub fn in_flight(&self) -> bool {
        self.batch.as_ref().is_some_and(|b| b.in_flight.is_some())
    }
}

impl Lane {
    /// An empty lane.
    pub fn new(endpoint: Endpoint) -> Lane {
        Lane {
            endpoint,
            items: Items::default(),
            bytes: 0,
            unread: None,
            first_chunk: 0,
            next_chunk: 0,
            floor: 0,
            cursors: vec![Cursor::new(None, 0)],
        }
    }

    /// Empties the lane, keeping its destinations (their cursors start over).
    pub fn reset(&mut self) {
        let mut cursors = std::mem::take(&mut self.cursors);
        for cursor in &mut cursors {
            *cursor = Cursor::new(cursor.dest, 0);
        }
        *self = Lane::new(self.endpoint);
        self.cursors = cursors;
    }

    /// Index in `items` of the first item at or above `floor`.
    pub fn start_of(&self, floor: u64) -> usize {
        self.items.partition_point(|i| i.seq < floor)
    }

    /// Items of `items` some cursor has passed or holds in its batch: they
    /// are as sent, and must not change (folding) or be taken back.
    pub fn touched(&self) -> usize {
        // Loops here and below rather than iterator chains: each chain with
        // a closure links a fold of its own.
        let mut most = 0;
        for c in &self.cursors {
            most = most.max(self.start_of(c.floor) + c.batch.as_ref().map_or(0, |b| b.len));
        }
        most
    }

    /// Items held, read or not.
    pub fn len(&self) -> usize {
        self.items.len() + self.unread.map_or(0, |u| u.count)
    }

    /// Wire bytes held, read or not (unread ones as stored).
    pub fn total_bytes(&self) -> usize {
        self.bytes + self.unread.map_or(0, |u| u.bytes)
    }

    /// The oldest item's sequence number and arrival time.
    pub fn front(&self) -> Option<(u64, Millis)> {
        match self.unread {
            Some(u) if u.count > 0 => Some((u.front_seq, u.front_at)),
            _ => self.items.first().map(|i| (i.seq, i.recorded_at)),
        }
    }

    /// Every chunk number of this lane that may still be in storage.
    pub fn stored_chunks(&self) -> std::ops::Range<u64> {
        let end = self
            .unread
            .map_or(self.next_chunk, |u| u.end.max(self.next_chunk));
        self.first_chunk..end
    }

    /// The keys of chunks to read before a batch can be formed.
    pub fn unread_chunks(&self) -> Option<std::ops::Range<u64>> {
        self.unread
            .filter(|u| u.count > 0 || u.end > self.first_chunk)
            .map(|u| self.first_chunk..u.end)
    }

    /// True while a batch holding its front item is out: the front cannot
    /// be evicted.
    pub fn in_flight(&self) -> bool {
        let front = self.front().map_or(u64::MAX, |(seq, _)| seq);
        self.cursors
            .iter()
            .any(|c| c.in_flight() && c.floor <= front)
    }

    /// True when every cursor has passed the front item (or there is none to pass it).
    fn front_done(&self) -> bool {
        match self.items.first() {
            Some(front) if self.unread.is_none() => {
                self.cursors.iter().all(|c| c.floor > front.seq)
            }
            _ => false,
        }
    }

    /// Removes front items every cursor is done with; returns the chunks
    /// left without a live item.
    pub fn settle(&mut self) -> std::ops::Range<u64> {
        let mut dead = self.first_chunk..self.first_chunk;
        while self.front_done() {
            if let Some(retired) = self.pop_front() {
                dead = dead.start..retired.end.max(dead.end);
            }
        }
        dead
    }

    /// Appends a new item (not stored yet).
    pub fn push(&mut self, item: QueuedItem) {
        self.bytes += item.wire_len();
        self.items.push_back(item);
    }

    /// Removes the oldest item. Returns the chunks that no longer hold a live
    /// item (`first..new_first`), for removal from storage.
    pub fn pop_front(&mut self) -> Option<std::ops::Range<u64>> {
        if let Some(unread) = self.unread.as_mut().filter(|u| u.count > 0) {
            // Not read yet: remember to drop it when it is.
            let average = unread.bytes / unread.count;
            unread.count -= 1;
            unread.bytes -= average;
            unread.evict += 1;
            let seq = unread.front_seq;
            unread.front_seq += 1;
            self.shorten_batch(seq);
            return Some(self.first_chunk..self.first_chunk);
        }
        let item = self.items.pop_front()?;
        self.bytes -= item.wire_len();
        self.floor = self.items.first().map_or(item.seq + 1, |next| next.seq);
        self.shorten_batch(item.seq);
        Some(self.retire_chunks())
    }

    /// The front item `seq` left: a cursor that had not passed it had it
    /// first in its batch (one shorter now), and is past it now.
    fn shorten_batch(&mut self, seq: u64) {
        for cursor in &mut self.cursors {
            if cursor.floor <= seq {
                if let Some(batch) = cursor.batch.as_mut() {
                    batch.len = batch.len.saturating_sub(1);
                }
                cursor.floor = seq + 1;
            }
        }
    }

    /// Advances `first_chunk` past chunks whose items have all left.
    fn retire_chunks(&mut self) -> std::ops::Range<u64> {
        if self.unread.is_some() {
            return self.first_chunk..self.first_chunk;
        }
        let new_first = match self.items.first() {
            Some(front) if front.chunk != NOT_STORED => front.chunk,
            _ => self.next_chunk,
        };
        let dead = self.first_chunk..new_first.max(self.first_chunk);
        self.first_chunk = dead.end;
        dead
    }

    /// Takes in the chunks `first_chunk..end` read from storage (`None`: the
    /// key was missing). Returns how many stored items could not be read or
    /// validated (bad lines, or fewer items than the record counted), and the
    /// chunks left without a live item.
    pub fn take_read(&mut self, chunks: Vec<(u64, Option<String>)>) -> (u64, std::ops::Range<u64>) {
        let Some(unread) = self.unread.take() else {
            return (0, self.first_chunk..self.first_chunk);
        };
        let mut read = Vec::new();
        let mut evict = unread.evict;
        let mut corrupt = 0;
        for (chunk, text) in chunks {
            let Some(text) = text else { continue };
            for line in pieces(&text, b'\n').filter(|l| !l.is_empty()) {
                let Some(mut item) = super::log::parse_item_line(line) else {
                    corrupt += 1;
                    continue;
                };
                if item.seq < self.floor {
                    continue;
                }
                if evict > 0 {
                    evict -= 1;
                    self.floor = item.seq + 1;
                    continue;
                }
                item.chunk = chunk;
                read.push(item);
            }
        }
        // Items the record counted that no chunk gave back (a chunk key
        // missing or holding garbage): lost, and counted as such.
        let missing = (unread.count as u64).saturating_sub(read.len() as u64);
        let corrupt = corrupt.max(missing);
        let mut read_bytes = 0;
        for item in &read {
            read_bytes += item.wire_len();
        }
        self.bytes += read_bytes;
        // The stored batch is made of stored items only: never of items
        // recorded since the start.
        let read_len = read.len();
        read.append(&mut std::mem::take(&mut self.items).into_vec());
        self.items = Items::from(read);
        for cursor in &mut self.cursors {
            cursor.floor = cursor.floor.max(self.floor);
            let start = self.items.partition_point(|i| i.seq < cursor.floor);
            if let Some(batch) = cursor.batch.as_mut() {
                batch.len = batch.len.min(read_len.saturating_sub(start));
            }
        }
        (corrupt, self.retire_chunks())
    }

    /// Marks the oldest items not written yet (up to [`CHUNK_MAX_BYTES`]) as
    /// written to a new chunk, returning its number and stored form; `None`
    /// when there are none. Call until `None`.
    pub fn take_unstored(&mut self) -> Option<(u64, String)> {
        let mut unstored = 0;
        while unstored < self.items.len()
            && self.items[self.items.len() - 1 - unstored].chunk == NOT_STORED
        {
            unstored += 1;
        }
        if unstored == 0 {
            return None;
        }
        let chunk = self.next_chunk;
        self.next_chunk += 1;
        let start = self.items.len() - unstored;
        // Sized exactly: a chunk String that outgrew its capacity would double
        // it, and a persist holds every new chunk at once (wasm memory never
        // shrinks, so its peak is what the worker keeps).
        let mut size = 0;
        let mut take = 0;
        for item in self.items.get(start..).unwrap_or_default() {
            let line = super::log::item_line_len(item);
            if take > 0 && size + line > CHUNK_MAX_BYTES {
                break;
            }
            size += line;
            take += 1;
        }
        let mut text = String::with_capacity(size);
        for item in self
            .items
            .get_mut(start..)
            .unwrap_or_default()
            .iter_mut()
            .take(take)
        {
            item.chunk = chunk;
            super::log::write_item_line(item, &mut text);
        }
        if self.unread.is_none() && self.items.len() == unstored {
            self.first_chunk = chunk;
        }
        Some((chunk, text))
    }

    /// True while some item is not written to storage yet (they are the newest).
    pub fn has_unstored(&self) -> bool {
        self.items.last().is_some_and(|i| i.chunk == NOT_STORED)
    }

    /// A write of `chunk` failed: its items (those still here) are not stored.
    pub fn unstore(&mut self, chunk: u64) {
        for item in self.items.iter_mut().filter(|i| i.chunk == chunk) {
            item.chunk = NOT_STORED;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(seq: u64) -> QueuedItem {
        QueuedItem {
            seq,
            json: seq.to_string(),
            ..TAKEN
        }
    }

    fn seqs(items: &Items) -> Vec<u64> {
        items.iter().map(|i| i.seq).collect()
    }

    #[test]
    fn items_leave_from_the_front_in_order_across_compactions() {
        let mut items = Items::default();
        let mut expected = std::collections::VecDeque::new();
        let mut next = 0;
        let mut compactions = 0;
        // Pushes and pops interleaved, so the taken front is dropped many
        // times at different lengths; a VecDeque says what must remain.
        for round in 0..50u64 {
            for _ in 0..(round % 7 + 1) * 5 {
                let head = items.head;
                items.push_back(item(next));
                compactions += usize::from(items.head < head);
                expected.push_back(next);
                next += 1;
            }
            for _ in 0..(round % 5 + 1) * 6 {
                assert_eq!(items.pop_front().map(|i| i.seq), expected.pop_front());
            }
            if round % 9 == 0 {
                assert_eq!(items.pop_back().map(|i| i.seq), expected.pop_back());
            }
            assert_eq!(seqs(&items), Vec::from(expected.clone()));
            assert!(items.all.len() - items.head == expected.len());
        }
        assert!(compactions > 3, "{compactions} compactions");
    }

    #[test]
    fn a_full_queue_evicting_one_item_per_new_one_keeps_its_capacity() {
        let mut items = Items::default();
        for seq in 0..1_000 {
            items.push_back(item(seq));
        }
        let capacity = items.all.capacity();
        for seq in 1_000..20_000 {
            items.pop_front();
            items.push_back(item(seq));
        }
        assert_eq!(items.all.capacity(), capacity);
        assert_eq!(items.len(), 1_000);
        assert_eq!(items.first().map(|i| i.seq), Some(19_000));
    }

    #[test]
    fn an_emptied_queue_pops_nothing_at_either_end() {
        let mut items = Items::from(vec![item(1), item(2)]);
        assert_eq!(items.pop_front().map(|i| i.json), Some("1".to_string()));
        assert_eq!(items.pop_back().map(|i| i.json), Some("2".to_string()));
        assert!(items.pop_front().is_none());
        assert!(items.pop_back().is_none());
        assert!(items.is_empty());
    }

    #[test]
    fn as_a_vec_the_queue_holds_its_live_items_only() {
        let mut items = Items::from((0..5).map(item).collect::<Vec<_>>());
        items.pop_front();
        items.pop_front();
        let live: Vec<u64> = items.into_vec().iter().map(|i| i.seq).collect();
        assert_eq!(live, [2, 3, 4]);
    }
}
