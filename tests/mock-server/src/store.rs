//! In-memory record of what arrived: request log, accepted batches, counters, seen ids.
//!
//! Every collection here is bounded so that a long local session or a load test cannot
//! grow the server without limit; the oldest entries go first.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::Result;
use crate::faults::{FaultQueue, FaultRule, Treatment};
use crate::validation::Endpoint;
use crate::Config;

/// One ingestion request as listed by `GET /__mock/requests`.
#[derive(Clone, Debug, Serialize)]
pub struct RequestRecord {
    /// Arrival number, shared with the batch it produced (if any).
    pub seq: u64,
    /// Endpoint name (`events`, `errors`, ...).
    #[serde(serialize_with = "serialize_endpoint")]
    pub endpoint: Endpoint,
    /// Arrival time, Unix milliseconds.
    pub received_at_ms: u64,
    /// Status answered; `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    /// `X-Batch-Id` header, else the body's `batch_id`.
    pub batch_id: Option<String>,
    /// Whether the body was gzip-encoded.
    pub gzip: bool,
    /// Number of items in the body (0 when there were none or it could not be read).
    pub items: usize,
    /// Why the request was refused or faulted; `None` when it was accepted.
    pub error: Option<String>,
}

/// One accepted batch as listed by `GET /__mock/batches` and written to the record file.
#[derive(Debug, Serialize)]
pub struct BatchRecord {
    /// Arrival number, the same as the request's.
    pub seq: u64,
    /// Endpoint name.
    #[serde(serialize_with = "serialize_endpoint")]
    pub endpoint: Endpoint,
    /// Arrival time, Unix milliseconds.
    pub received_at_ms: u64,
    /// The batch id (for deletion requests, the `X-Batch-Id` header if sent).
    pub batch_id: Option<String>,
    /// Whether the body was gzip-encoded.
    pub gzip: bool,
    /// The decoded JSON body, kept as compact text to keep memory close to wire size.
    pub body: Box<RawValue>,
}

fn serialize_endpoint<S: Serializer>(
    endpoint: &Endpoint,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(endpoint.name())
}

/// A batch that passed validation, waiting to be recorded.
#[derive(Debug)]
pub struct AcceptedBatch {
    /// The decoded body as compact JSON.
    pub body: Box<RawValue>,
    /// Item ids, for duplicate counting.
    pub item_ids: Vec<String>,
}

/// Counters for one endpoint.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct EndpointStats {
    /// Ingestion requests, whatever their outcome.
    pub requests: u64,
    /// Accepted batches.
    pub batches: u64,
    /// Items in accepted batches.
    pub items: u64,
    /// Items whose id had not been seen before.
    pub unique_items: u64,
}

/// Everything `GET /__mock/stats` reports.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Ingestion requests, whatever their outcome (dropped connections included).
    pub requests: u64,
    /// Accepted batches.
    pub batches: u64,
    /// Items in accepted batches.
    pub items: u64,
    /// Items whose id had not been seen before.
    pub unique_items: u64,
    /// Items whose id had already been seen since the last reset.
    pub duplicate_item_ids: u64,
    /// Accepted batches whose batch id had already been seen since the last reset.
    pub duplicate_batch_ids: u64,
    /// The same counters per endpoint (the v1 five and the destination receivers), all always present.
    pub per_endpoint: PerEndpoint,
    /// Responses sent, by status code (dropped connections sent none and are not here).
    pub per_status: BTreeMap<u16, u64>,
}

/// Per-endpoint counters, serialized as an object keyed by endpoint name.
#[derive(Clone, Debug, Default)]
pub struct PerEndpoint(pub [EndpointStats; Endpoint::ALL.len()]);

impl PerEndpoint {
    /// The counters of one endpoint.
    pub fn get(&self, endpoint: Endpoint) -> &EndpointStats {
        &self.0[endpoint.index()]
    }

    fn get_mut(&mut self, endpoint: Endpoint) -> &mut EndpointStats {
        &mut self.0[endpoint.index()]
    }
}

impl Serialize for PerEndpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Endpoint::ALL.len()))?;
        for endpoint in Endpoint::ALL {
            map.serialize_entry(endpoint.name(), self.get(endpoint))?;
        }
        map.end()
    }
}

/// Sizes and limits, reported by `GET /__mock/info` so tests can check the bounds.
#[derive(Clone, Debug, Serialize)]
pub struct Info {
    /// Most batches kept in memory.
    pub max_batches: usize,
    /// Most request-log entries kept in memory.
    pub max_requests: usize,
    /// Most body bytes kept in memory.
    pub max_stored_bytes: usize,
    /// Most ids remembered per seen-id set.
    pub max_seen_ids: usize,
    /// Batches currently held.
    pub stored_batches: usize,
    /// Request-log entries currently held.
    pub stored_requests: usize,
    /// Body bytes currently held.
    pub stored_bytes: usize,
    /// Item ids currently remembered for duplicate detection.
    pub seen_item_ids: usize,
    /// Batch ids currently remembered for duplicate detection.
    pub seen_batch_ids: usize,
    /// Batches dropped from memory to respect the limits, since the last reset.
    pub evicted_batches: u64,
    /// The `--record` file, if any.
    pub record_file: Option<PathBuf>,
}

/// A set of ids that forgets the oldest once it holds `capacity` of them.
///
/// Ids are stored as 64-bit hashes: a few million fit in tens of megabytes, and a false
/// "duplicate" needs a hash collision, which is negligible at that size.
#[derive(Debug)]
pub struct BoundedIdSet {
    capacity: usize,
    hasher: RandomState,
    members: HashSet<u64>,
    order: VecDeque<u64>,
}

impl BoundedIdSet {
    /// An empty set remembering at most `capacity` ids.
    pub fn new(capacity: usize) -> Self {
        BoundedIdSet {
            capacity,
            hasher: RandomState::new(),
            members: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// Remembers `id`; returns `false` when it was already remembered.
    pub fn insert(&mut self, id: &str) -> bool {
        if self.capacity == 0 {
            return true;
        }
        let hash = self.hasher.hash_one(id);
        if !self.members.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.members.remove(&oldest);
            }
        }
        true
    }

    /// Number of ids remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Forgets every id and gives the memory back.
    pub fn clear(&mut self) {
        self.members = HashSet::new();
        self.order = VecDeque::new();
    }
}

/// Appends accepted batches to a JSON-lines file.
#[derive(Debug)]
struct Recorder {
    path: PathBuf,
    file: File,
    failed: bool,
}

impl Recorder {
    fn open(path: PathBuf) -> Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Recorder {
            path,
            file,
            failed: false,
        })
    }

    fn append(&mut self, batch: &BatchRecord) {
        let mut line = match serde_json::to_vec(batch) {
            Ok(line) => line,
            Err(err) => {
                return eprintln!("mock-server: cannot serialize batch {}: {err}", batch.seq)
            }
        };
        line.push(b'\n');
        // One write per line so that readers never see half a batch.
        if let Err(err) = self.file.write_all(&line) {
            if !self.failed {
                eprintln!(
                    "mock-server: cannot append to {}: {err}",
                    self.path.display()
                );
                self.failed = true;
            }
        }
    }
}

/// All state of a running mock collector; lives behind one mutex.
#[derive(Debug)]
pub struct Store {
    config: Config,
    next_seq: u64,
    requests: VecDeque<RequestRecord>,
    batches: VecDeque<Arc<BatchRecord>>,
    stored_bytes: usize,
    evicted_batches: u64,
    stats: Stats,
    seen_items: BoundedIdSet,
    seen_batches: BoundedIdSet,
    faults: FaultQueue,
    recorder: Option<Recorder>,
}

impl Store {
    /// An empty store; opens (creating or appending to) the record file if configured.
    pub fn new(config: Config) -> Result<Self> {
        let recorder = config.record.clone().map(Recorder::open).transpose()?;
        Ok(Store {
            seen_items: BoundedIdSet::new(config.max_seen_ids),
            seen_batches: BoundedIdSet::new(config.max_seen_ids),
            config,
            next_seq: 1,
            requests: VecDeque::new(),
            batches: VecDeque::new(),
            stored_bytes: 0,
            evicted_batches: 0,
            stats: Stats::default(),
            faults: FaultQueue::default(),
            recorder,
        })
    }

    /// Numbers an arriving ingestion request and consumes the fault meant for it, if any.
    pub fn arrive(&mut self, endpoint: Endpoint) -> (u64, Option<Treatment>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        (seq, self.faults.take(endpoint))
    }

    /// Records how a request ended and, if it was accepted, its batch.
    pub fn complete(&mut self, request: RequestRecord, accepted: Option<AcceptedBatch>) {
        let endpoint = request.endpoint;
        self.stats.requests += 1;
        self.stats.per_endpoint.get_mut(endpoint).requests += 1;
        if let Some(status) = request.status {
            *self.stats.per_status.entry(status).or_default() += 1;
        }
        if let Some(accepted) = accepted {
            let batch = BatchRecord {
                seq: request.seq,
                endpoint,
                received_at_ms: request.received_at_ms,
                batch_id: request.batch_id.clone(),
                gzip: request.gzip,
                body: accepted.body,
            };
            self.count_batch(endpoint, batch.batch_id.as_deref(), &accepted.item_ids);
            if let Some(recorder) = &mut self.recorder {
                recorder.append(&batch);
            }
            self.store_batch(batch);
        }
        self.requests.push_back(request);
        while self.requests.len() > self.config.max_requests {
            self.requests.pop_front();
        }
    }

    fn count_batch(&mut self, endpoint: Endpoint, batch_id: Option<&str>, item_ids: &[String]) {
        self.stats.batches += 1;
        if let Some(batch_id) = batch_id {
            if !self.seen_batches.insert(batch_id) {
                self.stats.duplicate_batch_ids += 1;
            }
        }
        let items = item_ids.len() as u64;
        let unique = item_ids
            .iter()
            .filter(|id| self.seen_items.insert(id))
            .count() as u64;
        self.stats.items += items;
        self.stats.unique_items += unique;
        self.stats.duplicate_item_ids += items - unique;
        let per_endpoint = self.stats.per_endpoint.get_mut(endpoint);
        per_endpoint.batches += 1;
        per_endpoint.items += items;
        per_endpoint.unique_items += unique;
    }

    fn store_batch(&mut self, batch: BatchRecord) {
        self.stored_bytes += batch.body.get().len();
        self.batches.push_back(Arc::new(batch));
        while self.batches.len() > self.config.max_batches
            || (self.stored_bytes > self.config.max_stored_bytes && !self.batches.is_empty())
        {
            if let Some(oldest) = self.batches.pop_front() {
                self.stored_bytes -= oldest.body.get().len();
                self.evicted_batches += 1;
            }
        }
    }

    /// Request-log entries in arrival order, optionally for one endpoint, at most the last `limit`.
    pub fn requests(&self, endpoint: Option<Endpoint>, limit: Option<usize>) -> Vec<RequestRecord> {
        let mut selected: Vec<RequestRecord> = self
            .requests
            .iter()
            .filter(|record| endpoint.is_none_or(|only| only == record.endpoint))
            .cloned()
            .collect();
        // Completion order can differ from arrival order when faults delay requests.
        selected.sort_by_key(|record| record.seq);
        keep_last(selected, limit)
    }

    /// Accepted batches in arrival order, optionally for one endpoint, at most the last `limit`.
    pub fn batches(
        &self,
        endpoint: Option<Endpoint>,
        limit: Option<usize>,
    ) -> Vec<Arc<BatchRecord>> {
        let mut selected: Vec<Arc<BatchRecord>> = self
            .batches
            .iter()
            .filter(|batch| endpoint.is_none_or(|only| only == batch.endpoint))
            .cloned()
            .collect();
        selected.sort_by_key(|batch| batch.seq);
        keep_last(selected, limit)
    }

    /// A copy of the counters.
    pub fn stats(&self) -> Stats {
        self.stats.clone()
    }

    /// Sizes and limits.
    pub fn info(&self) -> Info {
        Info {
            max_batches: self.config.max_batches,
            max_requests: self.config.max_requests,
            max_stored_bytes: self.config.max_stored_bytes,
            max_seen_ids: self.config.max_seen_ids,
            stored_batches: self.batches.len(),
            stored_requests: self.requests.len(),
            stored_bytes: self.stored_bytes,
            seen_item_ids: self.seen_items.len(),
            seen_batch_ids: self.seen_batches.len(),
            evicted_batches: self.evicted_batches,
            record_file: self.config.record.clone(),
        }
    }

    /// Appends fault rules to the FIFO list.
    pub fn add_faults(&mut self, rules: Vec<FaultRule>) {
        self.faults.extend(rules);
    }

    /// The remaining fault rules.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.faults.rules()
    }

    /// Forgets batches, requests, counters, seen ids and faults. The record file is kept:
    /// it is an archive of the whole session.
    pub fn reset(&mut self) {
        self.requests = VecDeque::new();
        self.batches = VecDeque::new();
        self.stored_bytes = 0;
        self.evicted_batches = 0;
        self.stats = Stats::default();
        self.seen_items.clear();
        self.seen_batches.clear();
        self.faults.clear();
    }
}

fn keep_last<T>(mut items: Vec<T>, limit: Option<usize>) -> Vec<T> {
    if let Some(limit) = limit {
        if items.len() > limit {
            items.drain(..items.len() - limit);
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_set_forgets_the_oldest_past_capacity() {
        let mut set = BoundedIdSet::new(2);
        assert!(set.insert("a"));
        assert!(set.insert("b"));
        assert!(!set.insert("a"));
        assert!(set.insert("c"));
        assert_eq!(set.len(), 2);
        assert!(set.insert("a"), "a was forgotten when c arrived");
    }
}
