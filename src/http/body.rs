//! Request bodies, read before any handler runs and on the server's terms. A `Content-Length` over
//! `http.max_body_bytes` is refused before a byte of the body is read; the whole body must arrive
//! within `http.body_timeout` (a body that stops arriving, or never ends, is answered 408 and its
//! connection closed); its chunks are copied into one buffer as they come, so the memory a body holds is
//! the bytes received, not one allocation per TCP segment; and one client address may have at most
//! `http.max_pending_bodies_per_address` bodies in flight at once. Our documented API carries the
//! private key in the body, so a body must be read before the key can be checked: these bounds are what
//! keep a client without a key from holding memory, connections and time.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use dashmap::DashMap;
use futures_util::StreamExt;

use super::ApiError;
use super::pusher::PusherError;
use crate::config::HttpConfig;
use crate::metrics::Metrics;

/// The client address of a request, put in its extensions by the connection that carried it.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub IpAddr);

/// The bounds every request body is read within, and the bodies in flight per address.
pub struct BodyGate {
    max_bytes: usize,
    timeout: std::time::Duration,
    per_address: usize,
    pending: DashMap<IpAddr, usize>,
    metrics: Arc<Metrics>,
}

/// Why a body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// Over `max_body_bytes`, announced or received: 413.
    TooLarge(usize),
    /// Not all there within the timeout: 408.
    Timeout,
    /// The address already has its share of bodies in flight: 429.
    Busy,
    /// The connection failed mid-body: 400.
    Broken,
}

impl BodyGate {
    /// A gate with the HTTP settings' bounds, counting bodies in flight into `metrics`.
    pub fn new(config: &HttpConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            max_bytes: config.max_body_bytes,
            timeout: config.body_timeout,
            per_address: config.max_pending_bodies_per_address.max(1),
            pending: DashMap::new(),
            metrics,
        }
    }

    /// Takes one of the address's places for a body in flight, or refuses.
    fn enter(&self, peer: Option<PeerAddr>) -> Result<Pending<'_>, Refused> {
        if let Some(PeerAddr(ip)) = peer {
            let mut count = self.pending.entry(ip).or_insert(0);
            if *count >= self.per_address {
                return Err(Refused::Busy);
            }
            *count += 1;
        }
        self.metrics.body_in_flight(true);
        Ok(Pending(self, peer.map(|p| p.0)))
    }

    /// Reads the whole body into one buffer within the deadline and the size limit. A body that turns
    /// out too large is read to its end (and dropped) while it stays under [`DISCARD_FACTOR`] times
    /// the limit, so the client reads the 413 instead of a reset while it is still sending.
    async fn read(&self, body: Body, expected: Option<usize>) -> Result<Bytes, Refused> {
        let mut buffer = BytesMut::with_capacity(expected.unwrap_or(0).min(self.max_bytes));
        let mut chunks = body.into_data_stream();
        let gather = async {
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(|_| Refused::Broken)?;
                if buffer.len() + chunk.len() > self.max_bytes {
                    let seen = buffer.len() + chunk.len();
                    buffer = BytesMut::new();
                    self.discard(&mut chunks, seen).await;
                    return Err(Refused::TooLarge(self.max_bytes));
                }
                // Copied, so the chunk (and the read buffer it points into) is freed at once.
                buffer.extend_from_slice(&chunk);
            }
            Ok(())
        };
        match tokio::time::timeout(self.timeout, gather).await {
            Ok(Ok(())) => Ok(buffer.freeze()),
            Ok(Err(refused)) => Err(refused),
            Err(_) => Err(Refused::Timeout),
        }
    }
}

impl BodyGate {
    /// Reads and drops the rest of a refused body while it stays under the discard bound; `seen`
    /// bytes were read already. The caller's deadline bounds the time.
    async fn discard(&self, chunks: &mut axum::body::BodyDataStream, mut seen: usize) {
        let bound = self.max_bytes.saturating_mul(DISCARD_FACTOR);
        while seen <= bound {
            match chunks.next().await {
                Some(Ok(chunk)) => seen += chunk.len(),
                _ => return,
            }
        }
    }

    /// Whether an announced length over the limit is still small enough to read and drop.
    fn worth_discarding(&self, length: usize) -> bool {
        length <= self.max_bytes.saturating_mul(DISCARD_FACTOR)
    }
}

/// A body up to this many times `max_body_bytes` is read and dropped before its 413 is sent, so an
/// ordinary client sees the answer; a larger one is refused at once and its connection closed.
const DISCARD_FACTOR: usize = 4;

/// A body in flight for an address; gives its place back when dropped.
struct Pending<'a>(&'a BodyGate, Option<IpAddr>);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.metrics.body_in_flight(false);
        if let Some(ip) = self.1 {
            self.0.pending.remove_if_mut(&ip, |_, count| {
                *count -= 1;
                *count == 0
            });
        }
    }
}

/// The middleware: buffers a request's body under the gate's bounds before routing it on.
pub async fn buffer_body(
    State(gate): State<Arc<BodyGate>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    if !has_body(&parts.headers) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let pusher = is_pusher_path(parts.uri.path());
    let expected = content_length(&parts.headers);
    if expected.is_some_and(|n| !gate.worth_discarding(n)) {
        return refuse(Refused::TooLarge(gate.max_bytes), pusher);
    }
    let peer = parts.extensions.get::<PeerAddr>().copied();
    let read = match gate.enter(peer) {
        Ok(_pending) => gate.read(body, expected).await,
        Err(refused) => Err(refused),
    };
    match read {
        Ok(bytes) => {
            parts.headers.remove(header::TRANSFER_ENCODING);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, bytes.len().into());
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(refused) => refuse(refused, pusher),
    }
}

/// Whether the request announces a body: a length above zero, or a chunked one (a WebSocket upgrade
/// has neither and passes untouched).
fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING) || content_length(headers).unwrap_or(0) > 0
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    let value = headers.get(header::CONTENT_LENGTH)?.to_str().ok()?;
    Some(
        value
            .trim()
            .parse::<u64>()
            .map_or(usize::MAX, |n| n.min(usize::MAX as u64) as usize),
    )
}

/// The Pusher HTTP API lives under `/apps/{digits}/`; its errors are plain text.
fn is_pusher_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/apps/") else {
        return false;
    };
    let id = rest.split('/').next().unwrap_or_default();
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

/// The refusal in the shape of the API the request was for; the connection closes after it, since
/// the rest of the body was not read.
fn refuse(refused: Refused, pusher: bool) -> Response {
    let mut response = match (refused, pusher) {
        (Refused::TooLarge(max), false) => ApiError::PayloadTooLarge(max).into_response(),
        (Refused::TooLarge(max), true) => PusherError::BodyTooLarge(max).into_response(),
        (Refused::Timeout, false) => ApiError::RequestTimeout.into_response(),
        (Refused::Timeout, true) => PusherError::RequestTimeout.into_response(),
        (Refused::Busy, false) => ApiError::TooManyPendingBodies.into_response(),
        (Refused::Busy, true) => PusherError::TooManyPendingBodies.into_response(),
        (Refused::Broken, false) => {
            ApiError::InvalidRequest("incomplete body".into()).into_response()
        }
        (Refused::Broken, true) => PusherError::bad("incomplete body").into_response(),
    };
    let close = axum::http::HeaderValue::from_static("close");
    response.headers_mut().insert(header::CONNECTION, close);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digit_app_ids_are_pusher_paths() {
        assert!(is_pusher_path("/apps/123/events"));
        assert!(!is_pusher_path("/apps/token"));
        assert!(!is_pusher_path("/events"));
    }

    #[test]
    fn a_huge_or_garbled_length_counts_as_too_large() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, "10000000000".parse().unwrap());
        assert!(content_length(&headers).unwrap() > 1 << 30);
        headers.insert(header::CONTENT_LENGTH, "x".parse().unwrap());
        assert_eq!(content_length(&headers), Some(usize::MAX));
    }

    #[tokio::test]
    async fn an_address_has_a_bounded_number_of_bodies_in_flight() {
        let config = HttpConfig {
            max_pending_bodies_per_address: 2,
            ..HttpConfig::default()
        };
        let gate = BodyGate::new(&config, Arc::default());
        let peer = Some(PeerAddr([10, 0, 0, 1].into()));
        let first = gate.enter(peer).unwrap();
        let _second = gate.enter(peer).unwrap();
        assert_eq!(gate.enter(peer).err(), Some(Refused::Busy));
        assert!(gate.enter(Some(PeerAddr([10, 0, 0, 2].into()))).is_ok());
        drop(first);
        assert!(gate.enter(peer).is_ok());
    }
}
