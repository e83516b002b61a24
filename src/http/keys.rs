//! Finding the app behind a REST request: the private key in `Authorization` (`Bearer lsk_…`, or raw as
//! the official SDK sends it) or in the body's `api_key`. A public key is valid but not enough (403).

use std::sync::Arc;

use axum::http::{HeaderMap, header};

use super::ApiError;
use crate::apps::{App, Apps};
use crate::auth::KeyKind;

/// The key the `Authorization` header carries, with or without `Bearer`.
pub fn header_key(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    Some(
        value
            .strip_prefix("Bearer ")
            .map(str::trim)
            .unwrap_or(value),
    )
}

/// The app whose private key the request presents.
pub fn private_app(
    apps: &Apps,
    headers: &HeaderMap,
    body_key: Option<&str>,
) -> Result<Arc<App>, ApiError> {
    let key = header_key(headers)
        .or(body_key)
        .ok_or(ApiError::InvalidApiKey)?;
    match KeyKind::of(key) {
        KeyKind::Private => apps.by_secret(key).ok_or(ApiError::InvalidApiKey),
        KeyKind::Public if apps.by_key(key).is_some() => Err(ApiError::Forbidden(
            "a public key cannot call this endpoint; use the private key",
        )),
        _ => Err(ApiError::InvalidApiKey),
    }
}
