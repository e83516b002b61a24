//! Checks the official server SDK's request signature (`X-LatteStream-Signature`, with `-Timestamp`
//! and `-Nonce`) when a request carries one; unsigned requests are authenticated by the key alone.
//! The rules themselves live in [`crate::auth::SignedRequest`] and [`crate::auth::NonceStore`].

use std::time::{SystemTime, UNIX_EPOCH};

use super::guard::RequestMeta;
use super::{ApiError, AppState};
use crate::apps::App;
use crate::auth::{NonceError, SignatureError, SignedRequest};

const SIGNATURE: &str = "x-lattestream-signature";
const TIMESTAMP: &str = "x-lattestream-timestamp";
const NONCE: &str = "x-lattestream-nonce";

/// Verifies the signature, clock skew and nonce of a signed request; passes unsigned ones. True when
/// the request was signed (and verified): the official SDK's limits then apply.
pub async fn check(
    state: &AppState,
    app: &App,
    meta: &RequestMeta,
    body: &[u8],
) -> Result<bool, ApiError> {
    let header = |name| meta.headers.get(name).and_then(|v| v.to_str().ok());
    let Some(signature) = header(SIGNATURE) else {
        return Ok(false);
    };
    let request = SignedRequest {
        method: meta.method.as_str(),
        path_and_query: meta.uri.path_and_query().map_or("/", |p| p.as_str()),
        body,
        timestamp: header(TIMESTAMP).unwrap_or_default(),
        nonce: header(NONCE).unwrap_or_default(),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Signed with the current key or, during a rotation's grace period, the previous one.
    let verified = app
        .secrets()
        .map(|secret| request.verify(secret, signature, now))
        .reduce(|first, next| first.or(next))
        .expect("an app has a key");
    if let Err(reason) = verified {
        return Err(refused(app, reason));
    }
    match state
        .node
        .nonce_store()
        .remember(&app.id, request.nonce, now)
        .await
    {
        Ok(()) => Ok(true),
        Err(NonceError::Replayed) => Err(refused(app, SignatureError::Replayed)),
        Err(NonceError::Full(retry)) => {
            tracing::warn!(app = %app.id, "the nonce store is full; refusing signed requests");
            Err(ApiError::RateLimited(retry))
        }
        // Fail closed: a nonce that cannot be recorded could be a replay (the store logged why).
        Err(NonceError::Unavailable(_)) => Err(ApiError::ServiceUnavailable),
    }
}

fn refused(app: &App, reason: SignatureError) -> ApiError {
    tracing::info!(app = %app.id, %reason, "refused a signed request");
    ApiError::InvalidSignature(reason)
}
