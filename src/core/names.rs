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
/// The consent state (`granted` or `denied`; absent while pending), mirrored
/// by the worker for page clients: they read it and follow its changes, so
/// they send nothing to the worker while consent is not granted.
pub const CONSENT_KEY: &str = "mv3t.consent";
/// The key that marks a page client's message to the worker; its value is
/// the operation (`track`, `error`, `timing`, `feedback`, ...).
pub const PAGE_MESSAGE_TAG: &str = "mv3t";

// What a recording call of the wasm `Client` returns: one number, so a call
// crosses into wasm once and JS decodes the result only in debug mode.

/// Recorded: queued for delivery.
pub const RECORD_ACCEPTED: u8 = 0;
/// Not recorded and not counted: consent is not granted.
pub const RECORD_NOT_CONSENTED: u8 = 1;
/// Not recorded: the client has not restored its state yet.
pub const RECORD_NOT_READY: u8 = 2;
/// Dropped and counted: `RECORD_DROPPED_BASE` plus the reason's index in
/// [`DropReason::ALL`](super::wire::DropReason::ALL).
pub const RECORD_DROPPED_BASE: u8 = 16;

// What `Client::start` returns: one number, so the wrapper learns what it
// needs on the way to `ready` without a call per fact (each wasm function a
// call reaches first is compiled then, `docs/size.md`).

/// The bit of the start code set when the stored record was unreadable: the
/// wrapper removes every chunk key before the first call reaches the core
/// (`Engine::needs_sweep`). The bits below it are the consent state's index
/// in [`Consent::ALL`](super::Consent::ALL).
pub const START_NEEDS_SWEEP: u8 = 4;

// `as u8` is each state's index in `Consent::ALL`, below the sweep bit.
const _: () = {
    let mut i = 0;
    while i < super::Consent::ALL.len() {
        assert!(super::Consent::ALL[i] as usize == i && i < START_NEEDS_SWEEP as usize);
        i += 1;
    }
};

/// What `Client::start` returns for a consent state and a sweep to do.
pub fn start_code(consent: super::Consent, needs_sweep: bool) -> u8 {
    let sweep = if needs_sweep { START_NEEDS_SWEEP } else { 0 };
    consent as u8 | sweep
}

/// The code of a drop for `reason`.
pub fn record_dropped(reason: super::wire::DropReason) -> u8 {
    let index = super::wire::DropReason::ALL
        .iter()
        .position(|r| *r == reason)
        .unwrap_or(0);
    RECORD_DROPPED_BASE + index as u8
}
