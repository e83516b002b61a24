//! `POST /apps/{app_id}/events` and `POST /apps/{app_id}/batch_events`, as the `pusher` server libraries
//! call them. Events reach every subscriber of the app, whichever dialect it speaks; a channel named
//! `#server-to-user-{id}` reaches the connections where that user signed in (`sendToUser`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::Reply;
use super::channels::unavailable;
use super::error::PusherError;
use super::info::Info;
use super::signature::Signed;
use crate::apps::App;
use crate::http::AppState;
use crate::http::publish::{
    Checked, Draft, PublishError, Rules, channel_names, check_batch_len, check_channels,
    check_event,
};
use crate::protocol::{ChannelName, Event, SocketId};

#[derive(Deserialize)]
struct TriggerBody {
    name: Option<String>,
    data: Option<Box<RawValue>>,
    channels: Option<Vec<String>>,
    channel: Option<String>,
    socket_id: Option<String>,
    info: Option<String>,
}

/// `POST events`: `{}`, or the channels' attributes when `info` asks for them.
pub async fn trigger(State(state): State<AppState>, signed: Signed) -> Reply {
    (signed.rate, trigger_for(&state, &signed).await)
}

async fn trigger_for(state: &AppState, signed: &Signed) -> Result<Json<Value>, PusherError> {
    let app = &signed.app;
    let (channels, event, info) = check_trigger(app, &signed.body)?;
    for channel in &channels {
        state
            .node
            .publish(app, &event.on(channel.clone()), event.except)
            .await;
    }
    let info = Info::parse(info.as_deref().or(signed.param("info")));
    if info.is_empty() {
        return Ok(Json(json!({})));
    }
    let mut listed = Map::new();
    for channel in &channels {
        listed.insert(
            channel.to_string(),
            attributes(state, app, info, channel).await?,
        );
    }
    Ok(Json(json!({ "channels": listed })))
}

/// A trigger's body, checked: its channels, its event, and the `info` it asks for.
pub(crate) fn check_trigger(
    app: &App,
    body: &[u8],
) -> Result<(Vec<ChannelName>, Checked, Option<String>), PusherError> {
    let body: TriggerBody = parse_json(body)?;
    let rules = Rules::pusher(app);
    let names = channel_names(body.channels, body.channel.as_deref())
        .ok_or(PublishError::MissingChannels)?;
    let channels = check_channels(&rules, &names)?;
    let event = check_event(&rules, draft(body.name, body.data, body.socket_id))?;
    Ok((channels, event, body.info))
}

fn draft(name: Option<String>, data: Option<Box<RawValue>>, socket_id: Option<String>) -> Draft {
    Draft {
        name,
        data,
        socket_id,
    }
}

/// One channel's `info` attributes, counted after the publish.
async fn attributes(
    state: &AppState,
    app: &App,
    info: Info,
    channel: &ChannelName,
) -> Result<Value, PusherError> {
    let stats = state
        .node
        .channel(app, channel)
        .await
        .map_err(unavailable)?;
    Ok(Value::Object(info.of(channel, stats.as_ref())))
}

#[derive(Deserialize)]
struct BatchBody {
    batch: Option<Vec<BatchItem>>,
}

#[derive(Deserialize)]
struct BatchItem {
    channel: Option<String>,
    name: Option<String>,
    data: Option<Box<RawValue>>,
    socket_id: Option<String>,
    info: Option<String>,
}

/// `POST batch_events`: every event is checked before any is published; `{}`, or one attribute object
/// per event (in order) when any event's `info` asks.
pub async fn batch(State(state): State<AppState>, signed: Signed) -> Reply {
    (signed.rate, batch_for(&state, &signed).await)
}

async fn batch_for(state: &AppState, signed: &Signed) -> Result<Json<Value>, PusherError> {
    let app = &signed.app;
    let events = check_batch(app, &signed.body)?;
    for (event, except, _) in &events {
        state.node.publish(app, event, *except).await;
    }
    if events.iter().all(|(_, _, info)| info.is_empty()) {
        return Ok(Json(json!({})));
    }
    let mut listed = Vec::with_capacity(events.len());
    for (event, _, info) in &events {
        listed.push(attributes(state, app, *info, &event.channel).await?);
    }
    Ok(Json(json!({ "batch": listed })))
}

/// A batch's body, checked: its size and every event in it; an entry whose `channel` joins several
/// names with commas stands for one event on each.
pub(crate) fn check_batch(
    app: &App,
    body: &[u8],
) -> Result<Vec<(Event, Option<SocketId>, Info)>, PusherError> {
    let body: BatchBody = parse_json(body)?;
    let items = body
        .batch
        .ok_or_else(|| PusherError::bad("Missing parameter: batch"))?;
    let rules = Rules::pusher(app);
    check_batch_len(&rules, items.len())?;
    let mut events = Vec::with_capacity(items.len());
    for item in items {
        let names =
            channel_names(None, item.channel.as_deref()).ok_or(PublishError::MissingChannel)?;
        let event = check_event(&rules, draft(item.name, item.data, item.socket_id))?;
        let info = Info::parse(item.info.as_deref());
        for channel in check_channels(&rules, &names)? {
            events.push((event.on(channel), event.except, info));
        }
    }
    Ok(events)
}

fn parse_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, PusherError> {
    serde_json::from_slice(body).map_err(|e| PusherError::bad(format!("Invalid JSON body: {e}")))
}
