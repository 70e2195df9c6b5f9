//! Names that JavaScript and Rust share. They are defined here once;
//! `js/constants.js` is generated from this module and the policy table
//! (a test fails when the two disagree).

/// The `chrome.alarms` name that wakes the worker for pending deliveries.
pub const ALARM_NAME: &str = "mv3-telemetry.wake";
/// Prefix of every `chrome.storage.local` key the SDK owns.
pub const STORAGE_PREFIX: &str = "mv3t.";
/// The small record: consent, IDs, session, counters, batch and backoff state,
/// and the index of item chunks (see `docs/persistence.md`).
pub const RECORD_KEY: &str = "mv3t.record";
/// Prefix of the keys holding item chunks: `mv3t.chunk.<n>`.
pub const CHUNK_PREFIX: &str = "mv3t.chunk.";
/// The single-key state written by releases before the log (migrated on start).
pub const LEGACY_STATE_KEY: &str = "mv3t.state";
/// A note left by a worker whose core panicked, reported by the next one.
pub const PANIC_KEY: &str = "mv3t.panic";

/// A record call's result: the item was accepted.
pub const RECORD_ACCEPTED: u8 = 0;
/// A record call's result: consent is not granted (nothing recorded or counted).
pub const RECORD_NOT_CONSENTED: u8 = 1;
/// A record call's result: the core has not restored its state yet.
pub const RECORD_NOT_READY: u8 = 2;
/// A record call's result: dropped for the reason at `code - RECORD_DROPPED_BASE`
/// in `DropReason::ALL`.
pub const RECORD_DROPPED_BASE: u8 = 16;
