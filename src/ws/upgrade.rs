//! The HTTP side of opening a WebSocket: check the upgrade request, answer 101, and once hyper hands the
//! connection over, take back the TCP stream itself so the session runs on [`Socket`] with no layers
//! between it and the kernel.

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::runtime::Handle;

use super::socket::Socket;

/// A valid WebSocket upgrade request, ready to be accepted.
pub struct Upgrade {
    on_upgrade: OnUpgrade,
    accept: HeaderValue,
}

/// Why a request was not upgraded (RFC 6455 §4.2.1–4.2.2).
#[derive(Debug, PartialEq, Eq)]
pub enum NotUpgrade {
    /// Not a WebSocket upgrade at all (a plain GET): the endpoint answers as a web page would.
    Plain,
    /// An upgrade for a WebSocket version other than 13, or none: 426 naming the one we speak.
    Version,
    /// An upgrade whose `Sec-WebSocket-Key` is not 16 bytes in base64, or that is not a GET: 400.
    Malformed,
}

impl IntoResponse for NotUpgrade {
    fn into_response(self) -> Response {
        match self {
            NotUpgrade::Plain => {
                (StatusCode::UPGRADE_REQUIRED, "expected a WebSocket upgrade").into_response()
            }
            NotUpgrade::Version => (
                StatusCode::UPGRADE_REQUIRED,
                [(header::SEC_WEBSOCKET_VERSION, "13")],
                "unsupported WebSocket version: this server speaks 13",
            )
                .into_response(),
            NotUpgrade::Malformed => {
                (StatusCode::BAD_REQUEST, "malformed WebSocket upgrade").into_response()
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotUpgrade;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, NotUpgrade> {
        check(&parts.method, &parts.headers)?;
        let key = parts.headers.get(header::SEC_WEBSOCKET_KEY);
        let key = key
            .filter(|k| is_valid_key(k))
            .ok_or(NotUpgrade::Malformed)?;
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        let accept = HeaderValue::from_str(&accept).map_err(|_| NotUpgrade::Malformed)?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>();
        let on_upgrade = on_upgrade.ok_or(NotUpgrade::Malformed)?;
        Ok(Self { on_upgrade, accept })
    }
}

/// An upgrade asks for `Upgrade: websocket` (with `Connection: upgrade`); it must be a GET for version
/// 13. Anything without those two headers is a plain request.
fn check(method: &Method, headers: &HeaderMap) -> Result<(), NotUpgrade> {
    let has = |name, wanted: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(wanted)))
        })
    };
    if !has(header::CONNECTION, "upgrade") || !has(header::UPGRADE, "websocket") {
        return Err(NotUpgrade::Plain);
    }
    if method != Method::GET {
        return Err(NotUpgrade::Malformed);
    }
    let version = headers.get(header::SEC_WEBSOCKET_VERSION);
    match version.map(|v| v.as_bytes().trim_ascii()) {
        Some(b"13") => Ok(()),
        _ => Err(NotUpgrade::Version),
    }
}

/// RFC 6455 §4.2.1: the key is a base64-encoded 16-byte value.
fn is_valid_key(key: &HeaderValue) -> bool {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD.decode(key.as_bytes().trim_ascii());
    decoded.is_ok_and(|bytes| bytes.len() == 16)
}

/// Registers the stream with the current runtime's reactor (the sessions'), so its readiness is
/// noticed by the workers that serve it rather than by the HTTP thread that accepted it.
fn rehome(stream: TcpStream) -> std::io::Result<TcpStream> {
    TcpStream::from_std(stream.into_std()?)
}

impl Upgrade {
    /// Answers 101 and runs `session` on the socket, on the `sessions` runtime, once the client has
    /// it; frames and messages larger than `max_message` bytes are refused with 1009.
    pub fn on_upgrade<F, Fut>(self, sessions: &Handle, max_message: usize, session: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        sessions.spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let Ok(parts) = upgraded.downcast::<TokioIo<TcpStream>>() else {
                tracing::warn!("upgraded connection is not a plain TCP stream; dropped");
                return;
            };
            match rehome(parts.io.into_inner()) {
                Ok(stream) => session(Socket::new(stream, &parts.read_buf, max_message)).await,
                Err(error) => tracing::debug!(%error, "could not move an upgraded socket"),
            }
        });
        let headers = [
            (header::CONNECTION, HeaderValue::from_static("upgrade")),
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (header::SEC_WEBSOCKET_ACCEPT, self.accept),
        ];
        (StatusCode::SWITCHING_PROTOCOLS, headers).into_response()
    }
}
