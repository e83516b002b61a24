//! Channel queries: `GET /channels`, `GET /channels/{name}`, `GET /channels/{name}/users`, and
//! `POST /users/{user_id}/terminate_connections`. All take the private key in `Authorization`.
//!
//! `member_count` counts subscriptions on public and private channels, and distinct users on presence
//! channels (one user on three tabs is one member). `members` is listed for presence channels only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::Serialize;
use serde_json::value::RawValue;

use super::guard::{RateHeaders, RequestMeta, private_call_async};
use super::{ApiError, AppState};
use crate::apps::App;
use crate::cluster::ChannelStats;
use crate::node::Node;
use crate::protocol::{ChannelKind, ChannelName};
use crate::ratelimit::Endpoint;

/// A presence member.
#[derive(Serialize)]
pub struct Member {
    user_id: String,
    user_info: Option<Box<RawValue>>,
    socket_id: String,
}

/// One channel in a listing.
#[derive(Serialize)]
pub struct ChannelEntry {
    channel: String,
    member_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<Member>>,
}

/// `GET /channels`.
#[derive(Serialize)]
pub struct ChannelList {
    channels: Vec<ChannelEntry>,
    total_channels: usize,
}

/// `GET /channels/{name}`. Besides the documented fields, `subscription_count` (connections) and, on
/// presence channels, `user_count` (distinct users), as the Pusher API and the official SDK's types
/// name them.
#[derive(Serialize)]
pub struct ChannelDetail {
    channel: String,
    occupied: bool,
    member_count: usize,
    subscription_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<Member>>,
}

/// A user of a presence channel.
#[derive(Serialize)]
pub struct User {
    id: String,
    user_info: Option<Box<RawValue>>,
}

/// `GET /channels/{name}/users`.
#[derive(Serialize)]
pub struct UserList {
    users: Vec<User>,
}

/// `POST /users/{user_id}/terminate_connections`.
#[derive(Serialize)]
pub struct Terminated {
    terminated: usize,
}

type Reply<T> = (RateHeaders, Result<Json<T>, ApiError>);

/// `GET /channels?filter_by_prefix=…`: occupied channels, sorted by name.
pub async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Reply<ChannelList> {
    let endpoint = Some(Endpoint::Channels);
    private_call_async(&state, &meta, body, endpoint, async |app| {
        let Query(query) = query.map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
        let prefix = query.get("filter_by_prefix").map_or("", String::as_str);
        let mut channels = Vec::new();
        for stats in state.node.channels(&app).await? {
            if stats.name.as_str().starts_with(prefix) {
                channels.push(entry(&state.node, &app, stats).await?);
            }
        }
        let total_channels = channels.len();
        Ok(Json(ChannelList {
            channels,
            total_channels,
        }))
    })
    .await
}

/// `GET /channels/{name}`: an unoccupied channel answers `occupied: false`, not 404.
pub async fn show(
    State(state): State<AppState>,
    meta: RequestMeta,
    name: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Reply<ChannelDetail> {
    let endpoint = Some(Endpoint::Channels);
    private_call_async(&state, &meta, body, endpoint, async |app| {
        let channel = channel_name(name)?;
        let presence = is_presence(&channel);
        let stats = state.node.channel(&app, &channel).await?;
        let (subscriptions, users) = stats
            .as_ref()
            .map_or((0, 0), |i| (i.subscriptions, i.users));
        let (member_count, members) = match stats {
            Some(stats) => {
                let e = entry(&state.node, &app, stats).await?;
                (e.member_count, e.members)
            }
            None => (0, presence.then(Vec::new)),
        };
        Ok(Json(ChannelDetail {
            channel: channel.to_string(),
            occupied: subscriptions > 0,
            member_count,
            subscription_count: subscriptions,
            user_count: presence.then_some(users),
            members,
        }))
    })
    .await
}

/// `GET /channels/{name}/users`: presence channels only (others are a 400 `INVALID_CHANNEL`).
pub async fn users(
    State(state): State<AppState>,
    meta: RequestMeta,
    name: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Reply<UserList> {
    let endpoint = Some(Endpoint::Channels);
    private_call_async(&state, &meta, body, endpoint, async |app| {
        let channel = channel_name(name)?;
        if !is_presence(&channel) {
            return Err(ApiError::InvalidChannel(channel.to_string()));
        }
        let users = state
            .node
            .members(&app, &channel)
            .await?
            .into_iter()
            .map(|m| User {
                id: m.user_id.to_string(),
                user_info: m.user_info.as_deref().map(RawValue::to_owned),
            })
            .collect();
        Ok(Json(UserList { users }))
    })
    .await
}

/// `POST /users/{user_id}/terminate_connections`: closes the user's connections with 4009, on every
/// node; `terminated` counts those this node held.
pub async fn terminate(
    State(state): State<AppState>,
    meta: RequestMeta,
    user: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Reply<Terminated> {
    private_call_async(&state, &meta, body, None, async |app: Arc<App>| {
        let Path(user) = user.map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
        let terminated = state.node.terminate_user(&app, &user).await;
        tracing::info!(app = %app.id, terminated, "terminated a user's connections");
        Ok(Json(Terminated { terminated }))
    })
    .await
}

fn channel_name(name: Result<Path<String>, PathRejection>) -> Result<ChannelName, ApiError> {
    let Path(raw) = name.map_err(|e| ApiError::InvalidChannel(e.body_text()))?;
    ChannelName::parse(&raw).map_err(|_| ApiError::InvalidChannel(raw))
}

fn is_presence(channel: &ChannelName) -> bool {
    channel.kind() == ChannelKind::Presence
}

/// One channel as listed: its member count and, on presence channels, its members.
async fn entry(node: &Node, app: &App, stats: ChannelStats) -> Result<ChannelEntry, ApiError> {
    let presence = is_presence(&stats.name);
    let members = match presence {
        true => Some(node.members(app, &stats.name).await?),
        false => None,
    };
    let members = members.map(|list| {
        list.into_iter()
            .map(|m| Member {
                user_id: m.user_id.to_string(),
                user_info: m.user_info.as_deref().map(RawValue::to_owned),
                socket_id: m.socket_id.to_string(),
            })
            .collect()
    });
    Ok(ChannelEntry {
        channel: stats.name.to_string(),
        member_count: if presence {
            stats.users
        } else {
            stats.subscriptions
        },
        members,
    })
}
