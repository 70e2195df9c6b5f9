//! The driver on the host: `cargo test --test driver`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

driver_cases!(test);
