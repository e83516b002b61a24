//! `POST /apps/{app_id}/users/{user_id}/terminate_connections`: closes every connection where the user
//! signed in (or that an access token binds to the user) with close code 4009.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::error::PusherError;
use super::signature::Signed;
use crate::http::AppState;

/// Answers `{}` whether or not the user had connections, as Pusher does.
pub async fn terminate(
    State(state): State<AppState>,
    Path((_, user_id)): Path<(String, String)>,
    signed: Signed,
) -> Result<Json<Value>, PusherError> {
    state.node.terminate_user(&signed.app, &user_id);
    Ok(Json(json!({})))
}
