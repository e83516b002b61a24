//! The admin REST API under `/admin/…`: the operations of `lattestream apps …` over HTTP, for the
//! operator holding the configured admin token (`Authorization: Bearer TOKEN`). With no token
//! configured the routes answer 404 as if they did not exist. Handlers authenticate and call
//! [`AppAdmin`]; errors are the documented `{error, code}` body.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use crate::admin::{AdminError, AppAdmin};
use crate::apps::merge_settings;
use crate::protocol::AppId;

/// The `/admin` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps", get(list).post(create))
        .route("/admin/apps/{id}", get(show).patch(change).delete(delete))
        .route("/admin/apps/{id}/rotate", post(rotate))
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let (status, code) = match &self {
            Self::Disabled => (S::NOT_FOUND, "NOT_FOUND"),
            Self::Unauthorized => (S::UNAUTHORIZED, "INVALID_ADMIN_TOKEN"),
            Self::NotFound(_) => (S::NOT_FOUND, "APP_NOT_FOUND"),
            Self::ReadOnly(_) => (S::CONFLICT, "APP_READ_ONLY"),
            Self::Exists(_) => (S::CONFLICT, "APP_EXISTS"),
            Self::Setting(_) => (S::BAD_REQUEST, "INVALID_SETTING"),
            Self::Invalid(_) => (S::BAD_REQUEST, "INVALID_REQUEST"),
            Self::Store(_) => (S::SERVICE_UNAVAILABLE, "STORE_UNAVAILABLE"),
        };
        let error = match &self {
            Self::Disabled => "Not found".to_owned(),
            Self::Store(error) => {
                tracing::warn!(%error, "admin API: app store failed");
                "The app store is unavailable".to_owned()
            }
            other => other.to_string(),
        };
        (status, Json(json!({ "error": error, "code": code }))).into_response()
    }
}

/// The node's app management, once the bearer token has been checked.
fn authorized<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a AppAdmin, AdminError> {
    let admin = state.node.admin().ok_or(AdminError::Disabled)?;
    admin.authorize(super::keys::header_key(headers))?;
    Ok(admin)
}

fn app_id(raw: &str) -> Result<AppId, AdminError> {
    AppId::parse(raw).ok_or_else(|| AdminError::Invalid(format!("app id {raw:?}: digits expected")))
}

/// A JSON body, or none at all (`{}`).
fn body<T: for<'de> Deserialize<'de> + Default>(raw: &[u8]) -> Result<T, AdminError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(raw).map_err(|e| AdminError::Invalid(e.to_string()))
}

/// `POST /admin/apps` and `PATCH /admin/apps/{id}`: settings as a JSON merge patch.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppBody {
    id: Option<AppId>,
    #[serde(default)]
    settings: Value,
}

/// `POST /admin/apps/{id}/rotate`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateBody {
    #[serde(default, with = "humantime_serde")]
    grace: Option<Duration>,
}

async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AdminError> {
    let apps = authorized(&state, &headers)?.list().await?;
    Ok(Json(json!({ "apps": apps })).into_response())
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: axum::body::Bytes,
) -> Result<Response, AdminError> {
    let admin = authorized(&state, &headers)?;
    let body: AppBody = body(&raw)?;
    let app = admin
        .create(body.id, |s| merge_settings(s, &body.settings))
        .await?;
    Ok((StatusCode::CREATED, Json(app)).into_response())
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let app = authorized(&state, &headers)?.show(&app_id(&id)?).await?;
    Ok(Json(app).into_response())
}

async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Response, AdminError> {
    let admin = authorized(&state, &headers)?;
    let body: AppBody = body(&raw)?;
    if body.id.is_some() {
        return Err(AdminError::Invalid("an app's id cannot be changed".into()));
    }
    let app = admin
        .change(&app_id(&id)?, |s| merge_settings(s, &body.settings))
        .await?;
    Ok(Json(app).into_response())
}

async fn rotate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Response, AdminError> {
    let admin = authorized(&state, &headers)?;
    let body: RotateBody = body(&raw)?;
    let app = admin.rotate(&app_id(&id)?, body.grace).await?;
    Ok(Json(app).into_response())
}

async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    authorized(&state, &headers)?.delete(&app_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
