//! The core's error type.

use std::fmt;

/// Everything that can go wrong inside the core. Recording never surfaces
/// these to the user: they are turned into counted drop reasons at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An option is out of range; names the option as the user spelled it.
    InvalidOption {
        /// The option's path in JS, e.g. `batch.maxBytes`.
        field: &'static str,
        /// What is wrong, e.g. `must be at least 1`.
        reason: &'static str,
    },
    /// The options text is not a JSON object (the wrapper always passes one).
    OptionsNotAnObject,
    /// Stored state could not be decoded at this byte (it is then discarded).
    CorruptSnapshot {
        /// Where decoding stopped (0 when the record's shape was wrong).
        offset: usize,
    },
}

/// `Result` with the core's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The message, built by concatenation: `format!` machinery costs wasm size.
    pub fn message(&self) -> String {
        match self {
            Error::InvalidOption { field, reason } => {
                "mv3-telemetry: option `".to_owned() + field + "` " + reason
            }
            Error::OptionsNotAnObject => "mv3-telemetry: options must be an object".to_owned(),
            Error::CorruptSnapshot { offset } => {
                let mut text = "mv3-telemetry: stored state was unreadable at byte ".to_owned();
                super::json::push_u64(&mut text, *offset as u64);
                text + " and was discarded"
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}
