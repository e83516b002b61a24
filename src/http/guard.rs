//! The gate in front of every private-key REST endpoint, in a fixed order: read the body, find the app
//! by its private key, count the request against the app's rate limit, check the SDK's request
//! signature when one is sent. Only then does the endpoint's own code run.
//!
//! Rate-limit headers go on every response once the private key has identified the app — success and
//! error alike. A request whose key is missing, unknown or public proves no app, is counted against none
//! and carries no rate-limit headers.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::rejection::BytesRejection;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponseParts, ResponseParts};
use serde::Deserialize;

use super::{ApiError, AppState, body_bytes, keys, signed};
use crate::apps::App;
use crate::ratelimit::{Decision, Endpoint};

/// What the gate needs of a request besides its body.
pub struct RequestMeta {
    /// The method, signed by the SDK.
    pub method: Method,
    /// The URI, whose path and query the SDK signs.
    pub uri: Uri,
    /// `Authorization` and the `X-LatteStream-*` signature headers.
    pub headers: HeaderMap,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
        })
    }
}

/// `X-RateLimit-Limit`, `-Remaining` and `-Reset`, when a limit was checked.
#[derive(Debug, Default, Clone, Copy)]
pub struct RateHeaders(Option<Decision>);

impl IntoResponseParts for RateHeaders {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Infallible> {
        if let Some(d) = self.0 {
            let headers = res.headers_mut();
            headers.insert("x-ratelimit-limit", HeaderValue::from(d.limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(d.remaining));
            headers.insert("x-ratelimit-reset", HeaderValue::from(d.reset));
        }
        Ok(res)
    }
}

/// Runs `handle` for a request authenticated by a private key, rate-limited as `endpoint` (if any).
pub async fn private_call<T>(
    state: &AppState,
    meta: &RequestMeta,
    body: Result<Bytes, BytesRejection>,
    endpoint: Option<Endpoint>,
    handle: impl FnOnce(&Arc<App>, &[u8]) -> Result<T, ApiError>,
) -> (RateHeaders, Result<T, ApiError>) {
    private_call_signed(state, meta, body, endpoint, |app, body, _| {
        handle(app, body)
    })
    .await
}

/// [`private_call`] for handlers whose limits depend on whether the official SDK signed the request
/// (`handle` is told so).
pub async fn private_call_signed<T>(
    state: &AppState,
    meta: &RequestMeta,
    body: Result<Bytes, BytesRejection>,
    endpoint: Option<Endpoint>,
    handle: impl FnOnce(&Arc<App>, &[u8], bool) -> Result<T, ApiError>,
) -> (RateHeaders, Result<T, ApiError>) {
    let (headers, caller) = gate(state, meta, body, endpoint).await;
    let result = caller.and_then(|c| handle(&c.app, &c.body, c.signed));
    (headers, result)
}

/// [`private_call`] for handlers that must wait on the node (queries the cluster answers): `handle`
/// gets the app once the request passed the gate.
pub async fn private_call_async<T, F, Fut>(
    state: &AppState,
    meta: &RequestMeta,
    body: Result<Bytes, BytesRejection>,
    endpoint: Option<Endpoint>,
    handle: F,
) -> (RateHeaders, Result<T, ApiError>)
where
    F: FnOnce(Arc<App>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let (headers, caller) = gate(state, meta, body, endpoint).await;
    let result = match caller {
        Ok(caller) => handle(caller.app).await,
        Err(e) => Err(e),
    };
    (headers, result)
}

/// A request that passed the gate: its app, body, and whether the official SDK signed it.
struct Caller {
    app: Arc<App>,
    body: Bytes,
    signed: bool,
}

/// The gate itself, in its fixed order: body, key, rate limit, signature.
async fn gate(
    state: &AppState,
    meta: &RequestMeta,
    body: Result<Bytes, BytesRejection>,
    endpoint: Option<Endpoint>,
) -> (RateHeaders, Result<Caller, ApiError>) {
    let found = body_bytes(state, body).and_then(|b| Ok((authenticate(state, meta, &b)?, b)));
    let (app, body) = match found {
        Ok(found) => found,
        Err(e) => return (RateHeaders::default(), Err(e)),
    };
    let (headers, allowed) = limit(state, &app, endpoint).await;
    let signed = match allowed {
        Ok(()) => signed::check(state, &app, meta, &body).await,
        Err(refused) => Err(refused),
    };
    let caller = signed.map(|signed| Caller { app, body, signed });
    (headers, caller)
}

/// The app whose private key is in `Authorization` or, failing that, in the body's `api_key`.
fn authenticate(state: &AppState, meta: &RequestMeta, body: &[u8]) -> Result<Arc<App>, ApiError> {
    let from_body = match keys::header_key(&meta.headers) {
        Some(_) => None,
        None => body_key(body)?,
    };
    keys::private_app(state.node.apps(), &meta.headers, from_body.as_deref())
}

/// The body's `api_key`; a body that is not JSON at all is a 400 before any key is looked for.
fn body_key(body: &[u8]) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct KeyOnly {
        api_key: Option<serde_json::Value>,
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<KeyOnly>(body) {
        Ok(k) => Ok(k.api_key.and_then(|v| v.as_str().map(str::to_owned))),
        Err(e) if e.is_data() => Ok(None),
        Err(e) => Err(ApiError::InvalidJson(e.to_string())),
    }
}

/// Counts the request; a refusal is the documented 429.
async fn limit(
    state: &AppState,
    app: &App,
    endpoint: Option<Endpoint>,
) -> (RateHeaders, Result<(), ApiError>) {
    let (headers, counted) = count(state, app, endpoint).await;
    (headers, counted.map_err(ApiError::RateLimited))
}

/// Counts a request of `app` against `endpoint`'s budget, the one both our API and the Pusher API
/// spend: the headers to send, and the seconds to wait when refused.
pub(crate) async fn count(
    state: &AppState,
    app: &App,
    endpoint: Option<Endpoint>,
) -> (RateHeaders, Result<(), u64>) {
    let limits = &app.settings.rate_limits;
    let Some(endpoint) = endpoint.filter(|_| limits.enabled) else {
        return (RateHeaders::default(), Ok(()));
    };
    let decision = state
        .node
        .rate_limiter()
        .check(&app.id, endpoint, endpoint.limit(limits))
        .await;
    let result = match decision.allowed {
        true => Ok(()),
        false => Err(decision.retry_after),
    };
    (RateHeaders(Some(decision)), result)
}
