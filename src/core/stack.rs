//! V8 stack parser (placeholder).
