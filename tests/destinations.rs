//! The destinations on the host: `cargo test --test destinations`. Options
//! and responses are shared cases (`tests/common/dest_cases.rs`); the
//! encoders' bodies are parsed here by Sentry's and OpenTelemetry's own
//! types (host-only dev-dependencies) and their values compared.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/dest_cases.rs"]
mod dest_cases;
