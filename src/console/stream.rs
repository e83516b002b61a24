//! The console's WebSocket, `GET /console/api/apps/{id}/stream`: the page sends its credential as the
//! first message (browsers cannot set headers on a WebSocket, and a URL would put it in logs); then
//! the server sends a snapshot of the app's connections and channels every second and each debug
//! entry of the app as it happens. It closes when the app is deleted or the node shuts down.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::apps::App;
use crate::http::AppState;
use crate::node::Node;
use crate::protocol::ChannelName;

/// How often counts and channels are sent.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(1);
/// How long the page has to send its credential.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(10);
/// Channels listed in one snapshot (the counts cover them all).
const MAX_CHANNELS: usize = 200;
/// Presence members listed per channel.
const MAX_MEMBERS: usize = 50;
/// Largest message the page may send.
const MAX_MESSAGE: usize = 8 * 1024;

/// Answers the upgrade and runs the stream once the connection is handed over.
pub async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let key = parts.headers.get(header::SEC_WEBSOCKET_KEY).cloned();
    let upgrade = parts.extensions.remove::<OnUpgrade>();
    let (Some(key), Some(upgrade)) = (key, upgrade) else {
        return (StatusCode::UPGRADE_REQUIRED, "expected a WebSocket upgrade").into_response();
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let node = state.node.clone();
    tokio::spawn(async move {
        if let Ok(upgraded) = upgrade.await {
            let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE));
            let ws = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            run(ws, node, id).await;
        }
    });
    let headers = [
        (header::CONNECTION, HeaderValue::from_static("upgrade")),
        (header::UPGRADE, HeaderValue::from_static("websocket")),
        (
            header::SEC_WEBSOCKET_ACCEPT,
            HeaderValue::from_str(&accept).expect("base64"),
        ),
    ];
    (StatusCode::SWITCHING_PROTOCOLS, headers).into_response()
}

type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Signs the page in, then streams until either side stops.
async fn run(mut ws: Socket, node: Arc<Node>, id: String) {
    let Some(app) = signed_in(&mut ws, &node, &id).await else {
        let _ = send(&mut ws, &json!({"type": "error", "error": "not signed in"})).await;
        return drop(ws.close(None).await);
    };
    let mut entries = node.debug().subscribe();
    let mut ticks = tokio::time::interval(SNAPSHOT_EVERY);
    loop {
        let sent = tokio::select! {
            _ = ticks.tick() => match node.apps().contains(&app.id) {
                true => send(&mut ws, &snapshot(&node, &app).await).await,
                false => break,
            },
            entry = entries.recv() => match entry {
                Ok(entry) if entry.app_id == app.id => send(&mut ws, &*entry).await,
                Ok(_) => true,
                Err(RecvError::Lagged(skipped)) => send(&mut ws, &json!({"type": "lagged", "skipped": skipped})).await,
                Err(RecvError::Closed) => break,
            },
            message = ws.next() => matches!(message, Some(Ok(m)) if !m.is_close()),
        };
        if !sent {
            break;
        }
    }
    let _ = ws.close(None).await;
}

/// The app the first message's credential may watch, if it names this one.
async fn signed_in(ws: &mut Socket, node: &Node, id: &str) -> Option<Arc<App>> {
    let first = tokio::time::timeout(SIGN_IN_TIMEOUT, ws.next())
        .await
        .ok()??
        .ok()?;
    let text = first.into_text().ok()?;
    let credential = serde_json::from_str::<serde_json::Value>(&text).ok()?;
    let credential = credential.get("credential")?.as_str()?.to_owned();
    let (_, apps) = super::sign_in(node, &credential)?;
    apps.into_iter().find(|a| a.id.as_str() == id)
}

async fn send(ws: &mut Socket, value: &impl Serialize) -> bool {
    let text = serde_json::to_string(value).expect("serialises");
    ws.send(Message::text(text)).await.is_ok()
}

/// Counts, then the channels (by name) with their presence members; empty lists when the cluster's
/// store cannot answer (the console shows the connection count regardless).
async fn snapshot(node: &Node, app: &App) -> serde_json::Value {
    let channels = node.channels(app).await.unwrap_or_default();
    let total = channels.len();
    let mut listed = Vec::new();
    for c in channels.iter().take(MAX_CHANNELS) {
        let members = members(node, app, &c.name).await;
        listed.push(
            json!({"name": c.name.as_str(), "subscriptions": c.subscriptions,
                           "users": c.users, "members": members}),
        );
    }
    json!({"type": "snapshot", "connections": node.local_connection_count(app),
           "channel_count": total, "channels": listed})
}

async fn members(node: &Node, app: &App, channel: &ChannelName) -> Vec<serde_json::Value> {
    if channel.kind() != crate::protocol::ChannelKind::Presence {
        return Vec::new();
    }
    let members = node.members(app, channel).await.unwrap_or_default();
    members
        .iter()
        .take(MAX_MEMBERS)
        .map(|m| {
            let info = m.user_info.as_deref().map(|raw| raw.to_owned());
            json!({"user_id": &*m.user_id, "user_info": info})
        })
        .collect()
}
