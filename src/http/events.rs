//! `POST /events` and `POST /batch_events`: validate every field against the app's limits, then publish
//! through the node. Accepts the documented shapes and the official SDK's (`channel` as one name or
//! several joined by commas, `socketId`, `data` already a JSON string).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::from_json_error;
use super::guard::{RateHeaders, RequestMeta, private_call};
use super::{ApiError, AppState};
use crate::apps::App;
use crate::protocol::{ChannelName, Event, Payload, SocketId, validate_event_name};
use crate::ratelimit::Endpoint;

#[derive(Deserialize)]
struct TriggerRequest {
    channels: Option<Vec<String>>,
    channel: Option<String>,
    event: Option<String>,
    name: Option<String>,
    data: Option<Box<RawValue>>,
    socket_id: Option<String>,
    #[serde(rename = "socketId")]
    socket_id_camel: Option<String>,
}

/// The answer to a trigger.
#[derive(Serialize)]
pub struct TriggerResponse {
    channels: Vec<String>,
    event: String,
    triggered: usize,
}

/// `POST /events`.
pub async fn trigger(
    State(state): State<AppState>,
    meta: RequestMeta,
    body: Result<Bytes, BytesRejection>,
) -> (RateHeaders, Result<Json<TriggerResponse>, ApiError>) {
    let (headers, checked) =
        private_call(&state, &meta, body, Some(Endpoint::Events), check_trigger);
    let result = publish_checked(&state, checked)
        .await
        .map(|(app, mut answer, triggered)| {
            answer.triggered = triggered;
            let (event, channels) = (&answer.event, answer.channels.len());
            tracing::debug!(app = %app.id, %event, channels, triggered, "triggered an event");
            Json(answer)
        });
    (headers, result)
}

/// Events checked and ready to publish (each with the socket to leave out), and the answer to fill in.
type Checked<T> = (Arc<App>, T, Vec<(Event, Option<SocketId>)>);

/// Publishes checked events in order (they were all checked before the first goes out); returns the
/// app, the answer and how many connections the events were meant for in all.
async fn publish_checked<T>(
    state: &AppState,
    checked: Result<Checked<T>, ApiError>,
) -> Result<(Arc<App>, T, usize), ApiError> {
    let (app, answer, events) = checked?;
    let mut triggered = 0;
    for (event, except) in &events {
        triggered += state.node.publish(&app, event, *except).await;
    }
    Ok((app, answer, triggered))
}

fn check_trigger(app: &Arc<App>, body: &[u8]) -> Result<Checked<TriggerResponse>, ApiError> {
    let req: TriggerRequest =
        serde_json::from_slice(body).map_err(|e| from_json_error(e, &["event", "channels"]))?;
    let names = channel_list(&req)?;
    let (event_name, payload, except) = event_parts(
        app,
        req.event.or(req.name),
        req.data,
        req.socket_id.or(req.socket_id_camel),
    )?;
    let events = parse_channels(app, &names)?
        .into_iter()
        .map(|channel| {
            let data = payload.clone();
            let name = event_name.clone();
            let event = Event {
                name,
                channel,
                data,
                user_id: None,
            };
            (event, except)
        })
        .collect();
    let answer = TriggerResponse {
        channels: names,
        event: event_name,
        triggered: 0,
    };
    Ok((app.clone(), answer, events))
}

/// `channels` as given, or `channel` split on commas (a name holding a comma needs `channels`).
fn channel_list(req: &TriggerRequest) -> Result<Vec<String>, ApiError> {
    let list = match (&req.channels, &req.channel) {
        (Some(list), _) => list.clone(),
        (None, Some(joined)) => joined.split(',').map(|c| c.trim().to_owned()).collect(),
        (None, None) => return Err(ApiError::MissingParameter("channels")),
    };
    if list.is_empty() {
        return Err(ApiError::MissingParameter("channels"));
    }
    Ok(list)
}

fn parse_channels(app: &App, names: &[String]) -> Result<Vec<ChannelName>, ApiError> {
    if names.len() > app.settings.max_event_channels {
        return Err(ApiError::TooManyChannels(app.settings.max_event_channels));
    }
    names
        .iter()
        .map(|n| ChannelName::parse(n).map_err(|_| ApiError::InvalidChannel(n.clone())))
        .collect()
}

/// Checks the name, payload and excluded socket of one event.
fn event_parts(
    app: &App,
    name: Option<String>,
    data: Option<Box<RawValue>>,
    socket_id: Option<String>,
) -> Result<(String, Payload, Option<SocketId>), ApiError> {
    let name = name.ok_or(ApiError::MissingParameter("event"))?;
    validate_event_name(&name).map_err(|e| ApiError::InvalidEvent(e.to_string()))?;
    let payload = payload_text(data)?;
    if payload.len() > app.settings.max_payload_bytes {
        return Err(ApiError::PayloadTooLarge(app.settings.max_payload_bytes));
    }
    let except = match socket_id.filter(|s| !s.is_empty()) {
        Some(raw) => Some(SocketId::parse(&raw).ok_or(ApiError::InvalidSocketId)?),
        None => None,
    };
    Ok((name, Payload::Text(payload), except))
}

/// `data` as the text subscribers receive: a string passes unchanged, anything else is its JSON text.
fn payload_text(data: Option<Box<RawValue>>) -> Result<String, ApiError> {
    let Some(raw) = data else {
        return Ok("{}".to_owned());
    };
    if raw.get().starts_with('"') {
        return serde_json::from_str(raw.get()).map_err(|e| ApiError::InvalidJson(e.to_string()));
    }
    Ok(raw.get().to_owned())
}

#[derive(Deserialize)]
struct BatchRequest {
    batch: Option<Vec<BatchItem>>,
}

#[derive(Deserialize)]
struct BatchItem {
    channel: Option<String>,
    name: Option<String>,
    event: Option<String>,
    data: Option<Box<RawValue>>,
    socket_id: Option<String>,
    #[serde(rename = "socketId")]
    socket_id_camel: Option<String>,
}

/// The answer to a batch.
#[derive(Serialize)]
pub struct BatchResponse {
    batch_id: u64,
    total_events: usize,
    total_triggered: usize,
}

/// `POST /batch_events`: every event is checked before any is published.
pub async fn batch(
    State(state): State<AppState>,
    meta: RequestMeta,
    body: Result<Bytes, BytesRejection>,
) -> (RateHeaders, Result<Json<BatchResponse>, ApiError>) {
    let endpoint = Some(Endpoint::BatchEvents);
    let (headers, checked) = private_call(&state, &meta, body, endpoint, check_batch);
    let result = publish_checked(&state, checked).await.map(|(app, mut answer, triggered)| {
        answer.total_triggered = triggered;
        let total_events = answer.total_events;
        tracing::debug!(app = %app.id, total_events, total_triggered = triggered, "triggered a batch");
        Json(answer)
    });
    (headers, result)
}

fn check_batch(app: &Arc<App>, body: &[u8]) -> Result<Checked<BatchResponse>, ApiError> {
    let req: BatchRequest =
        serde_json::from_slice(body).map_err(|e| from_json_error(e, &["batch"]))?;
    let items = req
        .batch
        .filter(|b| !b.is_empty())
        .ok_or(ApiError::MissingParameter("batch"))?;
    if items.len() > app.settings.max_batch_events {
        return Err(ApiError::TooManyEvents(app.settings.max_batch_events));
    }
    let events = items
        .into_iter()
        .map(|item| batch_event(app, item))
        .collect::<Result<Vec<_>, _>>()?;
    let answer = BatchResponse {
        batch_id: next_batch_id(),
        total_events: events.len(),
        total_triggered: 0,
    };
    Ok((app.clone(), answer, events))
}

fn batch_event(app: &App, item: BatchItem) -> Result<(Event, Option<SocketId>), ApiError> {
    let raw = item.channel.ok_or(ApiError::MissingParameter("channel"))?;
    let channel = ChannelName::parse(&raw).map_err(|_| ApiError::InvalidChannel(raw.clone()))?;
    let name = item.name.or(item.event);
    let (name, data, except) = event_parts(
        app,
        name,
        item.data,
        item.socket_id.or(item.socket_id_camel),
    )?;
    Ok((
        Event {
            name,
            channel,
            data,
            user_id: None,
        },
        except,
    ))
}

/// A timestamp-based id, nanoseconds since the epoch, strictly increasing within this process.
fn next_batch_id() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let id = now.max(last + 1);
        match LAST.compare_exchange_weak(last, id, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return id,
            Err(seen) => last = seen,
        }
    }
}
