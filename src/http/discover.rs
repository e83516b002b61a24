//! `GET /discover?api_key=lspk_…`: where a public-key client should connect, with a short-lived
//! discovery token it appends to the WebSocket URL (`?discovery_token=`). Host and port are the
//! configured ones, else those the client used to reach us (`Host`), else the listen address.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::uri::Authority;
use axum::http::{HeaderMap, header};
use serde::Serialize;

use super::{ApiError, AppState};
use crate::auth::{DISCOVERY_TOKEN_LIFETIME, KeyKind, discovery_token};

/// The documented discovery answer.
#[derive(Serialize)]
pub struct Discovery {
    node_id: u32,
    region: String,
    cluster: String,
    host: String,
    port: u16,
    discovery_token: String,
    expires_at: u64,
}

/// `GET /discover`.
pub async fn discover(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Discovery>, ApiError> {
    let key = query
        .ok()
        .and_then(|Query(mut q)| q.remove("api_key"))
        .ok_or(ApiError::InvalidApiKey)?;
    let apps = state.node.apps();
    let app = match KeyKind::of(&key) {
        KeyKind::Public => apps.by_key(&key),
        KeyKind::Private => apps.by_secret(&key),
        _ => None,
    }
    .ok_or(ApiError::InvalidApiKey)?;
    let (host, port) = announced(&state, &headers);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let expires_at = now + DISCOVERY_TOKEN_LIFETIME;
    let (config, _) = state.node.discovery();
    tracing::debug!(app = %app.id, "discovery");
    Ok(Json(Discovery {
        node_id: state.node.id(),
        region: config.region.clone(),
        cluster: config.cluster.clone(),
        host,
        port,
        discovery_token: discovery_token(&app, expires_at),
        expires_at,
    }))
}

/// The host and port to announce.
fn announced(state: &AppState, headers: &HeaderMap) -> (String, u16) {
    let (config, listen) = state.node.discovery();
    let reached = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| Authority::from_str(h).ok());
    let host = config
        .host
        .clone()
        .or_else(|| reached.as_ref().map(|a| a.host().to_owned()))
        .unwrap_or_else(|| listen.ip().to_string());
    let port = config
        .port
        .or_else(|| reached.as_ref().and_then(Authority::port_u16))
        .unwrap_or(listen.port());
    (host, port)
}
