//! The one error type of the SDK. Every error carries a code: the documented code of the LatteStream
//! REST API (`INVALID_CHANNEL`, `RATE_LIMIT_EXCEEDED`…) when the server refused a request, the same
//! code when the SDK refused an argument before sending anything, and `CONNECTION_ERROR` / `TIMEOUT` /
//! `HTTP_ERROR` when no documented answer came back.

use std::time::Duration;

/// The codes of the REST API (docs/rest-api.md, "Errors"), plus the SDK's own.
pub mod codes {
    #![allow(missing_docs)]
    pub const INVALID_JSON: &str = "INVALID_JSON";
    pub const MISSING_PARAMETER: &str = "MISSING_PARAMETER";
    pub const INVALID_REQUEST: &str = "INVALID_REQUEST";
    pub const INVALID_SOCKET_ID: &str = "INVALID_SOCKET_ID";
    pub const INVALID_CHANNEL: &str = "INVALID_CHANNEL";
    pub const INVALID_EVENT: &str = "INVALID_EVENT";
    pub const TOO_MANY_CHANNELS: &str = "TOO_MANY_CHANNELS";
    pub const TOO_MANY_EVENTS: &str = "TOO_MANY_EVENTS";
    pub const INVALID_EXPIRES_IN: &str = "INVALID_EXPIRES_IN";
    pub const INVALID_PERMISSIONS: &str = "INVALID_PERMISSIONS";
    pub const MISSING_USER_ID: &str = "MISSING_USER_ID";
    pub const INVALID_API_KEY: &str = "INVALID_API_KEY";
    pub const INVALID_SIGNATURE: &str = "INVALID_SIGNATURE";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    pub const RATE_LIMIT_EXCEEDED: &str = "RATE_LIMIT_EXCEEDED";
    pub const INTERNAL_ERROR: &str = "INTERNAL_ERROR";
    /// The SDK's configuration is unusable (a key that is not `lsk_…`, a bad endpoint URL).
    pub const INVALID_CONFIG: &str = "INVALID_CONFIG";
    /// The server could not be reached, or the connection broke.
    pub const CONNECTION_ERROR: &str = "CONNECTION_ERROR";
    /// No answer within the configured timeout.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// An answer that is not the documented error body (a proxy's 502 page, say).
    pub const HTTP_ERROR: &str = "HTTP_ERROR";
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server refused the request with the documented body (or `HTTP_ERROR` without one).
    #[error("{code}: {message} (HTTP {status})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The documented code.
        code: String,
        /// The body's `error`.
        message: String,
        /// The body's `details`, when given.
        details: Option<serde_json::Value>,
    },
    /// A 429 still refused after every retry the SDK was allowed.
    #[error("RATE_LIMIT_EXCEEDED: {message} (retry after {retry_after:?})")]
    RateLimited {
        /// The body's `error`.
        message: String,
        /// How long the server asked to wait (`Retry-After`).
        retry_after: Duration,
    },
    /// An argument refused before sending anything (or, for local authorization, at all).
    #[error("{code}: {message}")]
    Validation {
        /// The code the server would have answered.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
    /// No answer: unreachable, broken connection, or the timeout passed.
    #[error("{code}: {source}")]
    Connection {
        /// `CONNECTION_ERROR` or `TIMEOUT`.
        code: &'static str,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
}

impl Error {
    /// The documented code, whatever the kind of error, so callers can match on it alone.
    pub fn code(&self) -> &str {
        match self {
            Self::Api { code, .. } => code,
            Self::RateLimited { .. } => codes::RATE_LIMIT_EXCEEDED,
            Self::Validation { code, .. } | Self::Connection { code, .. } => code,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(429),
            Self::Validation { .. } | Self::Connection { .. } => None,
        }
    }

    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            code,
            message: message.into(),
        }
    }
}
