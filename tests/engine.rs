//! The engine and the driver on the host: `cargo test --test engine`. The
//! bodies live in `tests/common/` and run in a service worker too
//! (`tests/wasm_service_worker.rs`).
#![cfg(not(target_arch = "wasm32"))]

mod common;
