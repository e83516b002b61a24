//! `POST /auth`: the server-side channel authorization for private and presence channels, answered with
//! an `lspc_v1…` token that either WebSocket dialect accepts as a subscribe's `auth`.
//!
//! Presence `channel_data` may come as an object or as a JSON string. The token signs one exact string,
//! so the response returns `channel_data` as that string, which the client must send back byte for
//! byte in its subscribe. An object is signed as the JSON text it arrived as.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::error::from_json_error;
use super::guard::{RateHeaders, RequestMeta, private_call};
use super::{ApiError, AppState};
use crate::apps::App;
use crate::auth::lspc_token;
use crate::protocol::{ChannelKind, ChannelName, SocketId};

#[derive(Deserialize)]
struct AuthRequest {
    socket_id: Option<String>,
    channel_name: Option<String>,
    channel_data: Option<Box<RawValue>>,
}

/// The authorization, and for presence channels the signed member data.
#[derive(Serialize)]
pub struct AuthResponse {
    auth: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_data: Option<String>,
}

/// `POST /auth`.
pub async fn authorize(
    State(state): State<AppState>,
    meta: RequestMeta,
    body: Result<Bytes, BytesRejection>,
) -> (RateHeaders, Result<Json<AuthResponse>, ApiError>) {
    private_call(&state, &meta, body, None, authorize_for).await
}

fn authorize_for(app: &Arc<App>, body: &[u8]) -> Result<Json<AuthResponse>, ApiError> {
    let req: AuthRequest = serde_json::from_slice(body)
        .map_err(|e| from_json_error(e, &["socket_id", "channel_name"]))?;
    let socket_id = req
        .socket_id
        .ok_or(ApiError::MissingParameter("socket_id"))?;
    SocketId::parse(&socket_id).ok_or(ApiError::InvalidSocketId)?;
    let raw = req
        .channel_name
        .ok_or(ApiError::MissingParameter("channel_name"))?;
    let channel = ChannelName::parse(&raw).map_err(|_| ApiError::InvalidChannel(raw.clone()))?;
    let channel_data = match channel.kind() {
        ChannelKind::Public => return Err(ApiError::ChannelNeedsNoAuth),
        ChannelKind::Presence => Some(presence_data(req.channel_data)?),
        _ => None,
    };
    let auth = lspc_token(app, &socket_id, channel.as_str(), channel_data.as_deref());
    tracing::info!(app = %app.id, channel = %channel.as_str(), "authorized a channel subscription");
    Ok(Json(AuthResponse { auth, channel_data }))
}

/// The member data as the string to sign; it must name a user (a non-empty string or a number).
fn presence_data(raw: Option<Box<RawValue>>) -> Result<String, ApiError> {
    let raw = raw.ok_or(ApiError::MissingUserId)?;
    let text = match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::String(s)) => s,
        _ => raw.get().to_owned(),
    };
    let user_id = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("user_id").cloned());
    match user_id {
        Some(Value::String(s)) if !s.is_empty() => Ok(text),
        Some(Value::Number(_)) => Ok(text),
        _ => Err(ApiError::MissingUserId),
    }
}
