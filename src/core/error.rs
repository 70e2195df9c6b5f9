//! The core's error type.

use std::fmt;

/// Everything that can go wrong inside the core. Recording never surfaces
/// these to the user: they are turned into counted drop reasons at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An option is out of range; names the option as the user spelled it.
    InvalidOption { field: &'static str, reason: &'static str },
    /// A persisted snapshot could not be decoded (it is then discarded).
    CorruptSnapshot(String),
}

/// `Result` with the core's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidOption { field, reason } => write!(f, "mv3-telemetry: option `{field}` {reason}"),
            Error::CorruptSnapshot(why) => write!(f, "mv3-telemetry: stored state discarded: {why}"),
        }
    }
}

impl std::error::Error for Error {}
