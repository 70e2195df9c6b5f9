//! The sans-IO core: plain Rust, no JavaScript, no clock, no RNG, no IO.
//!
//! Callers pass the current time (milliseconds since the Unix epoch) and random
//! bytes in; the [`engine::Engine`] answers with what to send and when, and is
//! told each request's outcome.

pub mod scrub;
pub mod stack;
pub mod fingerprint;
pub mod backoff;
pub mod engine;
pub mod error;
pub mod ids;
pub mod json;
pub mod names;
pub mod policy;
pub mod sanitize;
pub mod sketch;
mod snapshot_json;
pub mod time;
pub mod wire;

pub use engine::{Action, Consent, ConsentChange, Engine, ErrorInput, Recorded, Request, RequestId, Snapshot, Stats};
pub use error::{Error, Result};
pub use ids::{Entropy, SplitMix};
pub use policy::Policy;
pub use time::Millis;
pub use wire::{Context, DropReason, Endpoint};
