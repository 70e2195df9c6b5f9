//! wasm glue (placeholder).
