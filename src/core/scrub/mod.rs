//! Sensitive-data scrubber (placeholder).
