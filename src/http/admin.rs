//! The admin REST API under `/admin/…`: the operations of `lattestream apps …` over HTTP, for the
//! operator holding the configured admin token (`Authorization: Bearer TOKEN`). With no token
//! configured the routes answer 404 as if they did not exist. Handlers authenticate and call
//! [`AppAdmin`]; errors are the documented `{error, code}` body.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
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

/// The node's app management, for a request whose bearer token checked out.
struct Authorized(Arc<AppAdmin>);

impl FromRequestParts<AppState> for Authorized {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        let admin = state.node.admin().ok_or(AdminError::Disabled)?;
        admin.authorize(super::keys::header_key(&parts.headers))?;
        Ok(Self(admin.clone()))
    }
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

async fn list(Authorized(admin): Authorized) -> Result<Response, AdminError> {
    Ok(Json(json!({ "apps": admin.list().await? })).into_response())
}

async fn create(Authorized(admin): Authorized, raw: Bytes) -> Result<Response, AdminError> {
    let body: AppBody = body(&raw)?;
    let edit = |s: &_| merge_settings(s, &body.settings);
    let app = admin.create(body.id.clone(), edit).await?;
    Ok((StatusCode::CREATED, Json(app)).into_response())
}

async fn show(
    Authorized(admin): Authorized,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    Ok(Json(admin.show(&app_id(&id)?).await?).into_response())
}

async fn change(
    Authorized(admin): Authorized,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<Response, AdminError> {
    let body: AppBody = body(&raw)?;
    if body.id.is_some() {
        return Err(AdminError::Invalid("an app's id cannot be changed".into()));
    }
    let id = app_id(&id)?;
    let app = admin.change(&id, |s| merge_settings(s, &body.settings));
    Ok(Json(app.await?).into_response())
}

async fn rotate(
    Authorized(admin): Authorized,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<Response, AdminError> {
    let body: RotateBody = body(&raw)?;
    Ok(Json(admin.rotate(&app_id(&id)?, body.grace).await?).into_response())
}

async fn delete(
    Authorized(admin): Authorized,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    admin.delete(&app_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
