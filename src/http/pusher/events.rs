//! `POST /apps/{app_id}/events` and `POST /apps/{app_id}/batch_events`, as the `pusher` server libraries
//! call them. Events reach every subscriber of the app, whichever dialect it speaks; a channel named
//! `#server-to-user-{id}` reaches the connections where that user signed in (`sendToUser`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::error::PusherError;
use super::info::Info;
use super::signature::Signed;
use crate::apps::App;
use crate::http::AppState;
use crate::hub::AppHub;
use crate::protocol::{ChannelName, Event, Payload, SocketId, validate_event_name};

/// The prefix of a user's server-to-user channel, which only the server may publish to.
const SERVER_TO_USER: &str = "#server-to-user-";

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
pub async fn trigger(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Value>, PusherError> {
    let body: TriggerBody = parse_json(&signed.body)?;
    let app = &signed.app;
    let channels = channel_list(app, body.channels, body.channel)?;
    let (template, except) = event_parts(app, body.name, body.data, body.socket_id)?;
    for channel in &channels {
        let event = template.on(channel.clone());
        state.node.publish(app, &event, except).await;
    }
    let info = Info::parse(body.info.as_deref().or(signed.param("info")));
    if info.is_empty() {
        return Ok(Json(json!({})));
    }
    let hub = state.node.app_hub(app);
    let attributes: Map<String, Value> = channels
        .iter()
        .map(|c| (c.to_string(), attributes(&hub, info, c)))
        .collect();
    Ok(Json(json!({ "channels": attributes })))
}

/// One channel's `info` attributes, counted after the publish.
fn attributes(hub: &AppHub, info: Info, channel: &ChannelName) -> Value {
    Value::Object(info.of(channel, hub.channel(channel).as_ref()))
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
pub async fn batch(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Value>, PusherError> {
    let body: BatchBody = parse_json(&signed.body)?;
    let app = &signed.app;
    let events = batch_events(app, body.batch)?;
    for (event, except, _) in &events {
        state.node.publish(app, event, *except).await;
    }
    if events.iter().all(|(_, _, info)| info.is_empty()) {
        return Ok(Json(json!({})));
    }
    let hub = state.node.app_hub(app);
    let attributes: Vec<Value> = events
        .iter()
        .map(|(event, _, info)| attributes(&hub, *info, &event.channel))
        .collect();
    Ok(Json(json!({ "batch": attributes })))
}

/// Checks the batch's size and every event in it.
fn batch_events(
    app: &App,
    batch: Option<Vec<BatchItem>>,
) -> Result<Vec<(Event, Option<SocketId>, Info)>, PusherError> {
    let items = batch.ok_or_else(|| PusherError::bad("Missing parameter: batch"))?;
    let max = app.settings.max_batch_events;
    if items.len() > max {
        return Err(PusherError::bad(format!(
            "Batch too large: at most {max} events"
        )));
    }
    items
        .into_iter()
        .map(|item| batch_event(app, item))
        .collect()
}

fn batch_event(app: &App, item: BatchItem) -> Result<(Event, Option<SocketId>, Info), PusherError> {
    let raw = item
        .channel
        .ok_or_else(|| PusherError::bad("Missing parameter: channel"))?;
    let channel = publishable(&raw)?;
    let (template, except) = event_parts(app, item.name, item.data, item.socket_id)?;
    Ok((
        template.on(channel),
        except,
        Info::parse(item.info.as_deref()),
    ))
}

/// An event checked against the app's limits, not yet bound to a channel.
struct Template {
    name: String,
    data: String,
}

impl Template {
    fn on(&self, channel: ChannelName) -> Event {
        Event {
            name: self.name.clone(),
            channel,
            data: Payload::Text(self.data.clone()),
            user_id: None,
        }
    }
}

fn parse_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, PusherError> {
    serde_json::from_slice(body).map_err(|e| PusherError::bad(format!("Invalid JSON body: {e}")))
}

/// `channels`, or the single `channel`; unique, at most the app's Pusher limit, each publishable.
fn channel_list(
    app: &App,
    channels: Option<Vec<String>>,
    channel: Option<String>,
) -> Result<Vec<ChannelName>, PusherError> {
    let names = channels
        .or_else(|| channel.map(|c| vec![c]))
        .filter(|names| !names.is_empty())
        .ok_or_else(|| PusherError::bad("Missing parameter: channels"))?;
    let max = app.settings.pusher_max_event_channels;
    if names.len() > max {
        return Err(PusherError::bad(format!(
            "Too many channels: at most {max} per event"
        )));
    }
    let mut list: Vec<ChannelName> = Vec::with_capacity(names.len());
    for name in names {
        let channel = publishable(&name)?;
        if !list.contains(&channel) {
            list.push(channel);
        }
    }
    Ok(list)
}

/// A channel a server may publish to: a valid name, or a user's `#server-to-user-{id}`.
fn publishable(raw: &str) -> Result<ChannelName, PusherError> {
    match raw.strip_prefix(SERVER_TO_USER) {
        Some(user) if !user.is_empty() => Ok(ChannelName::server_to_user(user)),
        _ => ChannelName::parse(raw)
            .map_err(|e| PusherError::bad(format!("Invalid channel name {raw:?}: {e}"))),
    }
}

/// Checks the name, the data (a string, or any JSON sent as its text) and the excluded socket.
fn event_parts(
    app: &App,
    name: Option<String>,
    data: Option<Box<RawValue>>,
    socket_id: Option<String>,
) -> Result<(Template, Option<SocketId>), PusherError> {
    let name = name.ok_or_else(|| PusherError::bad("Missing parameter: name"))?;
    validate_event_name(&name).map_err(|e| PusherError::bad(format!("Invalid event name: {e}")))?;
    let data = data_text(data)?;
    if data.len() > app.settings.pusher_max_payload_bytes {
        return Err(PusherError::DataTooLarge(
            app.settings.pusher_max_payload_bytes,
        ));
    }
    let except = match socket_id.filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            SocketId::parse(&raw)
                .ok_or_else(|| PusherError::bad(format!("Invalid socket_id {raw:?}")))?,
        ),
        None => None,
    };
    Ok((Template { name, data }, except))
}

fn data_text(data: Option<Box<RawValue>>) -> Result<String, PusherError> {
    let raw = data.ok_or_else(|| PusherError::bad("Missing parameter: data"))?;
    if raw.get().starts_with('"') {
        return serde_json::from_str(raw.get())
            .map_err(|e| PusherError::bad(format!("Invalid data: {e}")));
    }
    Ok(raw.get().to_owned())
}
