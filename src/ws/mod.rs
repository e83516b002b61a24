//! WebSocket endpoints: the LatteStream dialect at `/` and `/ws`, Pusher protocol 7 at `/app/{key}`.
//! Both end in the same [`session::Session`]; only the handshake and the codec differ.

mod client_events;
mod handshake;
mod session;
mod subscribe;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use crate::config::WebSocketConfig;
use crate::http::{ApiError, AppState};

/// Applies the configured frame and buffer limits to an upgrade.
fn limits(upgrade: WebSocketUpgrade, ws: &WebSocketConfig) -> WebSocketUpgrade {
    upgrade
        .max_message_size(ws.max_message_bytes)
        .max_frame_size(ws.max_message_bytes)
        .read_buffer_size(256)
        .write_buffer_size(0)
        .max_write_buffer_size(ws.max_message_bytes * 4)
}

/// `GET /` and `GET /ws`: the LatteStream dialect; a plain GET of `/` answers with what this server is.
pub async fn lattestream(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        let about =
            serde_json::json!({"name": "LatteStream", "version": env!("CARGO_PKG_VERSION")});
        return Json(about).into_response();
    };
    let node = state.node.clone();
    let discovery = query.get("discovery_token").cloned();
    let upgrade = limits(upgrade, node.ws_config());
    upgrade.on_upgrade(move |socket| handshake::lattestream(socket, node, discovery))
}

/// `GET /app/{key}`: Pusher protocol 7.
pub async fn pusher(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return ApiError::NotFound.into_response();
    };
    let node: Arc<crate::node::Node> = state.node.clone();
    let protocol = query.get("protocol").cloned();
    let upgrade = limits(upgrade, node.ws_config());
    upgrade.on_upgrade(move |socket| handshake::pusher(socket, node, key, protocol))
}
