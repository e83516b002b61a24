//! `POST /apps/{app_id}/users/{user_id}/terminate_connections`: closes every connection where the user
//! signed in (or that an access token binds to the user) with close code 4009.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::Reply;
use super::error::PusherError;
use super::signature::Signed;
use crate::http::AppState;

/// Answers `{}` whether or not the user had connections, as Pusher does.
pub async fn terminate(
    State(state): State<AppState>,
    Path((_, user_id)): Path<(String, String)>,
    signed: Signed,
) -> Reply {
    (signed.rate, terminate_for(&state, user_id, &signed).await)
}

async fn terminate_for(
    state: &AppState,
    user_id: String,
    signed: &Signed,
) -> Result<Json<Value>, PusherError> {
    state.node.terminate_user(&signed.app, &user_id).await;
    Ok(Json(json!({})))
}

/// `POST /users/{user_id}/terminate_connections` signed the Pusher way: the path the Python `pusher`
/// library (3.3) uses, without `/apps/{app_id}`; the app comes from the signed `auth_key`.
pub async fn terminate_unscoped(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    signed: Signed,
) -> Reply {
    (
        signed.rate,
        terminate_unscoped_for(&state, user_id, &signed).await,
    )
}

async fn terminate_unscoped_for(
    state: &AppState,
    user_id: String,
    signed: &Signed,
) -> Result<Json<Value>, PusherError> {
    state.node.terminate_user(&signed.app, &user_id).await;
    Ok(Json(json!({})))
}
