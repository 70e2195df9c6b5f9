//! The browser glue (wasm32 only): binds the worker's globals and exports
//! [`Client`] to the JS wrapper in `js/`, whose host (`js/host.js`) carries
//! out the effects and reports back through [`Callbacks`]. Decisions live in the core
//! ([`crate::core::Engine`], [`crate::core::driver::Driver`]); this layer only
//! carries them out.

mod exports;
mod js;
mod options;
pub mod platform;
mod runtime;

pub use exports::{scrub_json, scrub_text, Callbacks, Client};

/// The global allocator: talc in place of std's dlmalloc, measured smaller
/// and faster in this build (see `docs/size.md`). The worker is
/// single-threaded (no `atomics`), which its unsynchronised cell relies on.
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
