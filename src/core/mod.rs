//! The sans-IO core: plain Rust, no JavaScript, no clock, no RNG, no IO.
//!
//! Callers pass the current time (milliseconds since the Unix epoch) and random
//! bytes in; the [`engine::Engine`] answers with what to send and when, and is
//! told each request's outcome.

pub mod scrub;
pub mod stack;
