//! # mv3-telemetry
//!
//! Privacy-first telemetry for Chrome extensions (Manifest V3), compiled to
//! WebAssembly and running inside the extension's service worker.
//!
//! The crate has two layers:
//! - [`core`]: plain Rust, sans-IO. It is told the time and given random bytes,
//!   answers "send this request" / "wake me at T" / "idle", and is told each
//!   request's outcome. Everything here is tested with `cargo test` on the host.
//! - `wasm` (wasm32 only): the thin glue binding the worker's global `fetch`,
//!   timers, `crypto`, `chrome.storage.local`, `chrome.alarms` and
//!   `CompressionStream`, exported to JavaScript with wasm-bindgen.

#![warn(missing_docs)]

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
