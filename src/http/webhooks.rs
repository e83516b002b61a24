//! The dead-letter list of an app's webhooks, under its private key: `GET /webhooks/dead_letters`
//! lists batches given up (oldest first, paged by `after` and `limit`), `POST
//! /webhooks/dead_letters/replay` queues them again (all, or `{"ids": […]}`), `POST
//! /webhooks/dead_letters/discard` deletes the listed ones. An app without webhooks has an empty list.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::from_json_error;
use super::guard::{RateHeaders, RequestMeta, private_call};
use super::{ApiError, AppState};
use crate::apps::App;
use crate::webhooks::{DeadLetter, Resolution};

/// Most dead letters one listing returns.
const MAX_LIMIT: usize = 500;

/// One given-up batch.
#[derive(Serialize)]
pub struct DeadLetterEntry {
    id: i64,
    url: String,
    dead_at_ms: i64,
    reason: String,
    status: Option<u16>,
    attempts: u32,
    event_count: u64,
    events: Box<RawValue>,
}

/// `GET /webhooks/dead_letters`.
#[derive(Serialize)]
pub struct DeadLetterList {
    dead_letters: Vec<DeadLetterEntry>,
}

/// The answer to a replay or discard: how many events moved.
#[derive(Serialize)]
pub struct Resolved {
    events: u64,
}

/// The dead letters a replay or discard names (other fields, such as `api_key`, are ignored).
#[derive(Deserialize, Default)]
struct Selection {
    ids: Option<Vec<i64>>,
}

type Reply<T> = (RateHeaders, Result<Json<T>, ApiError>);

/// `GET /webhooks/dead_letters?after=ID&limit=N` (limit 1-500, default 100).
pub async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Reply<DeadLetterList> {
    let (headers, found) = private_call(&state, &meta, body, None, |app, _| {
        let Query(query) = query.map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
        let number = |name: &str, default: i64| match query.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| ApiError::InvalidRequest(format!("{name} must be an integer"))),
        };
        let limit = number("limit", 100)?;
        if !(1..=MAX_LIMIT as i64).contains(&limit) {
            return Err(ApiError::InvalidRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        Ok((app.clone(), number("after", 0)?, limit as usize))
    })
    .await;
    let result = match found {
        Ok((app, after, limit)) => listed(&state, &app, after, limit).await,
        Err(e) => Err(e),
    };
    (headers, result)
}

async fn listed(
    state: &AppState,
    app: &App,
    after: i64,
    limit: usize,
) -> Result<Json<DeadLetterList>, ApiError> {
    let Some(webhooks) = state.node.webhooks() else {
        return Ok(Json(DeadLetterList {
            dead_letters: Vec::new(),
        }));
    };
    let found = webhooks
        .dead_letters(&app.id, after, limit)
        .await
        .map_err(internal)?;
    let dead_letters = found.into_iter().map(entry).collect::<Result<_, _>>()?;
    Ok(Json(DeadLetterList { dead_letters }))
}

fn entry(dead: DeadLetter) -> Result<DeadLetterEntry, ApiError> {
    Ok(DeadLetterEntry {
        id: dead.id,
        url: dead.url,
        dead_at_ms: dead.dead_ms,
        reason: dead.failure.reason,
        status: dead.failure.status,
        attempts: dead.failure.attempts,
        event_count: dead.count,
        events: RawValue::from_string(dead.events).map_err(|e| internal(e.into()))?,
    })
}

/// `POST /webhooks/dead_letters/replay`: `{"ids": [...]}`, or an empty body for all of them.
pub async fn replay(
    State(state): State<AppState>,
    meta: RequestMeta,
    body: Result<Bytes, BytesRejection>,
) -> Reply<Resolved> {
    resolve(state, meta, body, Resolution::Replay).await
}

/// `POST /webhooks/dead_letters/discard`: `{"ids": [...]}` (required).
pub async fn discard(
    State(state): State<AppState>,
    meta: RequestMeta,
    body: Result<Bytes, BytesRejection>,
) -> Reply<Resolved> {
    resolve(state, meta, body, Resolution::Discard).await
}

async fn resolve(
    state: AppState,
    meta: RequestMeta,
    body: Result<Bytes, BytesRejection>,
    resolution: Resolution,
) -> Reply<Resolved> {
    let (headers, found) = private_call(&state, &meta, body, None, |app, body| {
        let selection = selection(body)?;
        if resolution == Resolution::Discard && selection.ids.is_none() {
            return Err(ApiError::MissingParameter("ids"));
        }
        Ok((app.clone(), selection.ids))
    })
    .await;
    let result = match found {
        Ok((app, ids)) => resolved(&state, &app, ids.as_deref(), resolution).await,
        Err(e) => Err(e),
    };
    (headers, result)
}

fn selection(body: &[u8]) -> Result<Selection, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Selection::default());
    }
    serde_json::from_slice(body).map_err(|e| from_json_error(e, &[]))
}

async fn resolved(
    state: &AppState,
    app: &Arc<App>,
    ids: Option<&[i64]>,
    resolution: Resolution,
) -> Result<Json<Resolved>, ApiError> {
    let Some(webhooks) = state.node.webhooks() else {
        return Ok(Json(Resolved { events: 0 }));
    };
    let events = webhooks
        .resolve(&app.id, ids, resolution)
        .await
        .map_err(internal)?;
    tracing::info!(app = %app.id, events, ?resolution, "webhook dead letters resolved");
    Ok(Json(Resolved { events }))
}

fn internal(error: crate::webhooks::QueueError) -> ApiError {
    tracing::error!(%error, "webhook queue");
    ApiError::Internal
}
