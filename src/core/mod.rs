//! The sans-IO core: plain Rust, no JavaScript, no clock, no RNG, no IO.
//!
//! Callers pass the current time (milliseconds since the Unix epoch) and random
//! bytes in; the [`Engine`] answers with what to send, read and write and when,
//! and is told each request's outcome. The [`driver::Driver`] decides what the
//! worker does around it (timers, alarm, persistence, flush).

pub mod backoff;
pub mod dest;
pub mod driver;
pub mod engine;
pub mod error;
pub mod fingerprint;
pub mod ids;
pub mod json;
pub mod names;
pub mod options;
pub mod policy;
pub mod props;
pub mod sanitize;
pub mod scrub;
pub mod sketch;
pub mod source;
pub mod split;
pub mod stack;
pub mod time;
pub mod wire;

pub use backoff::Outcome;
pub use driver::Driver;
pub use engine::{
    Action, Consent, ConsentChange, Engine, ErrorInput, Recorded, Request, RequestId, Routes,
    Stats, Stored, Writes,
};
pub use error::{Error, Result};
pub use ids::{Entropy, SplitMix};
pub use policy::Policy;
pub use scrub::Scrubber;
pub use source::{ContextKind, Source};
pub use time::Millis;
pub use wire::{Context, DropReason, Endpoint};
