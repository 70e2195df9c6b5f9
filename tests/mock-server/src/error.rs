//! The crate's single error type.

use std::fmt;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Everything that can go wrong in the mock collector.
#[derive(Debug)]
pub enum Error {
    /// The request was malformed; answered with 400 and the JSON path of the culprit.
    Invalid {
        /// JSON path of the offending value, e.g. `items[3].id`, or `body` for the whole body.
        field: String,
        /// Human-readable explanation.
        message: String,
    },
    /// Missing or wrong credentials (Sentry's key, PostHog's api_key); answered with 403.
    Forbidden(String),
    /// The command line could not be understood.
    Usage(String),
    /// Binding, accepting or writing the record file failed.
    Io(std::io::Error),
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A 400-class error naming the field at fault.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A 403 with why.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden(message.into())
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid { .. } | Error::Usage(_) => StatusCode::BAD_REQUEST,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body this error is answered with: `{"error": ..., "field": ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Error::Invalid { field, message } => {
                serde_json::json!({ "error": message, "field": field })
            }
            other => serde_json::json!({ "error": other.to_string() }),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { field, message } => write!(f, "{field}: {message}"),
            Error::Usage(message) | Error::Forbidden(message) => write!(f, "{message}"),
            Error::Io(err) => write!(f, "i/o error: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Io(err)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        (self.status(), Json(self.to_json())).into_response()
    }
}
