//! The HTTP side: the router shared by `main` and the tests, thin REST handlers, and the one
//! [`ApiError`]. Handlers extract, authenticate, validate and call one core method.

mod admin;
mod body;
mod channel_auth;
mod channels;
mod discover;
mod error;
pub(crate) mod events;
pub(crate) mod guard;
mod keys;
pub(crate) mod publish;
pub mod pusher;
mod signed;
mod threads;
mod token;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

pub use body::PeerAddr;
pub use error::ApiError;
pub use keys::header_key;
pub use threads::HttpThreads;

use crate::config::HttpConfig;
use crate::node::Node;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The core.
    pub node: Arc<Node>,
    /// Largest request body, for the 413 details.
    pub max_body_bytes: usize,
}

/// The whole HTTP surface: REST API, WebSocket endpoints, health and metrics. Every request body is
/// read through the [`body`] gate before routing.
pub fn router(node: Arc<Node>, config: &HttpConfig) -> Router {
    let max_body_bytes = config.max_body_bytes;
    let gate = Arc::new(body::BodyGate::new(config, node.metrics().clone()));
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
        .route("/apps/token", post(token::issue))
        .route("/auth", post(channel_auth::authorize))
        .route("/channels", get(channels::list))
        .route("/channels/{name}", get(channels::show))
        .route("/channels/{name}/users", get(channels::users))
        .route(
            "/users/{user_id}/terminate_connections",
            post(terminate_user),
        )
        .route("/webhooks/dead_letters", get(webhooks::list))
        .route("/webhooks/dead_letters/replay", post(webhooks::replay))
        .route("/webhooks/dead_letters/discard", post(webhooks::discard))
        .route("/discover", get(discover::discover))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .merge(pusher::routes())
        .merge(admin::routes())
        .merge(crate::console::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            gate,
            body::buffer_body,
        ))
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

/// `GET /ready`: 200 while the node's backends answer (the app store, and in a cluster Redis), 503
/// otherwise, so a load balancer stops sending new clients to a node that cannot see app changes or
/// the other nodes.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.node.admin().is_none_or(|admin| admin.ready());
    let (status, text) = match (store, state.node.cluster_ready()) {
        (true, true) => (StatusCode::OK, "ready"),
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "app store unreachable"),
        (true, false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "cluster backend (Redis) unreachable",
        ),
    };
    (status, axum::Json(serde_json::json!({ "status": text })))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.node.metrics().render();
    if let Some(webhooks) = state.node.webhooks() {
        text.push_str(&webhooks.render_metrics());
    }
    text
}

/// `POST /users/{user_id}/terminate_connections`: our private-key call, or the same call signed the
/// Pusher way (an `auth_key` in the query), as the Python `pusher` library sends it.
async fn terminate_user(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let query = request.uri().query().unwrap_or_default();
    let pusher_signed = query.split('&').any(|pair| pair.starts_with("auth_key="));
    if pusher_signed {
        Handler::call(pusher::terminate_unscoped, request, state).await
    } else {
        Handler::call(channels::terminate, request, state).await
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
