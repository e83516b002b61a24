//! `POST /events` and `POST /batch_events`: validate every field against the app's limits (the
//! documented ones, or the official SDK's for requests it signed; see [`super::publish`]), then publish
//! through the node. Accepts the documented shapes and the official SDK's (`channel` as one name or
//! several joined by commas, in a trigger and in each batch entry, `socketId`, `data` already a JSON
//! string).

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
use super::guard::{RateHeaders, RequestMeta, private_call_signed};
use super::publish::{
    Draft, PublishError, Rules, channel_names, check_batch_len, check_channels, check_event,
};
use super::{ApiError, AppState};
use crate::apps::App;
use crate::protocol::{Event, SocketId};
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
        private_call_signed(&state, &meta, body, Some(Endpoint::Events), check_trigger).await;
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

/// The limits of a request: the official SDK's when it signed it, the documented ones otherwise.
fn rules(app: &App, signed: bool) -> Rules {
    match signed {
        true => Rules::signed_sdk(app),
        false => Rules::documented(app),
    }
}

pub(crate) fn check_trigger(
    app: &Arc<App>,
    body: &[u8],
    signed: bool,
) -> Result<Checked<TriggerResponse>, ApiError> {
    let req: TriggerRequest =
        serde_json::from_slice(body).map_err(|e| from_json_error(e, &["event", "channels"]))?;
    let rules = rules(app, signed);
    let names =
        channel_names(req.channels, req.channel.as_deref()).ok_or(PublishError::MissingChannels)?;
    let channels = check_channels(&rules, &names)?;
    let draft = Draft {
        name: req.event.or(req.name),
        data: req.data,
        socket_id: req.socket_id.or(req.socket_id_camel),
    };
    let event = check_event(&rules, draft)?;
    let answer = TriggerResponse {
        channels: channels.iter().map(ToString::to_string).collect(),
        event: event.name.clone(),
        triggered: 0,
    };
    let events = channels
        .into_iter()
        .map(|channel| (event.on(channel), event.except))
        .collect();
    Ok((app.clone(), answer, events))
}

#[derive(Deserialize)]
struct BatchRequest {
    batch: Option<Vec<BatchItem>>,
}

#[derive(Deserialize)]
struct BatchItem {
    channel: Option<String>,
    channels: Option<Vec<String>>,
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
    let (headers, checked) = private_call_signed(&state, &meta, body, endpoint, check_batch).await;
    let result = publish_checked(&state, checked).await.map(|(app, mut answer, triggered)| {
        answer.total_triggered = triggered;
        let total_events = answer.total_events;
        tracing::debug!(app = %app.id, total_events, total_triggered = triggered, "triggered a batch");
        Json(answer)
    });
    (headers, result)
}

pub(crate) fn check_batch(
    app: &Arc<App>,
    body: &[u8],
    signed: bool,
) -> Result<Checked<BatchResponse>, ApiError> {
    let req: BatchRequest =
        serde_json::from_slice(body).map_err(|e| from_json_error(e, &["batch"]))?;
    let items = req
        .batch
        .filter(|b| !b.is_empty())
        .ok_or(ApiError::MissingParameter("batch"))?;
    let rules = rules(app, signed);
    check_batch_len(&rules, items.len())?;
    let total_events = items.len();
    let mut events = Vec::with_capacity(items.len());
    for item in items {
        events.extend(batch_events(&rules, item)?);
    }
    let answer = BatchResponse {
        batch_id: next_batch_id(),
        total_events,
        total_triggered: 0,
    };
    Ok((app.clone(), answer, events))
}

/// One batch entry, on each channel it names (`channel` may join several with commas, as the
/// official SDK sends a multi-channel `trigger`).
fn batch_events(
    rules: &Rules,
    item: BatchItem,
) -> Result<Vec<(Event, Option<SocketId>)>, ApiError> {
    let names = channel_names(item.channels, item.channel.as_deref())
        .ok_or(ApiError::MissingParameter("channel"))?;
    let channels = check_channels(rules, &names)?;
    let draft = Draft {
        name: item.name.or(item.event),
        data: item.data,
        socket_id: item.socket_id.or(item.socket_id_camel),
    };
    let event = check_event(rules, draft)?;
    Ok(channels
        .into_iter()
        .map(|channel| (event.on(channel), event.except))
        .collect())
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
