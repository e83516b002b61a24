//! The debug console at `/console`: one HTML page, a stylesheet and a script, embedded in the binary
//! (no build step, nothing fetched from elsewhere). The operator signs in with an app's private key or
//! the admin token; the page then talks to the server like any client: `GET /console/api/apps` to
//! learn what the credential may see, the public `POST /events` to trigger, and a WebSocket
//! ([`stream`]) carrying live counts, channels with their presence members, and the node's
//! [`crate::debug`] stream of events.

mod stream;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;

use crate::apps::App;
use crate::auth::KeyKind;
use crate::http::AppState;
use crate::node::Node;

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| asset("text/html; charset=utf-8", PAGE)))
        .route("/console/", get(|| asset("text/html; charset=utf-8", PAGE)))
        .route(
            "/console/console.js",
            get(|| asset("text/javascript; charset=utf-8", SCRIPT)),
        )
        .route(
            "/console/console.css",
            get(|| asset("text/css; charset=utf-8", STYLE)),
        )
        .route("/console/api/apps", get(apps))
        .route("/console/api/apps/{id}/stream", get(stream::stream))
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, "no-cache"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, body).into_response()
}

/// Who signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The admin token: every app.
    Admin,
    /// An app's private key: that app.
    App,
}

/// The apps a credential may watch, and as whom; `None` when it is neither the admin token nor a
/// private key of a served app.
pub fn sign_in(node: &Node, credential: &str) -> Option<(Role, Vec<Arc<App>>)> {
    let admin = node
        .admin()
        .is_some_and(|a| a.authorize(Some(credential)).is_ok());
    if admin {
        return Some((Role::Admin, node.apps().all()));
    }
    let app = (KeyKind::of(credential) == KeyKind::Private)
        .then(|| node.apps().by_secret(credential))
        .flatten()?;
    Some((Role::App, vec![app]))
}

/// `GET /console/api/apps`: the apps the bearer credential may watch. The admin sees each app's
/// private key (to trigger events with it); an app's key holder sees none, so a key kept valid by a
/// rotation's grace period cannot learn its replacement.
async fn apps(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let credential = crate::http::header_key(&headers).unwrap_or_default();
    let Some((role, apps)) = sign_in(&state.node, credential) else {
        let body = json!({"error": "Sign in with an app's private key or the admin token", "code": "UNAUTHORIZED"});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    };
    let apps: Vec<_> = apps
        .iter()
        .map(|a| {
            let secret = (role == Role::Admin).then(|| a.secret.expose());
            json!({"id": a.id, "key": a.key, "secret": secret})
        })
        .collect();
    Json(json!({"role": role, "apps": apps})).into_response()
}
