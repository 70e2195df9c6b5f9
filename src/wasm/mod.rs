//! The browser glue (wasm32 only): binds the worker's globals and exports
//! [`Client`] to the JS wrapper in `js/`. Decisions live in the core
//! ([`crate::core::Engine`], [`crate::core::driver::Driver`]); this layer only
//! carries them out.

mod exports;
mod options;
pub mod platform;
mod runtime;

pub use exports::{scrub_json, scrub_text, Client};
