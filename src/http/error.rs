//! The one HTTP error type. Every failure of the REST API becomes the documented body
//! `{"error": …, "code": …, "details"?: …}` with its status, mapped in one place.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::publish::PublishError;

/// A REST API failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON.
    #[error("Invalid JSON: {0}")]
    InvalidJson(String),
    /// A required field is absent.
    #[error("Missing required parameter: {0}")]
    MissingParameter(&'static str),
    /// A field has the wrong type or an impossible value.
    #[error("Invalid request: {0}")]
    InvalidRequest(String),
    /// A `socket_id` that is not `A.B`.
    #[error("Invalid socket id")]
    InvalidSocketId,
    /// No key, or a key no app has, or a bad request signature.
    #[error("Invalid API key")]
    InvalidApiKey,
    /// A signed request (`X-LatteStream-Signature`) whose signature, timestamp or nonce was refused.
    #[error("Invalid request signature: {0}")]
    InvalidSignature(crate::auth::SignatureError),
    /// A valid key without the right for this call.
    #[error("Forbidden: {0}")]
    Forbidden(&'static str),
    /// A channel name breaks the naming rules.
    #[error("Invalid channel name")]
    InvalidChannel(String),
    /// An event name breaks the naming rules.
    #[error("Invalid event name: {0}")]
    InvalidEvent(String),
    /// A payload or body over its limit, in bytes.
    #[error("Payload too large")]
    PayloadTooLarge(usize),
    /// More channels than one trigger may name.
    #[error("Too many channels")]
    TooManyChannels(usize),
    /// More events than one batch may carry.
    #[error("Too many events in batch")]
    TooManyEvents(usize),
    /// Over a rate limit; retry after so many seconds.
    #[error("Rate limit exceeded")]
    RateLimited(u64),
    /// The request body did not arrive within `http.body_timeout`.
    #[error("Request body timed out")]
    RequestTimeout,
    /// The client's address already has `http.max_pending_bodies_per_address` bodies in flight.
    #[error("Too many requests in flight from this address")]
    TooManyPendingBodies,
    /// `expires_in` out of range.
    #[error("expires_in must be between 1 and 86400 seconds")]
    InvalidExpiry,
    /// A permission name we do not know.
    #[error("Unknown permission: {0}")]
    InvalidPermissions(String),
    /// A channel that needs no authorization was given to `/auth`.
    #[error("Only private and presence channels need authorization")]
    ChannelNeedsNoAuth,
    /// Presence authorization without a user id.
    #[error("Presence channels need channel_data with a user_id")]
    MissingUserId,
    /// No such route or resource.
    #[error("Not found")]
    NotFound,
    /// The route exists, the method does not.
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// A backend this request needs (the cluster's shared nonce store) did not answer; retry shortly.
    #[error("Service unavailable, retry shortly")]
    ServiceUnavailable,
    /// Something broke on our side; the details went to the log, not to the client.
    #[error("Internal server error")]
    Internal,
}

impl ApiError {
    /// Status, code and details: the single mapping from error to wire.
    fn parts(&self) -> (StatusCode, &'static str, Option<Value>) {
        use StatusCode as S;
        match self {
            Self::InvalidJson(_) => (S::BAD_REQUEST, "INVALID_JSON", None),
            Self::MissingParameter(field) => (
                S::BAD_REQUEST,
                "MISSING_PARAMETER",
                Some(json!({ "field": field })),
            ),
            Self::InvalidRequest(_) => (S::BAD_REQUEST, "INVALID_REQUEST", None),
            Self::InvalidSocketId => (S::BAD_REQUEST, "INVALID_SOCKET_ID", None),
            Self::InvalidApiKey => (S::UNAUTHORIZED, "INVALID_API_KEY", None),
            Self::InvalidSignature(_) => (S::UNAUTHORIZED, "INVALID_SIGNATURE", None),
            Self::Forbidden(_) => (S::FORBIDDEN, "FORBIDDEN", None),
            Self::InvalidChannel(c) => (
                S::BAD_REQUEST,
                "INVALID_CHANNEL",
                Some(json!({ "channel": c })),
            ),
            Self::InvalidEvent(_) => (S::BAD_REQUEST, "INVALID_EVENT", None),
            Self::PayloadTooLarge(max) => (
                S::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                Some(json!({ "max_bytes": max })),
            ),
            Self::TooManyChannels(max) => (
                S::BAD_REQUEST,
                "TOO_MANY_CHANNELS",
                Some(json!({ "max_channels": max })),
            ),
            Self::TooManyEvents(max) => (
                S::BAD_REQUEST,
                "TOO_MANY_EVENTS",
                Some(json!({ "max_events": max })),
            ),
            Self::RateLimited(_) => (S::TOO_MANY_REQUESTS, "RATE_LIMIT_EXCEEDED", None),
            Self::RequestTimeout => (S::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", None),
            Self::TooManyPendingBodies => (S::TOO_MANY_REQUESTS, "RATE_LIMIT_EXCEEDED", None),
            Self::InvalidExpiry => (
                S::BAD_REQUEST,
                "INVALID_EXPIRES_IN",
                Some(json!({ "max": 86_400 })),
            ),
            Self::InvalidPermissions(_) => (
                S::BAD_REQUEST,
                "INVALID_PERMISSIONS",
                Some(json!({ "allowed": ["read", "write"] })),
            ),
            Self::ChannelNeedsNoAuth => (S::BAD_REQUEST, "INVALID_CHANNEL", None),
            Self::MissingUserId => (S::BAD_REQUEST, "MISSING_USER_ID", None),
            Self::NotFound => (S::NOT_FOUND, "NOT_FOUND", None),
            Self::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", None),
            Self::ServiceUnavailable => (S::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", None),
            Self::Internal => (S::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", None),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, details) = self.parts();
        let mut body = json!({ "error": self.to_string(), "code": code });
        if let Some(details) = details {
            body["details"] = details;
        }
        let retry = match self {
            Self::RateLimited(retry) => Some(retry),
            Self::TooManyPendingBodies | Self::ServiceUnavailable => Some(1),
            _ => None,
        };
        if let Some(retry) = retry {
            body["retry_after"] = json!(retry);
            let mut response = (status, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry));
            return response;
        }
        (status, Json(body)).into_response()
    }
}

impl From<crate::cluster::BackendError> for ApiError {
    /// The cluster's shared state could not answer (Redis unreachable): retry shortly.
    fn from(error: crate::cluster::BackendError) -> Self {
        tracing::warn!(%error, "a query the cluster store answers failed");
        Self::ServiceUnavailable
    }
}

impl From<PublishError> for ApiError {
    fn from(error: PublishError) -> Self {
        use PublishError as P;
        match error {
            P::MissingChannels => Self::MissingParameter("channels"),
            P::MissingChannel => Self::MissingParameter("channel"),
            P::MissingName => Self::MissingParameter("event"),
            P::MissingData => Self::MissingParameter("data"),
            P::TooManyChannels(max) => Self::TooManyChannels(max),
            P::TooManyEvents(max) => Self::TooManyEvents(max),
            P::InvalidChannel { name, .. } => Self::InvalidChannel(name),
            P::InvalidName(reason) => Self::InvalidEvent(reason.to_string()),
            P::DataTooLarge(max) => Self::PayloadTooLarge(max),
            P::InvalidSocketId(_) => Self::InvalidSocketId,
            P::InvalidData(reason) => Self::InvalidJson(reason),
        }
    }
}

/// Maps a JSON parse failure to the documented 400s: syntax errors are `INVALID_JSON`, a missing field
/// is `MISSING_PARAMETER`, a wrongly typed one `INVALID_REQUEST`.
pub fn from_json_error(error: serde_json::Error, required: &[&'static str]) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::InvalidJson(error.to_string()),
        Category::Data => {
            let text = error.to_string();
            let missing = required
                .iter()
                .find(|f| text.starts_with(&format!("missing field `{f}`")));
            match missing {
                Some(field) => ApiError::MissingParameter(field),
                None => ApiError::InvalidRequest(text),
            }
        }
    }
}
