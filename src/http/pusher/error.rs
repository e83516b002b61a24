//! The Pusher HTTP API's errors and their statuses, mapped in one place. Pusher answers errors with a
//! status and a plain-text explanation; its server libraries only read the status and the body text, so
//! that is what we send (not our own REST API's `{error, code}` body).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::guard::RateHeaders;

/// Why a request's signature or credentials were refused (401).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthFailure {
    /// A required authentication parameter is absent.
    #[error("Missing authentication parameter: {0}")]
    MissingParameter(&'static str),
    /// `auth_key` is no app's public key, or another app's.
    #[error("Unknown auth_key for this app")]
    UnknownKey,
    /// Only version 1.0 of the signing scheme exists.
    #[error("Unsupported auth_version: {0} (expected 1.0)")]
    Version(String),
    /// `auth_timestamp` is not a number of seconds within the window of the server's clock.
    #[error(
        "Timestamp expired: given timestamp ({given}) not within {window}s of server time ({now})"
    )]
    Timestamp {
        /// What the request said.
        given: String,
        /// The server's clock, seconds since the epoch.
        now: u64,
        /// The allowed difference, seconds.
        window: u64,
    },
    /// The body was changed, or `body_md5` is wrong or missing for a non-empty body.
    #[error("Invalid body_md5: expected the hex MD5 of the request body")]
    BodyMd5,
    /// The signature does not match; carries the string that should have been signed (no secret in it).
    #[error(
        "Invalid signature: expected HMAC-SHA256 hex digest of {0:?} keyed with the app secret"
    )]
    Signature(String),
}

/// A failure of the Pusher HTTP API.
#[derive(Debug, thiserror::Error)]
pub enum PusherError {
    /// No app has the id in the path.
    #[error("Unknown app id: {0}")]
    UnknownApp(String),
    /// Authentication failed.
    #[error(transparent)]
    Unauthorized(#[from] AuthFailure),
    /// A parameter is missing, malformed or not allowed here.
    #[error("{0}")]
    BadRequest(String),
    /// The request body is over the server's limit, bytes.
    #[error("Request body too large (at most {0} bytes)")]
    BodyTooLarge(usize),
    /// An event's `data` is over the app's limit, bytes.
    #[error("Event data too large (at most {0} bytes)")]
    DataTooLarge(usize),
    /// The request body did not arrive in time.
    #[error("Request body timed out")]
    RequestTimeout,
    /// The client's address has too many bodies in flight.
    #[error("Too many requests in flight from this address")]
    TooManyPendingBodies,
    /// The cluster's shared state could not answer.
    #[error("Service unavailable: try again shortly")]
    Unavailable,
    /// Over the app's rate limit for this endpoint (the same budget as our REST API's); carries the
    /// rate-limit headers and the seconds to wait.
    #[error("Rate limit exceeded: retry after {1} seconds")]
    RateLimited(RateHeaders, u64),
}

impl PusherError {
    /// A 400 with an explanation.
    pub fn bad(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    /// The single mapping from error to status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownApp(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge(_) | Self::DataTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyPendingBodies | Self::RateLimited(..) => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

impl From<crate::http::publish::PublishError> for PusherError {
    fn from(error: crate::http::publish::PublishError) -> Self {
        use crate::http::publish::PublishError as P;
        match error {
            P::DataTooLarge(max) => Self::DataTooLarge(max),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

impl IntoResponse for PusherError {
    fn into_response(self) -> Response {
        let content_type = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
        let text = format!("{self}\n");
        let retry = match self {
            Self::RateLimited(headers, retry) => Some((headers, retry)),
            Self::TooManyPendingBodies => Some((RateHeaders::default(), 1)),
            _ => None,
        };
        match retry {
            Some((headers, retry)) => {
                let after = [(header::RETRY_AFTER, retry.to_string())];
                (self.status(), headers, after, content_type, text).into_response()
            }
            None => (self.status(), content_type, text).into_response(),
        }
    }
}
