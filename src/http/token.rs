//! `POST /apps/token`: a JWT access token for one of the app's users, for the LatteStream dialect's
//! first frame (`{"api_key": TOKEN}`). The request's `socket_id` is the user's identity (any string,
//! e.g. a user id), not a connection's socket id.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::from_json_error;
use super::guard::{RateHeaders, RequestMeta, private_call};
use super::{ApiError, AppState};
use crate::apps::App;
use crate::auth::{MAX_TOKEN_LIFETIME, Permission, issue_access_token};
use crate::ratelimit::Endpoint;

/// Lifetime of a token when the request names none, seconds.
const DEFAULT_LIFETIME: u64 = 3600;
/// Longest user identity accepted, bytes.
const MAX_SUBJECT_LEN: usize = 256;

#[derive(Deserialize)]
struct TokenRequest {
    socket_id: Option<String>,
    permissions: Option<Value>,
    expires_in: Option<Value>,
}

/// The issued token, as documented.
#[derive(Serialize)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    tenant_id: String,
}

/// `POST /apps/token`.
pub async fn issue(
    State(state): State<AppState>,
    meta: RequestMeta,
    body: Result<Bytes, BytesRejection>,
) -> (RateHeaders, Result<Json<TokenResponse>, ApiError>) {
    private_call(&state, &meta, body, Some(Endpoint::Token), issue_for).await
}

fn issue_for(app: &std::sync::Arc<App>, body: &[u8]) -> Result<Json<TokenResponse>, ApiError> {
    let req: TokenRequest =
        serde_json::from_slice(body).map_err(|e| from_json_error(e, &["socket_id"]))?;
    let user = req
        .socket_id
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::MissingParameter("socket_id"))?;
    if user.len() > MAX_SUBJECT_LEN {
        return Err(ApiError::InvalidRequest(format!(
            "socket_id is longer than {MAX_SUBJECT_LEN} bytes"
        )));
    }
    let permissions = permissions(req.permissions)?;
    let expires_in = lifetime(req.expires_in)?;
    let (token, claims) = issue_access_token(app, &user, permissions, expires_in)
        .map_err(|_| ApiError::InvalidExpiry)?;
    tracing::info!(app = %app.id, jti = %claims.jti, expires_in, "issued an access token");
    Ok(Json(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in,
        tenant_id: app.id.to_string(),
    }))
}

/// `["read", "write"]` or a subset; absent (or null) means both.
fn permissions(raw: Option<Value>) -> Result<Vec<Permission>, ApiError> {
    let list = match raw {
        None | Some(Value::Null) => return Ok(vec![Permission::Read, Permission::Write]),
        Some(Value::Array(list)) => list,
        Some(other) => return Err(ApiError::InvalidPermissions(other.to_string())),
    };
    let mut permissions = Vec::new();
    for item in list {
        let p = match item.as_str() {
            Some("read") => Permission::Read,
            Some("write") => Permission::Write,
            _ => return Err(ApiError::InvalidPermissions(item.to_string())),
        };
        if !permissions.contains(&p) {
            permissions.push(p);
        }
    }
    Ok(permissions)
}

/// Whole seconds in `1..=86400`; absent (or null) means an hour.
fn lifetime(raw: Option<Value>) -> Result<u64, ApiError> {
    match raw {
        None | Some(Value::Null) => Ok(DEFAULT_LIFETIME),
        Some(value) => value
            .as_u64()
            .filter(|s| (1..=MAX_TOKEN_LIFETIME).contains(s))
            .ok_or(ApiError::InvalidExpiry),
    }
}
