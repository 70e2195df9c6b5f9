//! The browser glue (wasm32 only): binds the worker's globals and exports
//! [`client::Client`] to the JS wrapper in `js/`.
//!
//! Nothing here decides anything; the [`crate::core::Engine`] does.

pub mod client;
pub mod platform;

pub use client::Client;
