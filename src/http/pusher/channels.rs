//! `GET /apps/{app_id}/channels`, `GET …/channels/{name}` and `GET …/channels/{name}/users`: what the
//! `pusher` libraries' `get({path: '/channels…'})` read. Server-to-user channels are never listed.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use super::Reply;
use super::error::PusherError;
use super::info::Info;
use super::signature::Signed;
use crate::http::AppState;
use crate::protocol::{ChannelKind, ChannelName};

/// `GET channels`: occupied channels, optionally `filter_by_prefix`, with the `info` attributes asked
/// for; `user_count` only with a `presence-` prefix.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Reply {
    (signed.rate, list_for(&state, &signed).await)
}

async fn list_for(state: &AppState, signed: &Signed) -> Result<Json<Value>, PusherError> {
    let prefix = signed.param("filter_by_prefix").unwrap_or_default();
    let info = Info::parse(signed.param("info"));
    info.require_presence(prefix.starts_with("presence-"))?;
    let channels: Map<String, Value> = state
        .node
        .channels(&signed.app)
        .await
        .map_err(unavailable)?
        .into_iter()
        .filter(|c| !c.name.is_server_to_user() && c.name.as_str().starts_with(prefix))
        .map(|c| {
            (
                c.name.to_string(),
                Value::Object(info.of(&c.name, Some(&c))),
            )
        })
        .collect();
    Ok(Json(json!({ "channels": channels })))
}

/// `GET channels/{name}`: `{"occupied": …}` plus the attributes `info` asks for.
pub async fn one(
    State(state): State<AppState>,
    Path((_, name)): Path<(String, String)>,
    signed: Signed,
) -> Reply {
    (signed.rate, one_for(&state, name, &signed).await)
}

async fn one_for(
    state: &AppState,
    name: String,
    signed: &Signed,
) -> Result<Json<Value>, PusherError> {
    let channel = channel_name(&name)?;
    let info = Info::parse(signed.param("info"));
    info.require_presence(channel.kind() == ChannelKind::Presence)?;
    let node = &state.node;
    let stats = node
        .channel(&signed.app, &channel)
        .await
        .map_err(unavailable)?;
    let mut body = info.of(&channel, stats.as_ref());
    body.insert("occupied".into(), json!(stats.is_some()));
    if info.cache {
        let cached = node
            .cached(&signed.app, &channel)
            .await
            .map_err(unavailable)?;
        if let Some((event, left)) = cached {
            body.insert("cache".into(), cache_entry(&event, left));
        }
    }
    Ok(Json(Value::Object(body)))
}

/// `GET channels/{name}/users`: a presence channel's users, one entry per user.
pub async fn users(
    State(state): State<AppState>,
    Path((_, name)): Path<(String, String)>,
    signed: Signed,
) -> Reply {
    (signed.rate, users_for(&state, name, &signed).await)
}

async fn users_for(
    state: &AppState,
    name: String,
    signed: &Signed,
) -> Result<Json<Value>, PusherError> {
    let channel = channel_name(&name)?;
    if channel.kind() != ChannelKind::Presence {
        return Err(PusherError::bad(
            "Users can only be listed on presence channels",
        ));
    }
    let users: Vec<Value> = state
        .node
        .members(&signed.app, &channel)
        .await
        .map_err(unavailable)?
        .iter()
        .map(|m| json!({ "id": &*m.user_id }))
        .collect();
    Ok(Json(json!({ "users": users })))
}

/// The cluster's store could not answer: 503, retry shortly.
pub(super) fn unavailable(error: crate::cluster::BackendError) -> PusherError {
    tracing::warn!(%error, "a query the cluster store answers failed");
    PusherError::Unavailable
}

fn channel_name(raw: &str) -> Result<ChannelName, PusherError> {
    ChannelName::parse(raw)
        .map_err(|e| PusherError::bad(format!("Invalid channel name {raw:?}: {e}")))
}

/// A cached event as `info=cache` reports it: name, data, and the seconds it stays cached.
fn cache_entry(event: &crate::protocol::Event, left: std::time::Duration) -> Value {
    let data = match &event.data {
        crate::protocol::Payload::Text(text) => json!(text),
        crate::protocol::Payload::Json(raw) => json!(raw.get()),
    };
    json!({ "event": event.name, "data": data, "ttl": left.as_secs() })
}
