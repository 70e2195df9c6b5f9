//! Mock telemetry collector for mv3-telemetry (DESIGN section 7).
//!
//! Serves the wire-format v1 ingestion endpoints on 127.0.0.1, validates what arrives,
//! injects faults on demand, and exposes what it received through a control API and a
//! live page. Tests start it in-process with [`serve`] or [`serve_until`] on port 0;
//! people start the `mock-server` binary.

pub mod cli;
pub mod destinations;
pub mod error;
pub mod faults;
pub mod page;
pub mod routes;
pub mod server;
pub mod store;
pub mod validation;

use std::path::PathBuf;

pub use error::{Error, Result};
pub use server::{serve, serve_until};

/// Limits and options of one mock collector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Most accepted batches kept in memory; the oldest are dropped past it.
    pub max_batches: usize,
    /// Most request-log entries kept in memory; the oldest are dropped past it.
    pub max_requests: usize,
    /// Most decoded body bytes kept in memory, whatever the batch count.
    pub max_stored_bytes: usize,
    /// Most ids remembered by each of the item-id and batch-id duplicate detectors.
    pub max_seen_ids: usize,
    /// File to which every accepted batch is appended as one JSON line.
    pub record: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_batches: 10_000,
            max_requests: 10_000,
            max_stored_bytes: 256 * 1024 * 1024,
            max_seen_ids: 2_000_000,
            record: None,
        }
    }
}
