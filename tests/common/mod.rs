//! Test bodies shared by the host (`tests/engine.rs`) and the service worker
//! (`tests/wasm_service_worker.rs`): each carries
//! `#[wasm_bindgen_test(unsupported = test)]`, so no list names them twice.

pub mod driver_cases;
pub mod engine_cases;
// Used by the service worker; the host reads it in tests/options.rs.
#[cfg(target_arch = "wasm32")]
pub mod option_cases;
pub mod routing_cases;
pub mod source_cases;
