//! The browser glue (wasm32 only): binds the worker's globals and exports
//! [`Client`] to the JS wrapper in `js/`. Decisions live in the core
//! ([`crate::core::Engine`], [`crate::core::driver::Driver`]); this layer only
//! carries them out.

mod exports;
mod options;
pub mod platform;
mod runtime;

pub use exports::{scrub_json, scrub_text, Client};

// Size: talc instead of the default dlmalloc, a well-kept allocator (MIT,
// verified with Miri upstream) that costs fewer wasm bytes. Single-threaded
// wasm only, which is what the package builds.
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
