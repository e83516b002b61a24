//! The HTTP side: the router shared by `main` and the tests, thin REST handlers, and the one
//! [`ApiError`]. Handlers extract, authenticate, validate and call one core method.

mod error;
mod events;
mod keys;
pub mod pusher;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

pub use error::ApiError;

use crate::node::Node;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The core.
    pub node: Arc<Node>,
    /// Largest request body, for the 413 details.
    pub max_body_bytes: usize,
}

/// The whole HTTP surface: REST API, WebSocket endpoints, health and metrics.
pub fn router(node: Arc<Node>, max_body_bytes: usize) -> Router {
    let state = AppState {
        node,
        max_body_bytes,
    };
    Router::new()
        .route("/", get(crate::ws::lattestream))
        .route("/ws", get(crate::ws::lattestream))
        .route("/app/{key}", get(crate::ws::pusher))
        .route("/events", post(events::trigger))
        .route("/batch_events", post(events::batch))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .merge(pusher::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// The body, or 413 when it is over the configured limit.
pub(crate) fn body_bytes(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(state.max_body_bytes),
        _ => ApiError::InvalidRequest(rejection.body_text()),
    })
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state.node.metrics().render()
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
