//! The delivery engine on the host: `cargo test --test engine`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

engine_cases!(test);
