//! WebSocket endpoints: the LatteStream dialect at `/` and `/ws`, Pusher protocol 7 at `/app/{key}`.
//! Both end in the same [`session::Session`]; only the handshake and the codec differ.

mod client_events;
pub(crate) mod frame;
mod handshake;
mod inbound;
mod keepalive;
mod session;
mod socket;
mod subscribe;
mod upgrade;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use crate::http::{ApiError, AppState};
use upgrade::{NotUpgrade, Upgrade};

/// `GET /` and `GET /ws`: the LatteStream dialect; a plain GET of `/` answers with what this server is.
pub async fn lattestream(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<Upgrade, NotUpgrade>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(NotUpgrade::Plain) => {
            let about =
                serde_json::json!({"name": "LatteStream", "version": env!("CARGO_PKG_VERSION")});
            return Json(about).into_response();
        }
        Err(refused) => return refused.into_response(),
    };
    let node = state.node.clone();
    let discovery = query.get("discovery_token").cloned();
    let max = node.ws_config().max_message_bytes;
    let sessions = node.session_runtime();
    upgrade.on_upgrade(&sessions, max, move |socket| {
        handshake::lattestream(socket, node, discovery)
    })
}

/// `GET /app/{key}`: Pusher protocol 7.
pub async fn pusher(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<Upgrade, NotUpgrade>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(NotUpgrade::Plain) => return ApiError::NotFound.into_response(),
        Err(refused) => return refused.into_response(),
    };
    let node: Arc<crate::node::Node> = state.node.clone();
    let protocol = query.get("protocol").cloned();
    let max = node.ws_config().max_message_bytes;
    let sessions = node.session_runtime();
    upgrade.on_upgrade(&sessions, max, move |socket| {
        handshake::pusher(socket, node, key, protocol)
    })
}
