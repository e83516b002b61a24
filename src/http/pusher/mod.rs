//! The Pusher Channels HTTP API under `/apps/{app_id}/…`, so backends using the official `pusher`
//! server libraries (Node, PHP/Laravel, Ruby, Python, Go…) switch to LatteStream by changing a host name.
//!
//! Every request is signed the Pusher way and checked by the [`signature::Signed`] extractor before a
//! handler runs; errors are [`PusherError`]s, plain text with Pusher's statuses. Handlers are thin: they
//! parse, check limits and call the node, acting on the same apps and channels as our own REST API.

mod channels;
mod error;
pub(crate) mod events;
mod info;
mod signature;
mod users;

use axum::Router;
use axum::routing::{get, post};

pub use error::{AuthFailure, PusherError};

/// A Pusher API answer: the app's rate-limit headers, then the body or the error.
pub type Reply = (
    crate::http::guard::RateHeaders,
    Result<axum::Json<serde_json::Value>, PusherError>,
);
pub use signature::TIMESTAMP_WINDOW_SECS;
pub use users::terminate_unscoped;

use super::AppState;

/// The Pusher HTTP API's routes, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/apps/{app_id}/events", post(events::trigger))
        .route("/apps/{app_id}/batch_events", post(events::batch))
        .route("/apps/{app_id}/channels", get(channels::list))
        .route("/apps/{app_id}/channels/{channel}", get(channels::one))
        .route(
            "/apps/{app_id}/channels/{channel}/users",
            get(channels::users),
        )
        .route(
            "/apps/{app_id}/users/{user_id}/terminate_connections",
            post(users::terminate),
        )
}
